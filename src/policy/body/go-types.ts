import * as v from "valibot";
import { describeValue } from "./describe-value.ts";
import { JsonNumber } from "./json-value.ts";
import { policyCheck } from "./policy-check.ts";

/** Smallest Go `int64`, which is also Go's `int` on 64-bit hosts. */
export const INT64_MIN = -(2n ** 63n);
/** Largest Go `int64`. */
export const INT64_MAX = 2n ** 63n - 1n;
/** Largest Go `uint` on a 64-bit host. */
export const UINT64_MAX = 2n ** 64n - 1n;

/**
 * Go's integer syntax, because `strconv.ParseInt` rejects fractions and
 * exponents. Twenty digits are enough for any 64-bit value, and the cap
 * keeps `BigInt` from parsing a megabyte of digits.
 */
const INTEGER_TEXT = /^-?(?:0|[1-9][0-9]{0,19})$/;

/**
 * Schema for a Go integer field within `[min, max]`. It outputs a
 * `bigint`, so `-0` is forwarded as `0`.
 */
export function goInteger(min: bigint, max: bigint) {
  const isInRange = (number: JsonNumber): boolean => {
    if (!INTEGER_TEXT.test(number.text)) return false;
    const value = BigInt(number.text);
    return value >= min && value <= max;
  };
  return v.pipe(
    v.instance(JsonNumber),
    policyCheck(
      "body.invalid-value",
      isInRange,
      (input, fieldPath) =>
        `Field "${fieldPath}" has invalid value ${describeValue(input)}: ` +
        `expected integer from ${min} to ${max}`,
    ),
    v.transform((number: JsonNumber) => BigInt(number.text)),
  );
}

/** Schema for Go `[]string`. A `null` item is rejected, though Go takes it. */
export const stringList = v.array(v.string());

/**
 * Schema for Docker's `StrSlice` (`Cmd`, `Entrypoint`, `CapDrop`): Go
 * accepts a list or one string, and the output is always a list.
 */
export const stringOrList = v.union([
  stringList,
  v.pipe(v.string(), v.transform((text: string) => [text])),
]);

/** Schema for Go `struct{}` values, as in `ExposedPorts`. */
export const emptyStruct = v.strictObject({});

/** Schema for Go `[2]uint`, such as a console's height and width. */
export const uintPair = v.strictTuple([
  goInteger(0n, UINT64_MAX),
  goInteger(0n, UINT64_MAX),
]);
