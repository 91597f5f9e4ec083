// Replays AppAPI's install, update and uninstall sequence through the
// proxy to a real engine, with bodies encoded as PHP encodes them.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  createBody,
  jsonHeaders,
  pemBlock,
  phpJson,
  tarArchive,
} from "../support/appapi.ts";
import { connectEngine, demuxDockerStream } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { request, startProxy } from "../support/proxy.ts";
import type { Proxy, ProxyRequestOptions } from "../support/proxy.ts";

const appId = "app-skeleton-python";
const container = `nc_app_${appId}`;
const volume = `${container}_data`;
/** AppAPI copies one tar per certificate; real bundles have about 140. */
const CERTIFICATE_COUNT = 25;

let engine: Engine;
let proxy: Proxy;
let v: string;

async function send(options: ProxyRequestOptions) {
  return request(proxy, options);
}

async function exec(cmd: string[]) {
  const created = await send({
    method: "POST",
    path: `${v}/containers/${container}/exec`,
    headers: jsonHeaders,
    body: phpJson({ Cmd: cmd, AttachStdout: true, AttachStderr: true }),
  });
  assert.equal(created.status, 201, created.body);
  const { Id } = JSON.parse(created.body) as { Id: string };
  const started = await send({
    method: "POST",
    path: `${v}/exec/${Id}/start`,
    headers: jsonHeaders,
    body: phpJson({ Detach: false, Tty: false }),
  });
  assert.equal(started.status, 200, started.body);
  // Framed as the engine framed it: no length, ended by closing.
  assert.equal(started.headers["transfer-encoding"], undefined);
  assert.equal(started.headers["content-length"], undefined);
  assert.equal(started.headers.connection, "close");
  return demuxDockerStream(started.rawBody);
}

/**
 * Decisions the proxy logged for requests whose path contains `part`;
 * waits briefly, since a line is written once the connection is done.
 */
async function decisions(part: string): Promise<string[]> {
  let found: string[] = [];
  for (let i = 0; i < 40 && found.length === 0; i++) {
    if (i > 0) await sleep(50);
    found = proxy.readLog().split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, string>)
      .filter((entry) => entry.event === "request" && entry.path?.includes(part))
      .map((entry) => entry.decision ?? "");
  }
  return found;
}

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(container);
  const version = JSON.parse((await engine.request("GET", "/version")).body);
  // AppAPI sends its own API version; this engine's is what it accepts.
  v = `/v${(version as { ApiVersion: string }).ApiVersion}`;
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: { LOG_FORMAT: "json", ALLOWED_BIND_SOURCES: "/srv/models" },
  });
});

after(async () => {
  await proxy?.stop();
  await engine?.removeAll(container);
  await engine?.stop();
});

describe("AppAPI deploy sequence", () => {
  it("passes the image pull and reports the engine's own failure", async () => {
    // Nothing listens on 127.0.0.1:1, so the engine fails the pull fast.
    const ref = encodeURIComponent("127.0.0.1:1/nextcloud/app:1.0-cpu");
    const pulled = await send({ method: "POST", path: `${v}/images/create?fromImage=${ref}` });
    assert.notEqual(pulled.status, 403, pulled.body);
    assert.deepEqual(await decisions("/images/create"), ["allow"]);
    const inspected = await send({ path: `${v}/images/${engine.image}/json` });
    assert.equal(inspected.status, 200, inspected.body);
  });

  it("installs: volume, create, certificates, start, health", async () => {
    const missing = await send({ path: `${v}/containers/${container}/json` });
    assert.equal(missing.status, 404);
    const created = await send({
      method: "POST", path: `${v}/volumes/create`, headers: jsonHeaders,
      body: phpJson({ name: volume }),
    });
    assert.equal(created.status, 201, created.body);
    assert.equal((await send({ method: "HEAD", path: "/_ping" })).status, 200);
    assert.equal((await send({ path: "/version" })).status, 200);
    const body = createBody({ appId, image: engine.image, port: 23000 });
    const made = await send({
      method: "POST", path: `${v}/containers/create?name=${container}`,
      headers: jsonHeaders, body: phpJson(body),
    });
    assert.equal(made.status, 201, made.body);

    const start = await send({ method: "POST", path: `${v}/containers/${container}/start` });
    assert.equal(start.status, 204, start.body);
    const osRelease = await exec(["cat", "/etc/os-release"]);
    assert.match(osRelease.stdout, /debian/);
    await exec(["mkdir", "-p", "/usr/local/share/ca-certificates"]);
    for (let i = 0; i < CERTIFICATE_COUNT; i++) {
      const tar = tarArchive({
        [`usr/local/share/ca-certificates/custom_cert_${i}.crt`]: pemBlock(i),
      });
      const copied = await send({
        method: "PUT", path: `${v}/containers/${container}/archive?path=%2F`,
        headers: { "content-type": "application/x-tar" }, body: tar,
      });
      assert.equal(copied.status, 200, copied.body);
    }
    const listed = await exec(["ls", "/usr/local/share/ca-certificates"]);
    assert.equal(listed.stdout.trim().split("\n").length, CERTIFICATE_COUNT);
    assert.match(listed.stdout, /custom_cert_24\.crt/);
    const stop = await send({ method: "POST", path: `${v}/containers/${container}/stop` });
    assert.equal(stop.status, 204, stop.body);

    const restart = await send({ method: "POST", path: `${v}/containers/${container}/start` });
    assert.equal(restart.status, 204, restart.body);
    let state: { Status?: string; Health?: unknown } = {};
    for (let i = 0; i < 50 && state.Status !== "running"; i++) {
      const inspected = await send({ path: `${v}/containers/${container}/json` });
      state = (JSON.parse(inspected.body) as { State: typeof state }).State;
      if (state.Status !== "running") await sleep(100);
    }
    assert.equal(state.Status, "running");
    assert.equal(state.Health, undefined);
  });

  it("keeps the exact volume mount and environment it checked", async () => {
    const inspected = JSON.parse((await engine.request("GET", `/containers/${container}/json`)).body);
    assert.deepEqual(inspected.Mounts.map((m: { Name: string }) => m.Name), [volume]);
    assert.ok(inspected.Config.Env.includes("APP_DISPLAY_NAME=Test App Ünïcode"));
    assert.equal(inspected.HostConfig.Privileged, false);
  });

  it("downloads the logs", async () => {
    const logs = await send({
      path: `${v}/containers/${container}/logs?stdout=true&stderr=true&tail=all`,
    });
    assert.equal(logs.status, 200, logs.body);
  });

  it("updates: removes the old container by force and recreates it", async () => {
    const inspected = await send({ path: `${v}/containers/${container}/json` });
    assert.ok((JSON.parse(inspected.body) as { Id?: string }).Id);
    const removed = await send({ method: "DELETE", path: `${v}/containers/${container}?force=true` });
    assert.equal(removed.status, 204, removed.body);
    const again = await send({
      method: "POST", path: `${v}/volumes/create`, headers: jsonHeaders,
      body: phpJson({ name: volume }),
    });
    assert.equal(again.status, 201, again.body);
    const made = await send({
      method: "POST", path: `${v}/containers/create?name=${container}`, headers: jsonHeaders,
      body: phpJson(createBody({ appId, image: engine.image, port: 23000 })),
    });
    assert.equal(made.status, 201, made.body);
  });

  it("uninstalls: stop, remove, remove the data volume", async () => {
    const stop = await send({ method: "POST", path: `${v}/containers/${container}/stop` });
    assert.ok([204, 304].includes(stop.status), stop.body);
    const removed = await send({ method: "DELETE", path: `${v}/containers/${container}?force=true` });
    assert.equal(removed.status, 204, removed.body);
    const dropped = await send({
      method: "DELETE", path: `${v}/volumes/${volume}`, headers: jsonHeaders,
      body: phpJson({ name: volume }),
    });
    assert.equal(dropped.status, 204, dropped.body);
    assert.deepEqual((await engine.containerNames()).filter((n) => n.startsWith(container)), []);
    assert.deepEqual((await engine.volumeNames()).filter((n) => n.startsWith(container)), []);
  });
});

describe("AppAPI create bodies for GPUs, ports and mounts", () => {
  const shapes: readonly [string, Parameters<typeof createBody>[0]][] = [
    ["NVIDIA device request", {
      appId: "gpu_nvidia", image: "", port: 23001,
      env: ["NVIDIA_VISIBLE_DEVICES=all", "NVIDIA_DRIVER_CAPABILITIES=compute,utility"],
      hostConfig: {
        DeviceRequests: [{ Driver: "nvidia", Count: -1, Capabilities: [["compute", "utility"]] }],
        Memory: 17179869184, NanoCPUs: 4000000000,
      },
    }],
    ["CDI device request", {
      appId: "gpu_cdi", image: "", port: 23002,
      hostConfig: { DeviceRequests: [{ Driver: "cdi", DeviceIDs: ["nvidia.com/gpu=all"] }] },
    }],
    ["ROCm devices", {
      appId: "gpu_rocm", image: "", port: 23003,
      hostConfig: {
        Devices: [
          { PathOnHost: "/dev/kfd", PathInContainer: "/dev/kfd", CgroupPermissions: "rwm" },
          { PathOnHost: "/dev/dri", PathInContainer: "/dev/dri", CgroupPermissions: "rwm" },
        ],
      },
    }],
    ["port bindings on loopback with an admin bind mount", {
      appId: "ports_app", image: "", port: 23004, net: "none", aliases: true,
      exposedPorts: { "23004/tcp": {}, "23004/udp": {} },
      extraMounts: [{ Source: "/srv/models", Target: "/models", Type: "bind", ReadOnly: true }],
      hostConfig: {
        PortBindings: {
          "23004/tcp": [{ HostPort: "23004", HostIp: "127.0.0.1" }, { HostPort: "23004", HostIp: "::1" }],
          "23004/udp": [{ HostPort: "23004", HostIp: "127.0.0.1" }, { HostPort: "23004", HostIp: "::1" }],
        },
      },
    }],
  ];
  for (const [name, input] of shapes) {
    it(`lets the ${name} body through the policy`, async () => {
      const name_ = `nc_app_${input.appId}`;
      const body = createBody({ ...input, image: engine.image });
      const answer = await send({
        method: "POST", path: `${v}/containers/create?name=${name_}`,
        headers: jsonHeaders, body: phpJson(body),
      });
      // The engine may lack the device or path; only the policy verdict counts.
      assert.deepEqual(await decisions(`name=${name_}`), ["allow"], answer.body);
      await engine.removeAll(name_);
    });
  }
});
