import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  JsonNumber,
  JsonObject,
  type JsonValue,
} from "../../../src/policy/body/json-value.ts";
import { parseJson } from "../../../src/policy/body/parse-json.ts";
import { encode } from "./fixtures.ts";

function parse(text: string | Uint8Array): JsonValue {
  const result = parseJson(typeof text === "string" ? encode(text) : text);
  if (!result.ok) assert.fail(result.refusal.message);
  return result.value;
}

/** Converts a parsed value to what `JSON.parse` returns for it. */
function toPlain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.text);
  if (value instanceof JsonObject) {
    return Object.fromEntries(
      value.members.map(([key, member]) => [key, toPlain(member)]),
    );
  }
  if (Array.isArray(value)) return value.map(toPlain);
  return value;
}

test("parseJson keeps duplicate keys in order", () => {
  const value = parse('{"a":1,"A":2,"a":3}');
  assert.ok(value instanceof JsonObject);
  assert.deepEqual(value.members.map(([key]) => key), ["a", "A", "a"]);
});

test("parseJson keeps number text", () => {
  const value = parse("[1e400,-0,9223372036854775808,1.50]");
  assert.ok(Array.isArray(value));
  assert.deepEqual(
    value.map((item) => item instanceof JsonNumber && item.text),
    ["1e400", "-0", "9223372036854775808", "1.50"],
  );
});

test("parseJson decodes escapes in keys and values", () => {
  const value = parse(String.raw`{"\u0050riv\/":"\ud83d\ude00\t\"\\\/"}`);
  assert.ok(value instanceof JsonObject);
  assert.deepEqual(value.members, [["Priv/", "😀\t\"\\/"]]);
});

test("parseJson accepts whitespace around the value", () => {
  assert.deepEqual(toPlain(parse(' \r\n\t{ "a" : [ 1 , true , null ] } \n')), {
    a: [1, true, null],
  });
});

test("parseJson accepts 64 levels of nesting", () => {
  const text = "[".repeat(64) + "]".repeat(64);
  assert.ok(Array.isArray(parse(text)));
});

/** Inputs that Go's decoder or our stricter rules reject. */
const rejected: readonly (readonly [string, string | Uint8Array, string])[] = [
  ["empty input", "", "body.invalid-json"],
  ["byte order mark", "\ufeff{}", "body.invalid-json"],
  ["invalid UTF-8 byte", Uint8Array.of(0x22, 0xc3, 0x28, 0x22),
    "body.invalid-json"],
  ["overlong UTF-8", Uint8Array.of(0x22, 0xc0, 0xaf, 0x22),
    "body.invalid-json"],
  ["UTF-8 encoded surrogate", Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22),
    "body.invalid-json"],
  ["lone high surrogate escape", String.raw`"\ud800"`, "body.invalid-json"],
  ["lone low surrogate escape", String.raw`"\udc00"`, "body.invalid-json"],
  ["reversed surrogate pair", String.raw`"\ude00\ud83d"`,
    "body.invalid-json"],
  ["raw control character", '"a\u0001"', "body.invalid-json"],
  ["raw newline in string", '"a\nb"', "body.invalid-json"],
  ["unknown escape", String.raw`"\x41"`, "body.invalid-json"],
  ["short unicode escape", String.raw`"\u41"`, "body.invalid-json"],
  ["unterminated string", '"abc', "body.invalid-json"],
  ["second value", "{}{}", "body.invalid-json"],
  ["second value after space", "{} []", "body.invalid-json"],
  ["leading zero", "01", "body.invalid-json"],
  ["bare fraction", ".5", "body.invalid-json"],
  ["trailing dot", "1.", "body.invalid-json"],
  ["plus sign", "+1", "body.invalid-json"],
  ["NaN", "NaN", "body.invalid-json"],
  ["Infinity", "-Infinity", "body.invalid-json"],
  ["single quotes", "{'a':1}", "body.invalid-json"],
  ["trailing comma in object", '{"a":1,}', "body.invalid-json"],
  ["trailing comma in array", "[1,]", "body.invalid-json"],
  ["missing colon", '{"a" 1}', "body.invalid-json"],
  ["unquoted key", "{a:1}", "body.invalid-json"],
  ["comment", "{} // x", "body.invalid-json"],
  ["capitalised literal", "True", "body.invalid-json"],
  ["non-breaking space", "\u00a0{}", "body.invalid-json"],
  ["65 levels of nesting", "[".repeat(65) + "]".repeat(65), "body.too-deep"],
  ["long s in key", '{"ſ":1}', "body.non-ascii-key"],
  ["escaped Kelvin sign in key", String.raw`{"\u212a":1}`,
    "body.non-ascii-key"],
];

for (const [name, input, rule] of rejected) {
  test(`parseJson rejects ${name}`, () => {
    const result = parseJson(typeof input === "string" ? encode(input) : input);
    assert.equal(result.ok, false);
    assert.equal(result.ok || result.refusal.rule, rule);
  });
}

test("parseJson reads what JSON.parse reads", () => {
  // Keys are ASCII here, as non-ASCII keys are rejected on purpose.
  const asciiKey = fc.string({ unit: "binary-ascii", maxLength: 8 });
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.constant(null),
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.string({ unit: "grapheme" }),
      fc.array(tie("value")),
      fc.dictionary(asciiKey, tie("value")),
    ),
  })).value;
  fc.assert(
    fc.property(json, (value) => {
      const text = JSON.stringify(value);
      assert.deepEqual(toPlain(parse(text)), JSON.parse(text));
    }),
    { numRuns: 500 },
  );
});
