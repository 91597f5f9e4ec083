// Attacks on TLS mode: the ExApp ports (credentials, framing, targets,
// malicious ExApps, floods, upgrades, bans), the TLS layer itself
// (versions, slow and half-open handshakes, renegotiation, SNI),
// certificate reloads, and the Docker API port over TLS against the real
// engine. The ExApps are raw loopback servers that record every byte
// they get, so a row can check what reached an ExApp and what did not.
// A row that fails marks a hole; it stays in the table.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { once } from "node:events";
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { engineState } from "../support/attack-engine.ts";
import { chunked, exchangeRaw, rawHttp, trickle } from "../support/attack-http.ts";
import type { RawExchange, RawRequestParts } from "../support/attack-http.ts";
import {
  captureClientHello,
  echoHead,
  exchangeTls,
  flood,
  replyWith,
  residentBytes,
  silent,
  startRecordingExApp,
  switchAndEcho,
} from "../support/attack-tls-exapp.ts";
import type { RecordingExApp, Responder } from "../support/attack-tls-exapp.ts";
import { createTestAuthority } from "../support/certificates.ts";
import type { Leaf, TestAuthority } from "../support/certificates.ts";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { NC_HAPROXY_PASSWORD, startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

/** Listen address of the main proxy; the test certificate names it. */
const BIND = "127.0.0.7";
/** Listen address of the proxies that a row starts for itself. */
const OTHER_BIND = "127.0.0.8";
/** Where the ExApps listen (EX_APPS_NET); the proxy speaks plain HTTP there. */
const EXAPP_HOST = "127.0.0.10";
/** A server no request may ever reach: it stands for any other host. */
const CANARY_HOST = "127.0.0.11";
const EXAPP_PORT = 23000;
/** Second ExApp port, with its own ExApp, for the resource rows. */
const FLOOD_PORT = 23001;
const TIMEOUT_MS = 1_500;
const PREFIX = "nc_app_rttls";
const LIVE = `${PREFIX}_live`;
const TOKEN = Buffer.from(`app_api_haproxy_user:${NC_HAPROXY_PASSWORD}`).toString("base64");
const WRONG = `Basic ${Buffer.from("app_api_haproxy_user:wrong").toString("base64")}`;
/** A browser credential as AppAPI copies it; it must never reach the log. */
const BROWSER_AUTH = "Bearer browser-secret-7f3a";

let engine: Engine;
let authority: TestAuthority;
let leafA: Leaf;
let leafB: Leaf;
let workDir: string;
let certFile: string;
let main: Proxy;
let exApp: RecordingExApp;
let floodExApp: RecordingExApp;
let canary: RecordingExApp;
let hello: Buffer;
const proxies: Proxy[] = [];

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(PREFIX);
  authority = await createTestAuthority();
  leafA = await authority.issue("dsp-rt-a");
  leafB = await authority.issue("dsp-rt-b");
  workDir = mkdtempSync(join(tmpdir(), "dsp-rt-tls-"));
  certFile = join(workDir, "cert.pem");
  writeFileSync(certFile, leafA.combined);
  exApp = await startRecordingExApp(EXAPP_HOST, EXAPP_PORT);
  floodExApp = await startRecordingExApp(EXAPP_HOST, FLOOD_PORT);
  canary = await startRecordingExApp(CANARY_HOST, EXAPP_PORT);
  hello = await captureClientHello();
  main = await startProxy({
    socketPath: engine.socketPath,
    env: {
      CERT_FILE: certFile,
      BIND_ADDRESS: BIND,
      EX_APPS_COUNT: "3",
      EX_APPS_NET: EXAPP_HOST,
      TIMEOUT_CLIENT: `${TIMEOUT_MS}ms`,
      TIMEOUT_SERVER: `${TIMEOUT_MS}ms`,
      BAN_WINDOW: "1m",
      BAN_DURATION: "1m",
      LOG_FORMAT: "json",
    },
  });
  proxies.push(main);
});

after(async () => {
  for (const proxy of proxies) await proxy.stop("SIGKILL");
  await Promise.all([exApp, floodExApp, canary].map((server) => server?.close()));
  await engine?.removeAll(PREFIX).catch(() => {});
  await engine?.stop();
  authority?.remove();
  if (workDir !== undefined) rmSync(workDir, { recursive: true, force: true });
});

/** One request header, name and value. */
type Header = readonly [string, string];

function describeExchange(result: RawExchange): string {
  return `${result.end} after ${result.elapsedMs} ms: ` +
    JSON.stringify(result.data.subarray(0, 300).toString("latin1"));
}

/** Sends `bytes` over verified TLS to `port` of `proxy` (main by default). */
function sendTls(port: number, bytes: string | Buffer, options: {
  proxy?: Proxy;
  localAddress?: string;
  timeoutMs?: number;
  stopWhen?: (data: Buffer) => boolean;
} = {}): Promise<RawExchange> {
  const { proxy, ...rest } = options;
  return exchangeTls(bytes, {
    host: proxy?.host ?? BIND, port, ca: authority.caCert, timeoutMs: 4_000, ...rest,
  });
}

/** Raw request bytes with `Connection: close`; credentials unless `auth` is "". */
function request(parts: Omit<RawRequestParts, "close" | "auth"> & { auth?: string }): Buffer {
  const { auth, ...rest } = parts;
  const credentials = auth === "" ? {} : { auth: auth ?? main.authHeader };
  return rawHttp({ ...rest, close: true, ...credentials });
}

function statusOf(result: RawExchange): number | undefined {
  return result.responses[0]?.status;
}

/** Request lines an ExApp received, on every connection. */
function requestLines(received: string): string[] {
  return received.match(/^[A-Z]+ \S+ HTTP\/1\.[01]\r$/gm) ?? [];
}

/**
 * Splits what an ExApp received into requests the way an HTTP/1.1
 * server reads them: a head, then a body framed by Content-Length or
 * chunked encoding. Bytes after an unframed head start a new request,
 * which is what smuggling looks like from the ExApp's side.
 */
function parseRequests(received: string): string[] {
  const heads: string[] = [];
  let rest = received;
  while (rest.length > 0) {
    const end = rest.indexOf("\r\n\r\n");
    if (end < 0) break;
    const head = rest.slice(0, end);
    heads.push(head);
    rest = rest.slice(end + 4);
    const length = headerValues(`${head}\r`, "content-length")[0];
    if (length !== undefined) {
      rest = rest.slice(Number(length));
    } else if (/^transfer-encoding:.*chunked/im.test(head)) {
      if (rest.startsWith("0\r\n\r\n")) {
        rest = rest.slice(5);
      } else {
        const last = rest.indexOf("\r\n0\r\n\r\n");
        rest = last < 0 ? "" : rest.slice(last + 7);
      }
    }
  }
  return heads;
}

/** Values of one header, matched case-insensitively, in a raw head. */
function headerValues(head: string, name: string): string[] {
  const pattern = new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*\\r$`, "gim");
  return [...head.matchAll(pattern)].map((match) => match[1] ?? "");
}

/** Checks that nothing in `text` carries the proxy's credentials. */
function assertNoProxyCredentials(text: string, context: string) {
  assert.ok(!text.includes(TOKEN), `proxy token passed on: ${context}`);
  assert.ok(!text.includes(NC_HAPROXY_PASSWORD), `proxy password passed on: ${context}`);
}

/** Waits until `check` passes, for up to `timeoutMs`. */
async function eventually(check: () => boolean, timeoutMs = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function useResponder(server: RecordingExApp, responder: Responder) {
  server.reset();
  server.respondWith(responder);
}

// --- Credentials on the way to the ExApp ---------------------------------

type CredentialRow = readonly [name: string, headers: readonly Header[],
  authorization: string | undefined];

const credentialRows: readonly CredentialRow[] = [
  ["proxy credentials alone are removed", [], undefined],
  ["lower-case authorization is removed", [["authorization", `Basic ${TOKEN}`]], undefined],
  ["upper-case AUTHORIZATION is removed", [["AUTHORIZATION", `Basic ${TOKEN}`]], undefined],
  ["X-Original-Authorization replaces it",
    [["X-Original-Authorization", BROWSER_AUTH]], BROWSER_AUTH],
  ["x-original-authorization in lower case",
    [["x-original-authorization", BROWSER_AUTH]], BROWSER_AUTH],
  ["X-ORIGINAL-AUTHORIZATION in upper case",
    [["X-ORIGINAL-AUTHORIZATION", BROWSER_AUTH]], BROWSER_AUTH],
  ["two X-Original-Authorization headers give one",
    [["X-Original-Authorization", "Bearer first"], ["X-Original-Authorization", BROWSER_AUTH]],
    BROWSER_AUTH],
  ["empty X-Original-Authorization", [["X-Original-Authorization", ""]], undefined],
  ["Proxy-Authorization with the proxy token",
    [["Proxy-Authorization", `Basic ${TOKEN}`]], undefined],
  ["Authorization named in Connection", [["Connection", "authorization"]], undefined],
  ["X-Original-Authorization named in Connection",
    [["Connection", "x-original-authorization"], ["X-Original-Authorization", BROWSER_AUTH]],
    BROWSER_AUTH],
];

describe("ExApp credentials", () => {
  for (const [name, headers, authorization] of credentialRows) {
    it(`credentials: ${name}`, async () => {
      useResponder(exApp, echoHead(0));
      // A row that sends its own Authorization gets no second one.
      const own = headers.some(([header]) => /^authorization$/i.test(header));
      const result = await sendTls(EXAPP_PORT, request({ method: "GET", target: "/status",
        headers, ...(own ? { auth: "" } : {}) }));

      assert.equal(statusOf(result), 200, describeExchange(result));
      const received = exApp.received();
      assert.equal(requestLines(received).length, 1, received);
      assertNoProxyCredentials(received, received);
      assert.deepEqual(headerValues(received, "x-original-authorization"), []);
      assert.deepEqual(headerValues(received, "proxy-authorization"), []);
      assert.deepEqual(headerValues(received, "authorization"),
        authorization === undefined ? [] : [authorization]);
    });
  }
});

// --- Request framing on the ExApp ports ----------------------------------

interface FramingRow {
  readonly name: string;
  readonly bytes: () => Buffer;
  readonly status: number;
  /** Requests the ExApp may receive: 0 for a refusal, else 1. */
  readonly requests: 0 | 1;
}

const smuggled = "GET /smuggled HTTP/1.1\r\nHost: exapp\r\nX-Smuggled: 1\r\n\r\n";
const head = (lines: string) => () =>
  Buffer.from(`POST /upload HTTP/1.1\r\nHost: dsp\r\nAuthorization: ${main.authHeader}\r\n` +
    `${lines}Connection: close\r\n\r\nhello`, "latin1");

const framingRows: readonly FramingRow[] = [
  { name: "Content-Length with Transfer-Encoding", status: 400, requests: 0,
    bytes: head("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n") },
  { name: "two different Content-Length headers", status: 400, requests: 0,
    bytes: head("Content-Length: 5\r\nContent-Length: 6\r\n") },
  { name: "Transfer-Encoding chunked, identity", status: 400, requests: 0,
    bytes: head("Transfer-Encoding: chunked, identity\r\n") },
  { name: "Content-Length with a plus sign", status: 400, requests: 0,
    bytes: head("Content-Length: +5\r\n") },
  { name: "obsolete line folding", status: 400, requests: 0,
    bytes: head("X-Fold: a\r\n Transfer-Encoding: chunked\r\nContent-Length: 5\r\n") },
  { name: "bare LF line ends", status: 400, requests: 0,
    bytes: () => Buffer.from(`GET / HTTP/1.1\nHost: dsp\nAuthorization: ${main.authHeader}\n\n`) },
  { name: "HTTP/0.9 request line", status: 400, requests: 0,
    bytes: () => Buffer.from("GET /\r\n\r\n") },
  { name: "POST with a chunked body", status: 200, requests: 1,
    bytes: () => request({ method: "POST", target: "/first",
      headers: [["Transfer-Encoding", "chunked"]], body: chunked(smuggled, [7]) }) },
  { name: "GET with a chunked body", status: 200, requests: 1,
    bytes: () => request({ method: "GET", target: "/first",
      headers: [["Transfer-Encoding", "chunked"]], body: chunked(smuggled, [100]) }) },
  { name: "DELETE with a chunked body", status: 200, requests: 1,
    bytes: () => request({ method: "DELETE", target: "/first",
      headers: [["Transfer-Encoding", "chunked"]], body: chunked(smuggled, [100]) }) },
  { name: "GET body whose Content-Length is named in Connection", status: 200, requests: 1,
    bytes: () => request({ method: "GET", target: "/first",
      headers: [["Connection", "content-length"]], body: smuggled }) },
  { name: "pipelined request without credentials", status: 200, requests: 1,
    bytes: () => Buffer.concat([
      rawHttp({ method: "GET", target: "/first", auth: main.authHeader }),
      rawHttp({ method: "GET", target: "/second", close: true })]) },
];

describe("ExApp request framing", () => {
  for (const row of framingRows) {
    it(`framing: ${row.name}`, async () => {
      useResponder(exApp, echoHead());
      const result = await sendTls(EXAPP_PORT, row.bytes(), { localAddress: "127.0.6.1" });

      assert.equal(statusOf(result), row.status, describeExchange(result));
      // Bytes the proxy leaves unframed reach the ExApp as a request of
      // their own, one the proxy never authenticated or logged.
      const received = exApp.received();
      const heads = parseRequests(received);
      assert.equal(heads.length, row.requests, JSON.stringify(received));
      assert.ok(!heads.some((head) => head.includes("X-Smuggled")),
        JSON.stringify(received));
    });
  }
});

// --- Where an ExApp port connects ----------------------------------------

type TargetRow = readonly [name: string, bytes: () => Buffer, status: number | undefined,
  exAppRequests: 0 | 1];

const targetRows: readonly TargetRow[] = [
  ["absolute-form target naming another host",
    () => request({ method: "GET", target: `http://${CANARY_HOST}:${EXAPP_PORT}/latest` }), 200, 1],
  ["absolute-form https target",
    () => request({ method: "GET", target: `https://${CANARY_HOST}:${EXAPP_PORT}/` }), 200, 1],
  ["Host header naming another host",
    () => request({ method: "GET", target: "/",
      headers: [["Host", `${CANARY_HOST}:${EXAPP_PORT}`]] }),
    200, 1],
  ["CONNECT to another host",
    () => request({ method: "CONNECT", target: `${CANARY_HOST}:${EXAPP_PORT}`,
      headers: [["Host", `${CANARY_HOST}:${EXAPP_PORT}`]] }), undefined, 0],
  ["CONNECT without credentials",
    () => request({ method: "CONNECT", target: `${CANARY_HOST}:${EXAPP_PORT}`, auth: "" }),
    undefined, 0],
];

describe("ExApp targets", () => {
  for (const [name, bytes, status, exAppRequests] of targetRows) {
    it(`target: ${name}`, async () => {
      useResponder(exApp, echoHead(0));
      canary.reset();
      const result = await sendTls(EXAPP_PORT, bytes(), { localAddress: "127.0.6.2" });

      if (status === undefined) {
        const seen = statusOf(result) ?? 0;
        assert.ok(seen < 200 || seen >= 300, describeExchange(result));
      } else {
        assert.equal(statusOf(result), status, describeExchange(result));
      }
      assert.equal(requestLines(exApp.received()).length, exAppRequests);
      assert.equal(canary.connections.length, 0, "a connection reached another host");
    });
  }

  it("target: EX_APPS_NET naming the proxy itself", async () => {
    // The proxy then dials its own TLS port in plain HTTP: a 502, and no
    // failed login that could ban the proxy's own source address.
    const looped = await startProxy({ socketPath: engine.socketPath, env: {
      CERT_FILE: certFile, BIND_ADDRESS: OTHER_BIND, EX_APPS_COUNT: "1",
      EX_APPS_NET: OTHER_BIND, LOG_FORMAT: "json" } });
    proxies.push(looped);
    try {
      for (let attempt = 0; attempt < 7; attempt++) {
        const result = await sendTls(EXAPP_PORT, request({ method: "GET", target: "/" }),
          { proxy: looped });
        assert.equal(statusOf(result), 502, `attempt ${attempt}: ${describeExchange(result)}`);
      }
      assert.ok(!looped.readLog().includes('"ban started"'), "the proxy banned itself");
    } finally {
      await looped.stop("SIGKILL");
    }
  });

  it("target: ipv6@ with an IPv4 address is not followed", async () => {
    // The ExApp listens on EXAPP_HOST, an IPv4 address. A forced IPv6
    // family must either stop the proxy at start or never reach it.
    let forced: Proxy;
    try {
      forced = await startProxy({ socketPath: engine.socketPath, env: {
        CERT_FILE: certFile, BIND_ADDRESS: OTHER_BIND, EX_APPS_COUNT: "1",
        EX_APPS_NET: `ipv6@${EXAPP_HOST}`, LOG_FORMAT: "json" } });
    } catch (error) {
      assert.match((error as Error).message, /exited with 1/);
      return;
    }
    proxies.push(forced);
    useResponder(exApp, echoHead(0));
    try {
      const result = await sendTls(EXAPP_PORT, request({ method: "GET", target: "/" }),
        { proxy: forced });

      assert.equal(statusOf(result), 502, describeExchange(result));
      assert.equal(exApp.connections.length, 0, "an IPv4 ExApp was reached through ipv6@");
    } finally {
      await forced.stop("SIGKILL");
    }
  });
});

// --- Malicious ExApp responses -------------------------------------------

type ResponseRow = readonly [name: string, response: string, upgrade: boolean,
  statuses: readonly number[]];

const BAD_GATEWAY = [502] as const;
const responseRows: readonly ResponseRow[] = [
  ["status 000", "HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n", false, BAD_GATEWAY],
  ["status 099", "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n", false, BAD_GATEWAY],
  ["control character in the reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", false,
    [200, 502]],
  ["DEL in the reason", "HTTP/1.1 200 O\x7fK\r\nContent-Length: 0\r\n\r\n", false, [200, 502]],
  ["obsolete line folding", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", false,
    BAD_GATEWAY],
  ["Content-Length with Transfer-Encoding",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n" +
      "3\r\nabc\r\n0\r\n\r\n",
    false, BAD_GATEWAY],
  ["two different Content-Length headers",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", false, BAD_GATEWAY],
  ["100 KB header", `HTTP/1.1 200 OK\r\nX-Big: ${"a".repeat(100_000)}\r\nContent-Length: 0\r\n\r\n`,
    false, BAD_GATEWAY],
  ["space in a header name", "HTTP/1.1 200 OK\r\nX A: 1\r\nContent-Length: 0\r\n\r\n", false,
    BAD_GATEWAY],
  ["101 with Upgrade to a plain request",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nRAW",
    false, BAD_GATEWAY],
  ["101 without Upgrade to a plain request", "HTTP/1.1 101 Switching Protocols\r\n\r\nRAW",
    false, BAD_GATEWAY],
  ["close without a response", "", false, BAD_GATEWAY],
  ["not HTTP", "SSH-2.0-OpenSSH_9.6\r\n", false, BAD_GATEWAY],
  ["103 Early Hints, then 200",
    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    false, [200]],
  ["status 000 to an upgrade", "HTTP/1.1 000 X\r\nContent-Length: 0\r\n\r\n", true, BAD_GATEWAY],
  ["obsolete line folding to an upgrade",
    "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n", true, BAD_GATEWAY],
];

describe("malicious ExApp responses", () => {
  let victim: Proxy | undefined;
  const startVictim = async () => {
    const started = await startProxy({ socketPath: engine.socketPath, env: {
      CERT_FILE: certFile, BIND_ADDRESS: OTHER_BIND, EX_APPS_COUNT: "1",
      EX_APPS_NET: EXAPP_HOST, TIMEOUT_CLIENT: `${TIMEOUT_MS}ms`,
      TIMEOUT_SERVER: `${TIMEOUT_MS}ms`, LOG_FORMAT: "json" } });
    proxies.push(started);
    return started;
  };

  after(async () => victim?.stop("SIGKILL"));

  for (const [name, response, upgrade, statuses] of responseRows) {
    it(`response: ${name}`, async () => {
      // A row that kills the proxy must not take the next rows with it.
      if (victim === undefined || victim.hasExited()) victim = await startVictim();
      useResponder(exApp, replyWith(response));
      const upgradeHeaders: Header[] = upgrade
        ? [["Connection", "Upgrade"], ["Upgrade", "websocket"]] : [];
      const result = await sendTls(EXAPP_PORT,
        request({ method: "GET", target: "/", headers: upgradeHeaders }),
        { proxy: victim, timeoutMs: TIMEOUT_MS + 2_500 });
      await sleep(100);

      assert.equal(victim.hasExited(), false,
        `the proxy died: ${victim.readLog().split("\n").filter((line) =>
          !line.startsWith("{")).slice(0, 3).join(" / ")}`);
      assert.notEqual(result.end, "timeout", `no response: ${describeExchange(result)}`);
      assert.ok(statuses.includes(statusOf(result) ?? 0),
        `expected ${statuses.join(" or ")}: ${describeExchange(result)}`);
    });
  }
});

// --- Floods and stalls ----------------------------------------------------

/**
 * Opens a TLS connection, sends `bytes` and never reads a byte, for
 * `holdMs`; returns how much the proxy's resident memory grew.
 */
async function holdWithoutReading(port: number, bytes: string, holdMs: number) {
  const before = residentBytes(main.child.pid ?? 0);
  const client = tls.connect({ host: BIND, port, ca: authority.caCert });
  client.on("error", () => client.destroy());
  await once(client, "secureConnect");
  client.write(bytes);
  client.pause();
  await sleep(holdMs);
  const grown = residentBytes(main.child.pid ?? 0) - before;
  client.destroy();
  return grown;
}

describe("ExApp floods and stalls", () => {
  const MIB = 1024 * 1024;
  const plainGet = () => request({ method: "GET", target: "/flood" }).toString("latin1");

  it("flood: endless body to a client that does not read", async () => {
    useResponder(floodExApp, flood("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n",
      Buffer.alloc(64 * 1024, 0x61), 400 * MIB));
    const grown = await holdWithoutReading(FLOOD_PORT, plainGet(), 1_200);
    const sent = floodExApp.connections[0]?.sentBytes ?? 0;

    assert.ok(sent < 24 * MIB, `the ExApp could send ${sent} bytes`);
    assert.ok(grown < 64 * MIB, `the proxy grew by ${grown} bytes`);
  });

  it("flood: 100 Continue storm to a client that does not read", async () => {
    const storm = Buffer.from("HTTP/1.1 100 Continue\r\n\r\n".repeat(2_600));
    useResponder(floodExApp, flood("", storm, 400 * MIB));
    const grown = await holdWithoutReading(FLOOD_PORT, plainGet(), 4_000);
    const sent = floodExApp.connections[0]?.sentBytes ?? 0;

    assert.ok(sent < 24 * MIB, `the ExApp could send ${sent} bytes`);
    assert.ok(grown < 64 * MIB, `the proxy grew by ${grown} bytes`);
  });

  it("flood: 100 Continue only when the client asked", async () => {
    useResponder(floodExApp, replyWith("HTTP/1.1 100 Continue\r\n\r\n" +
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const result = await sendTls(FLOOD_PORT, request({ method: "GET", target: "/" }));

    assert.deepEqual(result.responses.map((response) => response.status), [200],
      describeExchange(result));
  });

  it("stall: ExApp that never reads the body", async () => {
    useResponder(floodExApp, silent);
    const body = Buffer.alloc(8 * MIB, 0x62);
    const result = await sendTls(FLOOD_PORT, request({ method: "POST", target: "/upload",
      headers: [["Content-Type", "application/octet-stream"]], body }),
    { timeoutMs: 3 * TIMEOUT_MS + 2_000 });

    assert.equal(statusOf(result), 504, describeExchange(result));
  });

  it("stall: client that never finishes its body", async () => {
    useResponder(floodExApp, echoHead());
    const result = await sendTls(FLOOD_PORT,
      `POST /half HTTP/1.1\r\nHost: dsp\r\nAuthorization: ${main.authHeader}\r\n` +
        "Content-Length: 100\r\n\r\nabc", { timeoutMs: 3 * TIMEOUT_MS + 2_000 });

    assert.equal(result.end, "closed", describeExchange(result));
    assert.ok(result.elapsedMs < 2 * TIMEOUT_MS + 1_000, `closed after ${result.elapsedMs} ms`);
  });
});

// --- Upgrades and bans on the ExApp ports ---------------------------------

const websocketUpgrade = (auth: string, extra: readonly Header[] = []) =>
  rawHttp({ method: "GET", target: "/ws", ...(auth === "" ? {} : { auth }), headers: [
    ["Connection", "Upgrade"], ["Upgrade", "websocket"], ["Sec-WebSocket-Version", "13"],
    ["Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="], ...extra] });
const endOfHead = (data: Buffer) => data.includes("\r\n\r\n");

/** Sends a raw ClientHello from `source`, as a banned client would start. */
function helloFrom(source: string, port: number, timeoutMs: number) {
  return exchangeRaw(hello, { host: BIND, port, localAddress: source, timeoutMs });
}

function assertSilent(result: RawExchange) {
  assert.equal(result.end, "timeout", describeExchange(result));
  assert.equal(result.data.length, 0, describeExchange(result));
}

describe("ExApp upgrades and bans", () => {
  it("upgrade: without credentials never reaches the ExApp", async () => {
    useResponder(exApp, switchAndEcho);
    const result = await sendTls(EXAPP_PORT, websocketUpgrade(""),
      { localAddress: "127.0.7.1" });

    assert.equal(statusOf(result), 401, describeExchange(result));
    assert.equal(exApp.connections.length, 0);
  });

  it("upgrade: X-Original-Authorization replaces the credentials", async () => {
    useResponder(exApp, switchAndEcho);
    const result = await sendTls(EXAPP_PORT,
      websocketUpgrade(main.authHeader, [["X-Original-Authorization", BROWSER_AUTH]]),
      { stopWhen: endOfHead });

    assert.equal(statusOf(result), 101, describeExchange(result));
    assert.equal(result.responses[0]?.headers["x-seen-authorization"], BROWSER_AUTH);
    assertNoProxyCredentials(exApp.received(), exApp.received());
    assert.deepEqual(headerValues(exApp.received(), "x-original-authorization"), []);
  });

  it("upgrade: proxy credentials alone are removed", async () => {
    useResponder(exApp, switchAndEcho);
    const result = await sendTls(EXAPP_PORT, websocketUpgrade(main.authHeader),
      { stopWhen: endOfHead });

    assert.equal(statusOf(result), 101, describeExchange(result));
    assert.equal(result.responses[0]?.headers["x-seen-authorization"], "none");
    assertNoProxyCredentials(exApp.received(), exApp.received());
  });

  it("ban: upgrade failures count toward the ban", async () => {
    const source = "127.0.7.2";
    useResponder(exApp, switchAndEcho);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const result = await sendTls(EXAPP_PORT, websocketUpgrade(WRONG), { localAddress: source });
      assert.equal(statusOf(result), 401, `attempt ${attempt}: ${describeExchange(result)}`);
    }
    assertSilent(await sendTls(EXAPP_PORT, websocketUpgrade(WRONG),
      { localAddress: source, timeoutMs: 700 }));
    assertSilent(await helloFrom(source, main.port, 700));
    assertSilent(await helloFrom(source, EXAPP_PORT, 700));
    assert.equal(exApp.connections.length, 0);
  });

  it("ban: Docker port failures hold ExApp handshakes", async () => {
    const source = "127.0.7.3";
    for (let attempt = 1; attempt <= 5; attempt++) {
      const result = await sendTls(main.port,
        request({ method: "GET", target: "/_ping", auth: WRONG }), { localAddress: source });
      assert.equal(statusOf(result), 401, `attempt ${attempt}: ${describeExchange(result)}`);
    }
    assertSilent(await sendTls(main.port, request({ method: "GET", target: "/_ping", auth: WRONG }),
      { localAddress: source, timeoutMs: 700 }));
    // No ServerHello: the ban is applied before the TLS handshake.
    assertSilent(await helloFrom(source, EXAPP_PORT, 700));
    assertSilent(await helloFrom(source, FLOOD_PORT, 700));
  });

  it("ban: held handshake ends in a close, not a reset", async () => {
    const result = await helloFrom("127.0.7.3", EXAPP_PORT, TIMEOUT_MS + 3_000);

    assert.equal(result.end, "closed", describeExchange(result));
    assert.equal(result.data.length, 0);
    assert.ok(result.elapsedMs >= TIMEOUT_MS - 300, `closed after ${result.elapsedMs} ms`);
  });

  it("ban: ExApp keep-alive connection opened before the ban", async () => {
    const source = "127.0.7.4";
    useResponder(exApp, replyWith("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
    const address = { host: BIND, port: EXAPP_PORT, localAddress: source };
    const client = tls.connect({ ...address, ca: authority.caCert });
    const received: Buffer[] = [];
    client.on("data", (chunk: Buffer) => received.push(chunk));
    client.on("error", () => client.destroy());
    await once(client, "secureConnect");
    try {
      client.write(rawHttp({ method: "GET", target: "/before", auth: main.authHeader }));
      const first = await eventually(() => Buffer.concat(received).includes("ok"));
      assert.ok(first, "no response to the first request");
      for (let attempt = 0; attempt < 6; attempt++) {
        await sendTls(EXAPP_PORT, request({ method: "GET", target: "/", auth: WRONG }),
          { localAddress: source, timeoutMs: 300 });
      }
      const answered = Buffer.concat(received).length;
      exApp.reset();
      client.write(rawHttp({ method: "GET", target: "/after", auth: main.authHeader }));
      await sleep(700);

      assert.equal(Buffer.concat(received).length, answered,
        JSON.stringify(Buffer.concat(received).subarray(answered).toString("latin1")));
      assert.equal(exApp.connections.length, 0);
    } finally {
      client.destroy();
    }
  });
});

// --- The TLS layer ----------------------------------------------------------

/** Completes a handshake with `options` and reports the protocol and leaf. */
function handshake(port: number, options: tls.ConnectionOptions = {}, host = BIND) {
  return new Promise<{ protocol: string | null; commonName: string }>((resolve, reject) => {
    const socket = tls.connect({ host, port, ca: authority.caCert, ...options });
    socket.setTimeout(3_000, () => socket.destroy(new Error("handshake timed out")));
    socket.once("secureConnect", () => {
      const result = { protocol: socket.getProtocol(),
        commonName: String(socket.getPeerCertificate().subject.CN) };
      socket.destroy();
      resolve(result);
    });
    socket.once("error", reject);
  });
}

/** Offers only `version`, which the client's own security level would forbid. */
const legacy = (version: tls.SecureVersion): tls.ConnectionOptions =>
  ({ minVersion: version, maxVersion: version, ciphers: "DEFAULT@SECLEVEL=0" });

async function assertRefusedVersion(port: number, version: tls.SecureVersion, host = BIND) {
  await assert.rejects(handshake(port, legacy(version), host),
    (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, "ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION", error.message);
      return true;
    });
}

describe("TLS layer", () => {
  it("tls: TLS 1.0 refused on the Docker port", async () => {
    await assertRefusedVersion(main.port, "TLSv1");
  });

  it("tls: TLS 1.0 and 1.1 refused on an ExApp port", async () => {
    await assertRefusedVersion(EXAPP_PORT, "TLSv1");
    await assertRefusedVersion(EXAPP_PORT, "TLSv1.1");
    const modern = await handshake(EXAPP_PORT, { maxVersion: "TLSv1.2" });
    assert.equal(modern.protocol, "TLSv1.2");
  });

  it("tls: plain HTTP on an ExApp port gets no HTTP", async () => {
    exApp.reset();
    const result = await exchangeRaw(request({ method: "GET", target: "/" }),
      { host: BIND, port: EXAPP_PORT, localAddress: "127.0.8.1", timeoutMs: 4_000 });

    assert.notEqual(result.end, "timeout", describeExchange(result));
    assert.ok(!result.data.includes("HTTP/1"), describeExchange(result));
    assert.equal(exApp.connections.length, 0);
  });

  const handshakePorts =
    [["Docker port", () => main.port], ["ExApp port", () => EXAPP_PORT]] as const;
  for (const [name, port] of handshakePorts) {
    it(`tls: trickled ClientHello cut on the ${name}`, async () => {
      const result = await exchangeRaw(undefined, { host: BIND, port: port(),
        localAddress: "127.0.8.2", timeoutMs: 4 * TIMEOUT_MS,
        write: (socket) => trickle(socket, hello, 100) });

      assert.equal(result.end, "closed", describeExchange(result));
      assert.equal(result.data.length, 0);
      assert.ok(result.elapsedMs < TIMEOUT_MS + 1_000, `closed after ${result.elapsedMs} ms`);
    });
  }

  it("tls: renegotiation refused", async () => {
    const socket = tls.connect({ host: BIND, port: EXAPP_PORT, ca: authority.caCert,
      maxVersion: "TLSv1.2" });
    // Not events.once: that rejects when the refusal arrives as an error.
    const closed = new Promise((resolve) => socket.once("close", resolve));
    socket.on("error", () => socket.destroy());
    await once(socket, "secureConnect");
    const outcomes: string[] = [];
    for (let round = 0; round < 6 && !socket.destroyed; round++) {
      outcomes.push(await new Promise<string>((resolve) => {
        const timer = setTimeout(() => resolve("no answer"), 1_000);
        const started = socket.renegotiate({}, (error) => {
          clearTimeout(timer);
          resolve(error === null ? "renegotiated" : "refused");
        });
        if (!started) resolve("not started");
      }));
    }
    socket.destroy();
    await closed;

    assert.equal(outcomes.filter((outcome) => outcome === "renegotiated").length, 0,
      outcomes.join(", "));
    assert.equal(main.hasExited(), false);
    assert.equal((await handshake(EXAPP_PORT)).commonName, "dsp-rt-a");
  });

  it("tls: unknown SNI names get the one certificate", async () => {
    for (const servername of ["evil.example", "x".repeat(200), "localhost"]) {
      const result = await handshake(EXAPP_PORT,
        { servername, checkServerIdentity: () => undefined });
      assert.equal(result.commonName, "dsp-rt-a", servername);
    }
  });

  it("tls: half-open handshakes bounded by MAX_CONNECTIONS", async () => {
    const limited = await startProxy({ socketPath: engine.socketPath, env: {
      CERT_FILE: certFile, BIND_ADDRESS: OTHER_BIND, EX_APPS_COUNT: "1",
      EX_APPS_NET: EXAPP_HOST, MAX_CONNECTIONS: "4", TIMEOUT_CLIENT: "1s", LOG_FORMAT: "json" } });
    proxies.push(limited);
    useResponder(exApp, echoHead(0));
    try {
      const idle = Array.from({ length: 4 }, () => exchangeRaw(undefined,
        { host: OTHER_BIND, port: EXAPP_PORT, timeoutMs: 5_000 }));
      await sleep(200);
      const refused = await exchangeRaw(hello, { host: OTHER_BIND, port: EXAPP_PORT,
        timeoutMs: 2_000 });
      const docker = await sendTls(limited.port,
        request({ method: "GET", target: "/_ping", auth: limited.authHeader }), { proxy: limited });
      const ends = await Promise.all(idle);
      const after = await sendTls(EXAPP_PORT,
        request({ method: "GET", target: "/after", auth: limited.authHeader }), { proxy: limited });

      assert.equal(refused.data.length, 0, describeExchange(refused));
      assert.notEqual(refused.end, "timeout", describeExchange(refused));
      assert.equal(statusOf(docker), 200, describeExchange(docker));
      assert.deepEqual([...new Set(ends.map((end) => end.end))], ["closed"]);
      assert.ok(ends.every((end) => end.elapsedMs < 2_500), "idle handshakes held too long");
      assert.equal(statusOf(after), 200, describeExchange(after));
    } finally {
      await limited.stop("SIGKILL");
    }
  });
});

// --- Certificate reloads ------------------------------------------------------

describe("certificate reloads", () => {
  let reloading: Proxy;
  let certDir: string;
  let reloadFile: string;
  let seenLines = 0;

  before(async () => {
    certDir = join(workDir, "reload");
    mkdirSync(certDir);
    reloadFile = join(certDir, "cert.pem");
    writeFileSync(reloadFile, leafA.combined);
    reloading = await startProxy({ socketPath: engine.socketPath, env: {
      CERT_FILE: reloadFile, BIND_ADDRESS: OTHER_BIND, EX_APPS_COUNT: "1",
      EX_APPS_NET: EXAPP_HOST, LOG_FORMAT: "json" } });
    proxies.push(reloading);
  });

  after(async () => reloading?.stop("SIGKILL"));

  const served = (port = reloading.port) =>
    handshake(port, {}, OTHER_BIND).then((result) => result.commonName);
  /** Replaces the file by renaming, as certbot and `mv` do. */
  const replace = (content: string | Buffer) => {
    writeFileSync(`${reloadFile}.new`, content);
    renameSync(`${reloadFile}.new`, reloadFile);
  };
  /** Log events about the certificate since the last call. */
  async function nextEvents(event: string) {
    let found: Record<string, unknown>[] = [];
    await eventually(() => {
      const lines = reloading.readLog().split("\n").filter((line) => line.startsWith("{"));
      found = lines.slice(seenLines).map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.event === event);
      return found.length > 0;
    }, 3_000);
    seenLines = reloading.readLog().split("\n").filter((line) => line.startsWith("{")).length;
    return found;
  }

  it("reload: key of another certificate keeps the old", async () => {
    replace(leafB.cert + leafA.key);
    const failures = await nextEvents("certificate reload failed");

    assert.match(String(failures[0]?.error), /does not match/);
    assert.equal(await served(), "dsp-rt-a");
    assert.equal(await served(EXAPP_PORT), "dsp-rt-a");
  });

  it("reload: 64 MB file keeps the old", async () => {
    replace(Buffer.alloc(64 * 1024 * 1024, 0x41));
    const failures = await nextEvents("certificate reload failed");

    assert.match(String(failures[0]?.error), /larger than 1048576 bytes/);
    assert.equal(await served(), "dsp-rt-a");
  });

  it("reload: swapped symlinked folder is served", async () => {
    // A Kubernetes secret: cert.pem -> ..data/cert.pem, ..data -> a folder
    // that is swapped by renaming a new link over ..data.
    mkdirSync(join(certDir, "..v1"));
    writeFileSync(join(certDir, "..v1", "cert.pem"), leafB.combined);
    symlinkSync("..v1", join(certDir, "..data"));
    symlinkSync("..data/cert.pem", `${reloadFile}.link`);
    renameSync(`${reloadFile}.link`, reloadFile);
    await nextEvents("certificate reloaded");

    assert.equal(await served(), "dsp-rt-b");
  });

  it("reload: folder swapped to garbage keeps the old", async () => {
    mkdirSync(join(certDir, "..v2"));
    writeFileSync(join(certDir, "..v2", "cert.pem"), "garbage\n");
    symlinkSync("..v2", join(certDir, "..data.tmp"));
    renameSync(join(certDir, "..data.tmp"), join(certDir, "..data"));
    await nextEvents("certificate reload failed");

    assert.equal(await served(), "dsp-rt-b");
  });

  it("reload: TLS 1.1 still refused after a reload", async () => {
    await assertRefusedVersion(reloading.port, "TLSv1.1", OTHER_BIND);
    await assertRefusedVersion(EXAPP_PORT, "TLSv1.1", OTHER_BIND);
  });

  it("reload: SIGHUP storm", async () => {
    replace(leafA.combined);
    await nextEvents("certificate reloaded");
    for (let signal = 0; signal < 200; signal++) reloading.child.kill("SIGHUP");
    await sleep(500);

    assert.equal(reloading.hasExited(), false);
    assert.equal(await served(), "dsp-rt-a");
    assert.equal(await served(EXAPP_PORT), "dsp-rt-a");
  });

  it("reload: FIFO in place of the file", async () => {
    // readFileSync on a FIFO waits for a writer, and the whole proxy with it.
    const fifo = join(certDir, "fifo");
    execFileSync("mkfifo", [fifo]);
    symlinkSync("fifo", `${reloadFile}.link`);
    renameSync(`${reloadFile}.link`, reloadFile);
    await sleep(800);

    assert.equal(await served().catch((error: Error) => error.message), "dsp-rt-a");
  });
});

// --- The Docker API port over TLS ----------------------------------------

describe("Docker port over TLS", () => {
  let liveExec = "";

  before(async () => {
    const created = await engine.request("POST", `/containers/create?name=${LIVE}`, {
      Image: engine.image,
      Cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      HostConfig: { NetworkMode: "none" },
    });
    assert.equal(created.status, 201, created.body);
    const started = await engine.request("POST", `/containers/${LIVE}/start`);
    assert.equal(started.status, 204, started.body);
    const exec = await engine.request("POST", `/containers/${LIVE}/exec`,
      { Cmd: ["cat"], AttachStdin: true, AttachStdout: true });
    assert.equal(exec.status, 201, exec.body);
    liveExec = (JSON.parse(exec.body) as { Id: string }).Id;
  });

  it("docker: request pipelined before the 101", async () => {
    const smuggledCreate = `POST /containers/create?name=${PREFIX}_smuggled HTTP/1.1\r\n` +
      "Host: docker\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n" +
      `{"Image":"${engine.image}"}`;
    const start = rawHttp({ method: "POST", target: `/exec/${liveExec}/start`,
      auth: main.authHeader, headers: [["Connection", "Upgrade"], ["Upgrade", "tcp"],
        ["Content-Type", "application/json"]], body: '{"Detach":false,"Tty":false}' });
    const result = await sendTls(main.port, Buffer.concat([start, Buffer.from(smuggledCreate)]),
      { timeoutMs: 2_000, stopWhen: (data) => data.includes("POST /containers/create") });

    assert.equal(statusOf(result), 101, describeExchange(result));
    // cat echoes the bytes as stdin: they reached the exec, not the engine's parser.
    assert.match(result.data.toString("latin1"), /POST \/containers\/create/);
    assert.ok(!(await engine.containerNames()).includes(`${PREFIX}_smuggled`));
  });

  it("docker: trickled upgrade body is cut", async () => {
    // Exec start options are read into memory before the engine is
    // asked, so they need a deadline like any checked body, not only
    // an inactivity timer that each trickled byte restarts.
    const body = `{"Detach":false,"Tty":false}${" ".repeat(60)}`;
    const client = tls.connect({ host: BIND, port: main.port, ca: authority.caCert });
    client.on("error", () => client.destroy());
    const closed = once(client, "close");
    await once(client, "secureConnect");
    const started = Date.now();
    client.write(`POST /exec/${liveExec}/start HTTP/1.1\r\nHost: dsp\r\n` +
      `Authorization: ${main.authHeader}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    let offset = 0;
    const timer = setInterval(() => {
      if (offset < body.length && !client.destroyed) client.write(body[offset++] ?? "");
    }, TIMEOUT_MS / 5);
    const outcome = await Promise.race([closed.then(() => "closed"),
      sleep(3 * TIMEOUT_MS + 1_000).then(() => "still open")]);
    clearInterval(timer);
    client.destroy();

    assert.equal(outcome, "closed", `open after ${Date.now() - started} ms`);
  });

  it("docker: banned source held before the handshake", async () => {
    const source = "127.0.9.1";
    for (let attempt = 0; attempt < 6; attempt++) {
      await sendTls(main.port, request({ method: "GET", target: "/_ping", auth: WRONG }),
        { localAddress: source, timeoutMs: 500 });
    }
    const before = await engineState(engine);
    const create = request({ method: "POST", target: `/containers/create?name=${PREFIX}_banned`,
      headers: [["Content-Type", "application/json"]], body: `{"Image":"${engine.image}"}` });
    const handshakeOnly = await helloFrom(source, main.port, 700);
    const overTls = await exchangeTls(create, { host: BIND, port: main.port,
      ca: authority.caCert, localAddress: source, timeoutMs: 700 }).catch((error: Error) => error);

    assertSilent(handshakeOnly);
    assert.ok(overTls instanceof Error || overTls.data.length === 0, String(overTls));
    assert.deepEqual(await engineState(engine), before);
  });
});

// --- What the main proxy left behind ---------------------------------------

describe("proxy after the attacks", () => {
  it("after: alive, no credentials or crashes in the log", () => {
    const log = main.readLog();

    assert.equal(main.hasExited(), false);
    assertNoProxyCredentials(log, "in the log");
    assert.ok(!log.includes("browser-secret-7f3a"), "X-Original-Authorization in the log");
    const stray = log.split("\n").filter((line) => line !== "" && !line.startsWith("{"));
    assert.deepEqual(stray, []);
  });
});
