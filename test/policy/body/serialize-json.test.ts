import assert from "node:assert/strict";
import { test } from "node:test";
import { JsonNumber } from "../../../src/policy/body/json-value.ts";
import { serializeJson } from "../../../src/policy/body/serialize-json.ts";

test("serializeJson writes compact JSON with exact integers", () => {
  const value = {
    a: [true, false, null, "x\"\n/é"],
    b: 9223372036854775807n,
    c: {},
  };
  assert.equal(
    serializeJson(value),
    '{"a":[true,false,null,"x\\"\\n/é"],"b":9223372036854775807,"c":{}}',
  );
});

test("serializeJson throws on values no schema outputs", () => {
  for (const value of [1.5, undefined, new JsonNumber("1"), { a: 1 }]) {
    assert.throws(() => serializeJson(value), TypeError);
  }
});
