// The ExApp frontends of TLS mode: ports 23000 and up, each forwarding
// to the same port on EX_APPS_NET after the proxy's ban check and auth.
// The ExApps are small node:http servers on 127.0.0.1 (echo, slow,
// streaming, WebSocket) and one busybox httpd container on the host
// network of the test engine.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createTestAuthority } from "../support/certificates.ts";
import type { TestAuthority } from "../support/certificates.ts";
import { openConversation } from "../support/conversation.ts";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import {
  echoHandler,
  readTextFrame,
  slowHandler,
  startExApp,
  stopExApp,
  streamingHandler,
  textFrame,
  websocketAccept,
} from "../support/exapp-servers.ts";
import type { Echo } from "../support/exapp-servers.ts";
import {
  NC_HAPROXY_PASSWORD,
  rawRequest,
  request,
  startProxy,
} from "../support/proxy.ts";
import type { Proxy, ProxyRequestOptions } from "../support/proxy.ts";

/** Listen address of the main proxy; the ExApps use 127.0.0.1. */
const BIND = "127.0.0.2";
const ECHO_PORT = 23000;
const SLOW_PORT = 23001;
const STREAM_PORT = 23002;
const WEBSOCKET_PORT = 23003;
/** Nothing listens here. */
const DOWN_PORT = 23004;
const HTTPD_PORT = 23005;
const EXAPP_COUNT = 6;
const HTTPD_CONTAINER = "dsp-e2e-exapp-httpd";
const PROXY_TOKEN = Buffer.from(`app_api_haproxy_user:${NC_HAPROXY_PASSWORD}`)
  .toString("base64");

let engine: Engine;
let authority: TestAuthority;
let workDir: string;
let certFile: string;
let proxy: Proxy;
const exApps: Server[] = [];

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(HTTPD_CONTAINER);
  authority = await createTestAuthority();
  const leaf = await authority.issue("dsp-exapps");
  workDir = mkdtempSync(join(tmpdir(), "dsp-exapps-"));
  certFile = join(workDir, "cert.pem");
  writeFileSync(certFile, leaf.combined);
  exApps.push(
    await startExApp(ECHO_PORT, echoHandler),
    await startExApp(SLOW_PORT, slowHandler(3_000)),
    await startExApp(STREAM_PORT, streamingHandler(12, 200)),
    await startExApp(WEBSOCKET_PORT, echoHandler, true),
  );
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: {
      CERT_FILE: certFile,
      BIND_ADDRESS: BIND,
      EX_APPS_COUNT: String(EXAPP_COUNT),
      EX_APPS_NET: "localhost",
      TIMEOUT_SERVER: "1s",
      TIMEOUT_CLIENT: "3s",
      BAN_WINDOW: "1m",
      BAN_DURATION: "1m",
      LOG_FORMAT: "json",
    },
  });
});

after(async () => {
  await proxy?.stop();
  await Promise.all(exApps.map(stopExApp));
  await engine?.removeAll(HTTPD_CONTAINER);
  await engine?.stop();
  authority?.remove();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

const trusted = () => ({ ca: authority.caCert });

function exApp(port: number, options: Partial<ProxyRequestOptions> = {}) {
  return request(proxy, { path: "/", ...options, port, tls: trusted() });
}

async function echo(options: Partial<ProxyRequestOptions> = {}) {
  const answer = await exApp(ECHO_PORT, options);
  assert.equal(answer.status, 200, answer.body);
  return { answer, echo: JSON.parse(answer.body) as Echo };
}

describe("ExApp frontend headers", () => {
  it("moves X-Original-Authorization into Authorization", async () => {
    const { echo: seen } = await echo({
      path: "/api/v1/status?full=1",
      headers: { "x-original-authorization": "Bearer user-token" },
    });

    assert.equal(seen.url, "/api/v1/status?full=1");
    assert.equal(seen.headers.authorization, "Bearer user-token");
    assert.equal(seen.headers["x-original-authorization"], undefined);
  });

  it("removes the proxy password without an original", async () => {
    const { answer, echo: seen } = await echo({ headers: { "ex-app-id": "app" } });

    assert.equal(seen.headers.authorization, undefined);
    assert.equal(seen.headers["ex-app-id"], "app");
    assert.ok(!answer.body.includes(PROXY_TOKEN));
  });

  it("drops hop-by-hop headers both ways", async () => {
    const { answer, echo: seen } = await echo({
      headers: {
        connection: "keep-alive, x-hop",
        "x-hop": "1",
        "keep-alive": "timeout=5",
        te: "trailers",
        "x-end": "1",
      },
    });

    assert.equal(seen.headers["x-end"], "1");
    assert.equal(seen.headers["x-hop"], undefined);
    assert.equal(seen.headers["keep-alive"], undefined);
    assert.equal(seen.headers.te, undefined);
    assert.equal(answer.headers["x-hop-answer"], undefined);
  });

  it("reaches an IPv4-only ExApp through localhost", async () => {
    // EX_APPS_NET=localhost here; the echo ExApp listens on 127.0.0.1
    // only. Where localhost resolves to ::1 first, this needs the
    // fallback to the next address.
    const { echo: seen } = await echo();

    assert.equal(seen.localAddress, "127.0.0.1");
  });

  it("reaches an ExApp at ipv4@127.0.0.1", async () => {
    const forced = await startProxy({
      socketPath: engine.socketPath,
      env: {
        CERT_FILE: certFile,
        BIND_ADDRESS: "127.0.0.4",
        EX_APPS_COUNT: "1",
        EX_APPS_NET: "ipv4@127.0.0.1",
      },
    });
    try {
      const answer = await request(forced,
        { path: "/forced", port: ECHO_PORT, tls: trusted() });

      assert.equal(answer.status, 200, answer.body);
      assert.equal((JSON.parse(answer.body) as Echo).url, "/forced");
    } finally {
      await forced.stop();
    }
  });
});

describe("ExApp frontend auth and bans", () => {
  const source = "127.0.0.20";
  const wrong = `Basic ${Buffer.from("app_api_haproxy_user:wrong").toString("base64")}`;
  const ping = (authorization: string) =>
    `GET / HTTP/1.1\r\nHost: dsp\r\nAuthorization: ${authorization}\r\n\r\n`;

  it("answers a wrong password with the AppAPI challenge", async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const answer = await exApp(ECHO_PORT, {
        auth: false, headers: { authorization: wrong }, localAddress: source,
      });

      assert.equal(answer.status, 401, `attempt ${attempt}`);
      assert.equal(answer.headers["www-authenticate"], 'Basic realm="AppAPI"');
    }
  });

  it("holds the sixth bad attempt without an answer", async () => {
    const sixth = await rawRequest(ECHO_PORT, ping(wrong), {
      host: BIND, localAddress: source, tls: trusted(), timeoutMs: 1_000,
    });

    assert.equal(sixth.outcome, "timeout");
    assert.equal(sixth.data.length, 0);
  });

  it("holds the banned source with the right password", async () => {
    const answer = await rawRequest(ECHO_PORT, ping(proxy.authHeader), {
      host: BIND, localAddress: source, tls: trusted(), timeoutMs: 1_000,
    });

    assert.equal(answer.outcome, "timeout");
    assert.equal(answer.data.length, 0);
  });

  it("holds the banned source on the Docker port", async () => {
    const answer = await rawRequest(proxy.port, ping(proxy.authHeader), {
      host: BIND, localAddress: source, tls: trusted(), timeoutMs: 1_000,
    });

    assert.equal(answer.outcome, "timeout");
    assert.equal(answer.data.length, 0);
  });

  it("rejects an upgrade without credentials", async () => {
    const answer = await rawRequest(WEBSOCKET_PORT,
      "GET /ws HTTP/1.1\r\nHost: dsp\r\nConnection: Upgrade\r\n" +
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      { host: BIND, localAddress: "127.0.0.21", tls: trusted() });

    assert.match(answer.text, /^HTTP\/1\.1 401 /);
    assert.match(answer.text, /\r\nWWW-Authenticate: Basic realm="AppAPI"\r\n/i);
  });
});

describe("ExApp frontend timeouts and failures", () => {
  it("returns 504 when the ExApp outlasts TIMEOUT_SERVER", async () => {
    const started = Date.now();
    const answer = await exApp(SLOW_PORT);
    const elapsedMs = Date.now() - started;

    assert.equal(answer.status, 504);
    assert.deepEqual(JSON.parse(answer.body), {
      message: `Timed out waiting for the ExApp at localhost:${SLOW_PORT}`,
    });
    assert.ok(elapsedMs >= 900, `took ${elapsedMs} ms`);
    assert.ok(elapsedMs < 2_500, `took ${elapsedMs} ms`);
  });

  it("keeps a moving answer past TIMEOUT_SERVER", async () => {
    const started = Date.now();
    const answer = await exApp(STREAM_PORT);
    const elapsedMs = Date.now() - started;

    assert.equal(answer.status, 200);
    assert.equal(answer.body.split("\n").filter(Boolean).length, 12);
    assert.ok(elapsedMs > 2_000, `took ${elapsedMs} ms`);
  });

  it("closes a stalled upload after TIMEOUT_CLIENT", async () => {
    const talk = await openConversation({
      host: BIND, port: ECHO_PORT, ...trusted(),
    });
    try {
      const started = Date.now();
      talk.write("POST /stalled HTTP/1.1\r\nHost: dsp\r\n" +
        `Authorization: ${proxy.authHeader}\r\nContent-Length: 10\r\n\r\nabc`);
      await talk.closed();
      const elapsedMs = Date.now() - started;

      assert.ok(elapsedMs >= 2_500, `took ${elapsedMs} ms`);
      assert.ok(elapsedMs < 6_000, `took ${elapsedMs} ms`);
      assert.equal(talk.received().length, 0);
    } finally {
      talk.close();
    }
  });

  it("waits for a slow ExApp past TIMEOUT_CLIENT", async () => {
    // The client has sent everything, so only TIMEOUT_SERVER may end
    // the wait: a long TIMEOUT_SERVER for a slow ExApp must hold even
    // when TIMEOUT_CLIENT is shorter.
    const patient = await startProxy({
      socketPath: engine.socketPath,
      env: {
        CERT_FILE: certFile,
        BIND_ADDRESS: "127.0.0.5",
        EX_APPS_COUNT: String(SLOW_PORT - ECHO_PORT + 1),
        TIMEOUT_CLIENT: "1s",
        TIMEOUT_SERVER: "5s",
      },
    });
    try {
      const answer = await request(patient,
        { path: "/", port: SLOW_PORT, tls: trusted() });

      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.body, "late\n");
    } finally {
      await patient.stop();
    }
  });

  it("returns 502 when the ExApp is down", async () => {
    const answer = await exApp(DOWN_PORT);

    assert.equal(answer.status, 502);
    assert.match((JSON.parse(answer.body) as { message: string }).message,
      new RegExp(`^Cannot reach the ExApp at localhost:${DOWN_PORT} .*ECONNREFUSED`));
  });
});

describe("ExApp frontend bodies and upgrades", () => {
  it("streams a chunked upload", async () => {
    const chunk = Buffer.alloc(64 * 1024, "a");
    const chunks = 64;
    const expected = createHash("sha256");
    for (let i = 0; i < chunks; i++) expected.update(chunk);

    const seen = await new Promise<Echo>((resolve, reject) => {
      const outgoing = https.request({
        host: BIND, port: ECHO_PORT, method: "POST", path: "/upload",
        headers: { authorization: proxy.authHeader }, ...trusted(),
      }, (response) => {
        const parts: Buffer[] = [];
        response.on("data", (part: Buffer) => parts.push(part));
        response.on("end", () => resolve(JSON.parse(Buffer.concat(parts)
          .toString("utf8")) as Echo));
      });
      outgoing.on("error", reject);
      for (let i = 0; i < chunks; i++) outgoing.write(chunk);
      outgoing.end();
    });

    assert.equal(seen.headers["transfer-encoding"], "chunked");
    assert.equal(seen.bodyBytes, chunk.length * chunks);
    assert.equal(seen.bodySha256, expected.digest("hex"));
  });

  it("relays 100 Continue before the body", async () => {
    const talk = await openConversation({
      host: BIND, port: ECHO_PORT, ...trusted(),
    });
    try {
      talk.write("POST /expect HTTP/1.1\r\nHost: dsp\r\n" +
        `Authorization: ${proxy.authHeader}\r\nContent-Length: 5\r\n` +
        "Expect: 100-continue\r\n\r\n");
      const interim = await talk.waitFor(/\r\n\r\n/);
      assert.match(interim.toString("latin1"), /^HTTP\/1\.1 100 Continue\r\n\r\n$/);
      talk.clear();
      talk.write("hello");
      const final = (await talk.waitFor(/"bodySha256"/)).toString("latin1");

      assert.match(final, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(final, /"bodyBytes":5/);
      assert.match(final, /"expect":"100-continue"/);
    } finally {
      talk.close();
    }
  });

  it("passes a WebSocket echo round trip", async () => {
    const talk = await openConversation({
      host: BIND, port: WEBSOCKET_PORT, ...trusted(),
    });
    const key = "dGhlIHNhbXBsZSBub25jZQ==";
    try {
      talk.write("GET /ws HTTP/1.1\r\nHost: dsp\r\n" +
        `Authorization: ${proxy.authHeader}\r\nConnection: Upgrade\r\n` +
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        `Sec-WebSocket-Key: ${key}\r\n\r\n`);
      const head = (await talk.waitFor(/\r\n\r\n/)).toString("latin1");
      assert.match(head, /^HTTP\/1\.1 101 /);
      assert.match(head, new RegExp(`\r\nSec-WebSocket-Accept: ${
        websocketAccept(key).replace(/[+/]/g, "\\$&")}\r\n`, "i"));
      assert.match(head, /\r\nX-Seen-Authorization: none\r\n/i);
      talk.clear();

      talk.write(textFrame("ping through the proxy", true));
      const frame = await talk.waitFor(2 + "echo: ping through the proxy".length);

      assert.equal(readTextFrame(frame), "echo: ping through the proxy");
    } finally {
      talk.close();
    }
  });
});

describe("ExApp frontend with a container", () => {
  it("serves busybox httpd on the host network", async () => {
    const run = await engine.dockerCli(["run", "-d", "--name", HTTPD_CONTAINER,
      "--network", "host", engine.image, "sh", "-c",
      "mkdir -p /www && echo hello from httpd > /www/index.html && " +
        `exec httpd -f -p 127.0.0.1:${HTTPD_PORT} -h /www`]);
    assert.equal(run.code, 0, run.stderr);

    let answer = await exApp(HTTPD_PORT, { path: "/index.html" });
    const deadline = Date.now() + 15_000;
    while (answer.status === 502 && Date.now() < deadline) {
      await sleep(100);
      answer = await exApp(HTTPD_PORT, { path: "/index.html" });
    }

    assert.equal(answer.status, 200, answer.body);
    assert.equal(answer.body, "hello from httpd\n");
  });
});

describe("ExApp frontend ports", () => {
  it("skips a port another process holds", async () => {
    const address = "127.0.0.6";
    const blocker = net.createServer();
    await new Promise<void>((resolve) =>
      blocker.listen({ host: address, port: SLOW_PORT }, resolve));
    let partial: Proxy | undefined;
    try {
      partial = await startProxy({
        socketPath: engine.socketPath,
        env: {
          CERT_FILE: certFile,
          BIND_ADDRESS: address,
          EX_APPS_COUNT: "2",
          LOG_FORMAT: "json",
        },
      });
      const answer = await request(partial,
        { path: "/still-served", port: ECHO_PORT, tls: trusted() });
      const failures = partial.readLog().split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, string>)
        .filter((entry) => entry.event === "listen failed");

      assert.equal(answer.status, 200, answer.body);
      assert.equal(failures.length, 1);
      assert.equal(failures[0]?.frontend, `exapp:${SLOW_PORT}`);
      assert.match(failures[0]?.error ?? "", /EADDRINUSE/);
    } finally {
      await partial?.stop();
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe("ExApp frontend access log", () => {
  it("logs each request with its ExApp port", async () => {
    await exApp(ECHO_PORT, { path: "/logged-request" });

    const deadline = Date.now() + 5_000;
    let lines: Record<string, unknown>[] = [];
    while (lines.length === 0 && Date.now() < deadline) {
      lines = proxy.readLog().split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.path === "/logged-request");
      if (lines.length === 0) await sleep(50);
    }

    assert.equal(lines.length, 1);
    assert.equal(lines[0]?.frontend, `exapp:${ECHO_PORT}`);
    assert.equal(lines[0]?.status, 200);
    assert.equal(lines[0]?.decision, "allow");
  });
});
