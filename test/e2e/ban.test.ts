// Brute-force protection as a client sees it: after five failed logins a
// source gets no response at all, even with the right password.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { rawRequest, request, startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

let engine: Engine;
let proxy: Proxy;
const wrong = `Basic ${Buffer.from("app_api_haproxy_user:wrong").toString("base64")}`;

function ping(authorization: string) {
  return `GET /_ping HTTP/1.1\r\nHost: dsp\r\nAuthorization: ${authorization}\r\n\r\n`;
}

async function failLogins(source: string, count: number) {
  for (let i = 0; i < count; i++) {
    const answer = await request(proxy, {
      path: "/_ping", localAddress: source, auth: false,
      headers: { authorization: wrong },
    });
    assert.equal(answer.status, 401);
    assert.equal(answer.headers["www-authenticate"], 'Basic realm="AppAPI"');
  }
}

before(async () => {
  engine = await connectEngine();
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: { TIMEOUT_CLIENT: "2s", BAN_MAX_HELD: "2" },
  });
});

after(async () => {
  await proxy?.stop();
  await engine?.stop();
});

describe("ban", () => {
  it("gives the sixth bad login no answer", async () => {
    await failLogins("127.0.0.10", 5);
    const sixth = await rawRequest(proxy.port, ping(wrong),
      { localAddress: "127.0.0.10", timeoutMs: 1000 });
    assert.equal(sixth.outcome, "timeout");
    assert.equal(sixth.data.length, 0);
  });

  it("gives a banned source no answer with the right password", async () => {
    const answer = await rawRequest(proxy.port, ping(proxy.authHeader),
      { localAddress: "127.0.0.10", timeoutMs: 1000 });
    assert.equal(answer.outcome, "timeout");
    assert.equal(answer.data.length, 0);
  });

  it("closes a held connection without a response after TIMEOUT_CLIENT", async () => {
    const started = Date.now();
    const answer = await rawRequest(proxy.port, ping(proxy.authHeader),
      { localAddress: "127.0.0.10", timeoutMs: 5000 });
    assert.equal(answer.outcome, "closed");
    assert.equal(answer.data.length, 0);
    assert.ok(Date.now() - started >= 1500, `closed after ${Date.now() - started} ms`);
  });

  it("keeps serving another loopback address", async () => {
    const answer = await request(proxy, { path: "/_ping", localAddress: "127.0.0.11" });
    assert.equal(answer.status, 200);
    assert.equal(answer.body, "OK");
  });

  it("closes the oldest held connection past BAN_MAX_HELD", async () => {
    const held = [1, 2, 3].map(() => rawRequest(proxy.port, ping(proxy.authHeader),
      { localAddress: "127.0.0.10", timeoutMs: 1500 }));
    const outcomes = (await Promise.all(held)).map((result) => result.outcome);
    assert.equal(outcomes.filter((outcome) => outcome === "timeout").length, 2);
    assert.equal(outcomes.filter((outcome) => outcome !== "timeout").length, 1);
  });

  it("logs the ban once", async () => {
    const lines = proxy.readLog().split("\n").filter((line) => line.includes("ban started"));
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? "", /source=127\.0\.0\.10/);
  });
});
