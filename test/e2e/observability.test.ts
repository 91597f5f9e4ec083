// What an admin reads: the access log in both formats, and the metrics
// listener, checked on real requests through the proxy.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { jsonHeaders } from "../support/appapi.ts";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { NC_HAPROXY_PASSWORD, freeLoopbackPort, rawRequest, request, startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

const SECRET_BODY = "body-secret-7f3a";
const wrong = `Basic ${Buffer.from("app_api_haproxy_user:wrong-pass-9").toString("base64")}`;
let engine: Engine;

/** Sends one request of each kind the log must tell apart. */
async function mix(proxy: Proxy, bannedSource: string) {
  assert.equal((await request(proxy, { path: "/_ping" })).status, 200);
  const refused = await request(proxy, {
    method: "POST", path: "/containers/create?name=nc_app_obs", headers: jsonHeaders,
    body: `{"Image":"x","HostConfig":{"Privileged":true},"Env":["S=${SECRET_BODY}"]}`,
  });
  assert.equal(refused.status, 403);
  for (let i = 0; i < 6; i++) {
    await rawRequest(proxy.port, `GET /_ping HTTP/1.1\r\nHost: x\r\nAuthorization: ${wrong}\r\n\r\n`,
      { localAddress: bannedSource, timeoutMs: 300 });
  }
}

/** Waits until the log has `count` lines matching `pattern`. */
async function logLines(proxy: Proxy, pattern: RegExp, count: number) {
  let lines: string[] = [];
  for (let i = 0; i < 50; i++) {
    lines = proxy.readLog().split("\n").filter((line) => pattern.test(line));
    if (lines.length >= count) break;
    await sleep(50);
  }
  return lines;
}

before(async () => {
  engine = await connectEngine();
});

after(async () => {
  await engine?.stop();
});

describe("text log", () => {
  let proxy: Proxy;
  before(async () => {
    proxy = await startProxy({ socketPath: engine.socketPath });
    await mix(proxy, "127.0.7.1");
  });
  after(async () => {
    await proxy?.stop();
  });

  it("writes one line per allowed request with its rule", async () => {
    const lines = await logLines(proxy, /request .*path=\/_ping .*decision=allow/, 2);
    assert.match(lines[1] ?? "", /INFO +request client=127\.0\.0\.1 frontend=docker method=GET path=\/_ping status=200 /);
    assert.match(lines[1] ?? "", /rule=ping/);
  });

  it("writes refusals at warn with rule and reason", async () => {
    const [line] = await logLines(proxy, /decision=deny/, 1);
    assert.match(line ?? "", /WARN +request .*status=403 .*rule=body\.field-not-allowed reason=.*Privileged/);
  });

  it("logs the ban once at warn", async () => {
    const lines = await logLines(proxy, /ban started/, 1);
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /WARN +ban started source=127\.0\.7\.1/);
  });

  it("never logs credentials or bodies", () => {
    const log = proxy.readLog();
    assert.ok(!log.includes(NC_HAPROXY_PASSWORD));
    assert.ok(!log.includes(proxy.authHeader.slice(6)));
    assert.ok(!log.includes(wrong.slice(6)));
    assert.ok(!log.includes(SECRET_BODY));
  });
});

describe("json log and metrics", () => {
  let proxy: Proxy;
  let metricsPort: number;
  before(async () => {
    metricsPort = await freeLoopbackPort();
    proxy = await startProxy({
      socketPath: engine.socketPath,
      env: { LOG_FORMAT: "json", METRICS_ADDRESS: `127.0.0.1:${metricsPort}` },
    });
    await mix(proxy, "127.0.7.2");
  });
  after(async () => {
    await proxy?.stop();
  });

  it("writes one JSON object per line with stable fields", async () => {
    await logLines(proxy, /"decision":"banned"/, 1);
    const entries = proxy.readLog().split("\n").filter((line) => line !== "")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const allowed = entries.find((entry) => entry.event === "request" && entry.decision === "allow");
    assert.ok(allowed);
    for (const field of ["time", "level", "event", "client", "frontend", "method", "path",
      "status", "bytes_in", "bytes_out", "duration_ms", "decision", "rule"]) {
      assert.ok(field in allowed, `missing ${field}`);
    }
    const refused = entries.find((entry) => entry.decision === "deny");
    assert.equal(refused?.level, "warn");
    assert.equal(refused?.rule, "body.field-not-allowed");
    assert.ok(Number(refused?.bytes_in) > 40, `bytes_in ${refused?.bytes_in}`);
    const banned = entries.find((entry) => entry.decision === "banned");
    assert.equal(banned?.status, 0);
    assert.equal(banned?.bytes_out, 0);
  });

  it("never logs credentials or bodies", () => {
    const log = proxy.readLog();
    assert.ok(!log.includes(NC_HAPROXY_PASSWORD));
    assert.ok(!log.includes(SECRET_BODY));
  });

  it("counts the mix in /metrics", async () => {
    await logLines(proxy, /"decision":"banned"/, 1);
    const scraped = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(scraped.status, 200);
    assert.match(scraped.headers.get("content-type") ?? "", /text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    const count = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? NaN);
    // startProxy's own readiness probe adds one allowed ping.
    assert.equal(count(/^appapi_dsp_requests_total\{frontend="docker",decision="allow",status="200"\} (\d+)$/m), 2);
    assert.equal(count(/^appapi_dsp_requests_total\{frontend="docker",decision="deny",status="403"\} (\d+)$/m), 1);
    assert.equal(count(/^appapi_dsp_requests_total\{frontend="docker",decision="unauthorized",status="401"\} (\d+)$/m), 5);
    assert.equal(count(/^appapi_dsp_refusals_total\{rule="body\.field-not-allowed"\} (\d+)$/m), 1);
    assert.equal(count(/^appapi_dsp_bans_active (\d+)$/m), 1);
    assert.equal(count(/^appapi_dsp_bans_total (\d+)$/m), 1);
  });

  it("is not served on the proxy port", async () => {
    const answer = await request(proxy, { path: "/metrics" });
    assert.equal(answer.status, 403);
    assert.doesNotMatch(answer.body, /appapi_dsp_/);
  });

  it("answers 404 for other paths", async () => {
    const answer = await fetch(`http://127.0.0.1:${metricsPort}/`);
    assert.equal(answer.status, 404);
  });
});

describe("upstream failure log", () => {
  let proxy: Proxy;
  const missing = "/tmp/dsp-no-such-engine.sock";
  before(async () => {
    proxy = await startProxy({ socketPath: missing });
  });
  after(async () => {
    await proxy?.stop();
  });

  it("logs 502 with the socket path", async () => {
    const answer = await request(proxy, { path: "/v1.41/containers/nc_app_x/json" });
    assert.equal(answer.status, 502);
    assert.doesNotMatch(answer.body, /dsp-no-such-engine/);
    const [line] = await logLines(proxy, /decision=error/, 1);
    assert.match(line ?? "", /ERROR +request .*status=502 /);
    assert.match(line ?? "", /socket \/tmp\/dsp-no-such-engine\.sock/);
  });
});
