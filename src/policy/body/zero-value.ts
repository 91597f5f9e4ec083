import { JsonNumber, JsonObject, type JsonValue } from "./json-value.ts";

const ZERO_NUMBER = /^-?0+(?:\.0+)?(?:[eE][+-]?[0-9]+)?$/;

/**
 * Tells whether a value is zero all the way down: `null`, `false`, `0`,
 * `""`, or an array or object holding only such values. Dropping such a
 * value leaves the engine's Go struct as if the field had not been sent.
 */
export function isZeroValue(value: JsonValue): boolean {
  if (value === null || value === false || value === "") return true;
  if (value instanceof JsonNumber) return ZERO_NUMBER.test(value.text);
  if (value instanceof JsonObject) {
    return value.members.every(([, member]) => isZeroValue(member));
  }
  if (Array.isArray(value)) return value.every(isZeroValue);
  return false;
}
