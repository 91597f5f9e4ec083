import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sourceKey } from "../../src/ban/source-key.ts";

describe("sourceKey", () => {
  const cases: readonly [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::ffff:127.0.0.2", "127.0.0.2"],
    ["::FFFF:192.0.2.9", "192.0.2.9"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::ffff", "2001:db8:1:2::/64"],
    ["::1", "0:0:0:0::/64"],
  ];
  for (const [address, key] of cases) {
    it(`maps ${address} to ${key}`, () => {
      assert.equal(sourceKey(address), key);
    });
  }

  it("groups a whole /64 under one key", () => {
    assert.equal(sourceKey("2001:db8::1"), sourceKey("2001:db8::ffff:ffff:ffff:ffff"));
  });
});
