import assert from "node:assert/strict";
import { test } from "node:test";
import { parseJson } from "../../../src/policy/body/parse-json.ts";
import { isZeroValue } from "../../../src/policy/body/zero-value.ts";
import { encode } from "./fixtures.ts";

function isZero(text: string): boolean {
  const result = parseJson(encode(text));
  if (!result.ok) assert.fail(result.refusal.message);
  return isZeroValue(result.value);
}

const zeroValues = [
  "null", "false", "0", "-0", "0.0", "0e10", '""', "[]", "{}", "[0,0]",
  '{"Type":"","Config":{}}', '{"a":[null,{"b":false}]}',
];
const nonZeroValues = [
  "true", "1", "0.1", "1e-400", '" "', '"0"', "[1]", '{"a":"x"}',
  '[[],{},[true]]', '{"Config":{"max-size":"1m"}}',
];

for (const text of zeroValues) {
  test(`isZeroValue returns true for ${text}`, () => {
    assert.equal(isZero(text), true);
  });
}

for (const text of nonZeroValues) {
  test(`isZeroValue returns false for ${text}`, () => {
    assert.equal(isZero(text), false);
  });
}
