// The Docker API frontend in TLS mode, against the real engine: HTTPS
// including the exec hijack, what the TLS layer rejects, certificate
// reloads while clients stay connected, and start-up with a bad file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { createBody } from "../support/appapi.ts";
import { createTestAuthority } from "../support/certificates.ts";
import type { Leaf, TestAuthority } from "../support/certificates.ts";
import { connectEngine, demuxDockerStream } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { rawRequest, request, spawnProxy, startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

/** Listen address of this file's proxies; ExApp port 23000 is bound on it. */
const BIND = "127.0.0.3";
const container = "nc_app_tls_exec";

let engine: Engine;
let authority: TestAuthority;
let leafA: Leaf;
let leafB: Leaf;
let workDir: string;
let certFile: string;
let caFile: string;
let cliConfigDir: string;
let proxy: Proxy;

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(container);
  authority = await createTestAuthority();
  leafA = await authority.issue("dsp-tls-a");
  leafB = await authority.issue("dsp-tls-b", 5);
  workDir = mkdtempSync(join(tmpdir(), "dsp-tls-"));
  mkdirSync(join(workDir, "certs"));
  certFile = join(workDir, "certs", "cert.pem");
  writeFileSync(certFile, leafA.combined);
  caFile = join(workDir, "ca.pem");
  writeFileSync(caFile, authority.caCert);
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: {
      CERT_FILE: certFile,
      BIND_ADDRESS: BIND,
      EX_APPS_COUNT: "1",
      LOG_FORMAT: "json",
    },
  });
  cliConfigDir = join(workDir, "cli");
  mkdirSync(cliConfigDir);
  writeFileSync(join(cliConfigDir, "config.json"),
    JSON.stringify({ HttpHeaders: { Authorization: proxy.authHeader } }));
});

after(async () => {
  await proxy?.stop();
  await engine?.removeAll(container);
  await engine?.stop();
  authority?.remove();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

type LogEntry = Record<string, unknown>;

function logEntries(target: Proxy = proxy): LogEntry[] {
  return target.readLog().split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as LogEntry);
}

/** Polls the proxy log until `match` finds entries, for up to 5 s. */
async function waitForLog(match: (entry: LogEntry) => boolean) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const found = logEntries().filter(match);
    if (found.length > 0 || Date.now() > deadline) return found;
    await sleep(50);
  }
}

const trusted = () => ({ ca: authority.caCert });

/** Completes a TLS handshake with the Docker port and closes it. */
function handshake(options: tls.ConnectionOptions) {
  return new Promise<{ protocol: string | null; commonName: string }>(
    (resolve, reject) => {
      const socket = tls.connect({
        host: BIND, port: proxy.port, ...trusted(), ...options,
      });
      socket.once("secureConnect", () => {
        const result = {
          protocol: socket.getProtocol(),
          commonName: String(socket.getPeerCertificate().subject.CN),
        };
        socket.destroy();
        resolve(result);
      });
      socket.once("error", reject);
    });
}

/** Waits until new connections get the certificate named `commonName`. */
async function waitForCertificate(commonName: string): Promise<string> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const seen = (await handshake({})).commonName;
    if (seen === commonName || Date.now() > deadline) return seen;
    await sleep(50);
  }
}

describe("TLS docker frontend", () => {
  it("answers ping to a client trusting the CA", async () => {
    const answer = await request(proxy, { path: "/_ping", tls: trusted() });

    assert.equal(answer.status, 200);
    assert.equal(answer.body, "OK");
  });

  it("fails verification without the test CA", async () => {
    // The proxy sends the CA after the leaf, so that is what fails.
    await assert.rejects(request(proxy, { path: "/_ping" }),
      /self-signed certificate in certificate chain/);
  });

  it("closes plain HTTP without an HTTP answer", async () => {
    const answer = await rawRequest(proxy.port,
      "GET /_ping HTTP/1.1\r\nHost: dsp\r\n\r\n",
      { host: BIND, timeoutMs: 5_000 });

    assert.notEqual(answer.outcome, "timeout");
    assert.doesNotMatch(answer.text, /HTTP\/1/);
  });

  it("rejects a TLS 1.1 client", async () => {
    // SECLEVEL=0 lets this client offer TLS 1.1, so the refusal is the
    // server's protocol_version alert, not a local configuration error.
    const legacy = { ciphers: "DEFAULT@SECLEVEL=0" };

    await assert.rejects(
      handshake({ ...legacy, minVersion: "TLSv1.1", maxVersion: "TLSv1.1" }),
      (error: NodeJS.ErrnoException) => {
        assert.equal(error.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION");
        return true;
      });
    const modern = await handshake({ ...legacy, maxVersion: "TLSv1.2" });
    assert.equal(modern.protocol, "TLSv1.2");
  });

  it("runs container create and exec start", async () => {
    const created = await request(proxy, {
      method: "POST",
      path: `/containers/create?name=${container}`,
      body: createBody({ appId: "tls_exec", image: engine.image, port: 23999,
        net: "none" }),
      tls: trusted(),
    });
    assert.equal(created.status, 201, created.body);
    const started = await request(proxy, {
      method: "POST", path: `/containers/${container}/start`, tls: trusted(),
    });
    assert.equal(started.status, 204, started.body);
    const exec = await request(proxy, {
      method: "POST",
      path: `/containers/${container}/exec`,
      body: { Cmd: ["echo", "hello over tls"], AttachStdout: true,
        AttachStderr: true },
      tls: trusted(),
    });
    assert.equal(exec.status, 201, exec.body);
    const { Id: id } = JSON.parse(exec.body) as { Id: string };
    const options = JSON.stringify({ Detach: false, Tty: false });

    const hijacked = await rawRequest(proxy.port,
      `POST /exec/${id}/start HTTP/1.1\r\nHost: dsp\r\n` +
        `Authorization: ${proxy.authHeader}\r\n` +
        "Connection: Upgrade\r\nUpgrade: tcp\r\n" +
        "Content-Type: application/json\r\n" +
        `Content-Length: ${options.length}\r\n\r\n${options}`,
      { host: BIND, tls: trusted(), timeoutMs: 15_000 });

    assert.equal(hijacked.outcome, "closed");
    assert.match(hijacked.text, /^HTTP\/1\.1 101 UPGRADED\r\n/);
    const split = hijacked.data.indexOf("\r\n\r\n");
    const output = demuxDockerStream(hijacked.data.subarray(split + 4));
    assert.equal(output.stdout, "hello over tls\n");
  });

  it("returns docker CLI exec output", async () => {
    const result = await engine.dockerCli(
      ["--tlsverify", "--tlscacert", caFile, "exec", container, "echo", "cli"],
      { host: `tcp://${BIND}:${proxy.port}`, configDir: cliConfigDir,
        timeoutMs: 30_000 });

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "cli\n");
  });

  it("carries docker CLI exec -i stdin", () => {
    const result = spawnSync("docker", ["--tlsverify", "--tlscacert", caFile,
      "exec", "-i", container, "sh", "-c", "wc -c"], {
      input: "x".repeat(100_000),
      env: { PATH: process.env.PATH ?? "", DOCKER_CONFIG: cliConfigDir,
        DOCKER_HOST: `tcp://${BIND}:${proxy.port}` },
      timeout: 30_000,
      encoding: "utf8",
    });

    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), "100000");
  });
});

describe("TLS certificate reload", () => {
  const agent = () => new https.Agent({
    keepAlive: true, maxSockets: 1, ...trusted(),
  });

  /** Sends `GET /_ping` through `via` and reports the connection used. */
  function ping(via: https.Agent) {
    return new Promise<{ status: number; reused: boolean; commonName: string }>(
      (resolve, reject) => {
        const outgoing = https.request({
          host: BIND, port: proxy.port, path: "/_ping", agent: via,
          headers: { authorization: proxy.authHeader },
        }, (response) => {
          const socket = response.socket as tls.TLSSocket;
          const commonName = String(socket.getPeerCertificate().subject.CN);
          response.resume();
          response.on("end", () => resolve({
            status: response.statusCode ?? 0,
            reused: outgoing.reusedSocket,
            commonName,
          }));
        });
        outgoing.on("error", reject);
        outgoing.end();
      });
  }

  it("serves a swapped file while kept connections go on", async () => {
    const kept = agent();
    try {
      const first = await ping(kept);
      assert.equal(first.commonName, "dsp-tls-a");

      writeFileSync(`${certFile}.new`, leafB.combined);
      renameSync(`${certFile}.new`, certFile);
      const renamedAt = Date.now();
      const seen = await waitForCertificate("dsp-tls-b");
      const reloadMs = Date.now() - renamedAt;
      const again = await ping(kept);

      assert.equal(seen, "dsp-tls-b");
      assert.ok(reloadMs < 2_000, `reload took ${reloadMs} ms`);
      assert.equal(again.status, 200);
      assert.equal(again.reused, true);
      assert.equal(again.commonName, "dsp-tls-a");
    } finally {
      kept.destroy();
    }
  });

  it("warns that the swapped certificate expires soon", async () => {
    const warnings = await waitForLog((entry) =>
      entry.event === "certificate expiry" && entry.subject === "CN=dsp-tls-b");

    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]?.level, "warn");
  });

  it("keeps the certificate when the file turns to garbage", async () => {
    writeFileSync(certFile, "not a certificate\n");

    const failures = await waitForLog((entry) =>
      entry.event === "certificate reload failed");

    assert.equal(failures[0]?.level, "error");
    assert.match(String(failures[0]?.error), /no certificate found/);
    assert.equal((await handshake({})).commonName, "dsp-tls-b");
  });

  it("reloads on SIGHUP", async () => {
    writeFileSync(certFile, leafA.combined);
    const seen = await waitForCertificate("dsp-tls-a");
    assert.equal(seen, "dsp-tls-a");

    proxy.child.kill("SIGHUP");
    const reloads = await waitForLog((entry) =>
      entry.event === "certificate reloaded" && entry.trigger === "SIGHUP");

    assert.equal(reloads.length, 1);
    assert.equal(reloads[0]?.subject, "CN=dsp-tls-a");
    assert.equal(proxy.hasExited(), false);
  });
});

describe("TLS start-up", () => {
  const cases: readonly [string, () => string, RegExp][] = [
    ["no key", () => leafA.cert + authority.caCert, /no private key found/],
    ["no certificate", () => leafA.key, /no certificate found/],
    ["a key of another certificate", () => leafA.cert + leafB.key,
      /does not match the first certificate/],
  ];
  for (const [name, content, message] of cases) {
    it(`exits 1 for a file with ${name}`, async () => {
      const file = join(workDir, `bad-${name.replace(/\W+/g, "-")}.pem`);
      writeFileSync(file, content());

      await expectStartFailure(file, message);
    });
  }

  it("exits 1 for an unreadable file", async () => {
    // A folder passes the existence check that turns TLS on, then fails
    // to read; permissions would not stop the root user tests run as.
    await expectStartFailure(join(workDir, "certs"), /Cannot read CERT_FILE.*not a regular file/);
  });
});

async function expectStartFailure(file: string, message: RegExp) {
  const failed = await spawnProxy({
    socketPath: engine.socketPath,
    env: { CERT_FILE: file, BIND_ADDRESS: BIND, LOG_FORMAT: "json" },
  });
  try {
    const code = await failed.waitForExit(15_000);

    assert.equal(code, 1);
    const errors = logEntries(failed).filter((entry) =>
      entry.event === "certificate invalid");
    assert.equal(errors.length, 1, failed.readLog());
    assert.match(String(errors[0]?.error), message);
  } finally {
    await failed.stop("SIGKILL");
  }
}
