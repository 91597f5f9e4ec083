import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exAppRequestHeaders } from "../../src/exapps/headers.ts";

const PROXY_AUTH = "Basic YXBwX2FwaV9oYXByb3h5X3VzZXI6c2VjcmV0";

/** Header names and values as an object, names in lower case. */
function asObject(flat: readonly string[]) {
  const result: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) {
    const name = (flat[i] ?? "").toLowerCase();
    (result[name] ??= []).push(flat[i + 1] ?? "");
  }
  return result;
}

describe("exAppRequestHeaders", () => {
  it("drops the proxy credentials when no original is sent", () => {
    const headers = asObject(exAppRequestHeaders(
      ["Host", "dsp:23000", "Authorization", PROXY_AUTH, "EX-APP-ID", "app"],
      false));

    assert.equal(headers.authorization, undefined);
    assert.deepEqual(headers["ex-app-id"], ["app"]);
    assert.deepEqual(headers.host, ["dsp:23000"]);
  });

  it("moves X-Original-Authorization into Authorization", () => {
    const headers = asObject(exAppRequestHeaders([
      "Authorization", PROXY_AUTH,
      "X-Original-Authorization", "Bearer user-token",
    ], false));

    assert.deepEqual(headers.authorization, ["Bearer user-token"]);
    assert.equal(headers["x-original-authorization"], undefined);
  });

  it("takes the last X-Original-Authorization when it is repeated", () => {
    const headers = asObject(exAppRequestHeaders([
      "x-original-authorization", "Bearer first",
      "X-ORIGINAL-AUTHORIZATION", "Bearer last",
    ], false));

    assert.deepEqual(headers.authorization, ["Bearer last"]);
  });

  it("sends no Authorization for an empty X-Original-Authorization", () => {
    const headers = asObject(exAppRequestHeaders([
      "Authorization", PROXY_AUTH, "X-Original-Authorization", "",
    ], false));

    assert.equal(headers.authorization, undefined);
  });

  const hopByHop: readonly [string, string[]][] = [
    ["Connection", ["Connection", "keep-alive"]],
    ["Keep-Alive", ["Keep-Alive", "timeout=5"]],
    ["TE", ["TE", "trailers"]],
    ["Trailer", ["Trailer", "X-Checksum"]],
    ["Transfer-Encoding", ["Transfer-Encoding", "chunked"]],
    ["Upgrade", ["Upgrade", "websocket"]],
    ["Proxy-Authorization", ["Proxy-Authorization", "Basic eA=="]],
    ["Proxy-Connection", ["Proxy-Connection", "keep-alive"]],
    ["Expect", ["Expect", "100-continue"]],
    ["a name Connection lists", ["Connection", "close, X-Hop", "X-Hop", "1"]],
  ];
  for (const [name, raw] of hopByHop) {
    it(`drops ${name}`, () => {
      const headers = exAppRequestHeaders([...raw, "X-End", "1"], false);

      assert.deepEqual(headers, ["X-End", "1"]);
    });
  }

  it("keeps Content-Length and repeated end-to-end headers", () => {
    const headers = exAppRequestHeaders([
      "Content-Length", "12", "Cookie", "a=1", "Cookie", "b=2",
    ], false);

    assert.deepEqual(headers,
      ["Content-Length", "12", "Cookie", "a=1", "Cookie", "b=2"]);
  });

  it("keeps Upgrade and sets Connection for an upgrade", () => {
    const headers = asObject(exAppRequestHeaders([
      "Connection", "keep-alive, Upgrade", "Upgrade", "websocket",
      "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==",
      "Authorization", PROXY_AUTH,
    ], true));

    assert.deepEqual(headers.upgrade, ["websocket"]);
    assert.deepEqual(headers.connection, ["Upgrade"]);
    assert.deepEqual(headers["sec-websocket-key"], ["dGhlIHNhbXBsZSBub25jZQ=="]);
    assert.equal(headers.authorization, undefined);
  });
});
