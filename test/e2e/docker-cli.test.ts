// The docker CLI as a real client of the proxy: exec uses the 101
// connection hijack, and what the allowlist refuses fails in the CLI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

const container = "nc_app_cli_test";
let engine: Engine;
let proxy: Proxy;
let configDir: string;

function cli(args: string[]) {
  return engine.dockerCli(args, {
    host: `tcp://127.0.0.1:${proxy.port}`,
    configDir,
    timeoutMs: 30_000,
  });
}

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(container);
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: { TIMEOUT_CLIENT: "2s" },
  });
  configDir = mkdtempSync(join(tmpdir(), "dsp-cli-"));
  writeFileSync(join(configDir, "config.json"),
    JSON.stringify({ HttpHeaders: { Authorization: proxy.authHeader } }));
  const made = await engine.request("POST", `/containers/create?name=${container}`, {
    Image: engine.image,
    Cmd: ["sh", "-c", "echo started-$HOSTNAME; trap 'exit 0' TERM; sleep 3600 & wait"],
    Hostname: "clitest",
    HostConfig: { NetworkMode: "none" },
  });
  assert.equal(made.status, 201, made.body);
  assert.equal((await engine.request("POST", `/containers/${container}/start`)).status, 204);
});

after(async () => {
  await proxy?.stop();
  await engine?.removeAll(container);
  await engine?.stop();
  if (configDir !== undefined) rmSync(configDir, { recursive: true, force: true });
});

describe("docker CLI through the proxy", () => {
  it("runs exec and returns its output", async () => {
    const result = await cli(["exec", container, "cat", "/etc/os-release"]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /ID=debian/);
  });

  it("keeps an exec that is quiet longer than TIMEOUT_CLIENT", async () => {
    const result = await cli(["exec", container, "sh", "-c", "sleep 3; echo done"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "done");
  });

  it("passes the exit code of exec", async () => {
    const result = await cli(["exec", container, "sh", "-c", "echo err >&2; exit 3"]);
    assert.equal(result.code, 3);
    assert.equal(result.stderr.trim(), "err");
  });

  it("carries stdin of exec -i to the engine", () => {
    const result = spawnSync("docker", ["exec", "-i", container, "sh", "-c", "wc -c"], {
      input: "x".repeat(100_000),
      env: { ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${proxy.port}`, DOCKER_CONFIG: configDir },
      timeout: 30_000,
      encoding: "utf8",
    });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "100000");
  });

  it("reads logs", async () => {
    const result = await cli(["logs", container]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /started-clitest/);
  });

  it("inspects the container", async () => {
    const result = await cli(["inspect", "--format", "{{.Name}} {{.State.Status}}", container]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), `/${container} running`);
  });

  it("creates, waits for and removes an ExApp container", async () => {
    const name = "nc_app_cli_created";
    const created = await cli(["create", "--name", name, "--network", "none",
      engine.image, "sh", "-c", "exit 7"]);
    assert.equal(created.code, 0, created.stderr);
    assert.equal((await cli(["start", name])).code, 0);
    const waited = await cli(["wait", name]);
    assert.equal(waited.code, 0, waited.stderr);
    assert.equal(waited.stdout.trim(), "7");
    const removed = await cli(["rm", name]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!(await engine.containerNames()).includes(name));
  });

  it("copies a file into the container", async () => {
    const source = join(configDir, "copied.txt");
    writeFileSync(source, "copied through the proxy\n");
    const copied = await cli(["cp", source, `${container}:/tmp/copied.txt`]);
    assert.equal(copied.code, 0, copied.stderr);
    const read = await cli(["exec", container, "cat", "/tmp/copied.txt"]);
    assert.equal(read.stdout, "copied through the proxy\n");
  });

  it("is refused ps", async () => {
    const result = await cli(["ps"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /not allowed/);
  });

  it("is refused run of a privileged container", async () => {
    const result = await cli(["run", "--rm", "--name", "nc_app_cli_priv", "--privileged",
      "--network", "none", engine.image, "true"]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /Privileged/);
    assert.ok(!(await engine.containerNames()).includes("nc_app_cli_priv"));
  });

  it("is refused exec into a container that is not an ExApp", async () => {
    const name = "dsp-cli-foreign";
    await engine.request("POST", `/containers/create?name=${name}`, {
      Image: engine.image, Cmd: ["sleep", "60"], HostConfig: { NetworkMode: "none" },
    });
    try {
      const result = await cli(["exec", name, "id"]);
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, /not allowed|not an ExApp/);
    } finally {
      await engine.removeAll(name);
    }
  });
});
