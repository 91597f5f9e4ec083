import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { authorizationOf, requestHeaders } from "../../src/forward/headers.ts";

describe("authorizationOf", () => {
  it("returns the only Authorization header", () => {
    assert.equal(authorizationOf(["Host", "x", "Authorization", "Basic a"]), "Basic a");
  });

  it("joins repeated Authorization headers so they never match", () => {
    assert.equal(
      authorizationOf(["authorization", "Basic a", "AUTHORIZATION", "Basic b"]),
      "Basic a, Basic b");
  });

  it("returns undefined without the header", () => {
    assert.equal(authorizationOf(["Host", "x"]), undefined);
  });
});

describe("requestHeaders", () => {
  it("drops credentials, hop-by-hop and framing headers", () => {
    const kept = requestHeaders([
      "Authorization", "Basic a", "Proxy-Authorization", "x", "Connection", "X-Drop, keep-alive",
      "X-Drop", "1", "Keep-Alive", "5", "Transfer-Encoding", "chunked", "Content-Length", "4",
      "Upgrade", "tcp", "Expect", "100-continue", "X-Original-Authorization", "y",
      "User-Agent", "GuzzleHttp/7",
    ]);
    assert.deepEqual(kept, ["User-Agent", "GuzzleHttp/7"]);
  });
});
