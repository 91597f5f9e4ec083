import { type Refusal, refuse } from "../refusal.ts";
import { formatFieldPath, type PathSegment } from "./field-path.ts";
import { JsonObject, type JsonValue } from "./json-value.ts";
import {
  type AnySchema,
  fieldNamesByFoldedKey,
  type SchemaEntries,
  schemaShape,
} from "./schema-shape.ts";
import { isZeroValue } from "./zero-value.ts";

/** Result of {@link canonicalize}: the value to validate, or a refusal. */
export type CanonicalResult =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly refusal: Refusal };

/** Keys that valibot's `record` skips; rejected so nothing vanishes. */
const RESERVED_MAP_KEYS = new Set(["__proto__", "constructor", "prototype"]);

/**
 * Position of the walker, as a chain of segments up to the root. It costs
 * one small object per node and becomes a path only for a message.
 */
interface Location {
  readonly parent: Location | undefined;
  readonly segment: PathSegment;
}

function at(parent: Location | undefined, segment: PathSegment): Location {
  return { parent, segment };
}

function pathText(location: Location | undefined): string {
  const segments: PathSegment[] = [];
  for (let node = location; node !== undefined; node = node.parent) {
    segments.push(node.segment);
  }
  return formatFieldPath(segments.reverse());
}

/** Carries a refusal out of the recursion. */
class CanonicalFailure extends Error {
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

/**
 * Rewrites a decoded body into plain objects that `schema` can validate,
 * matching keys the way the engine's Go decoder does. Struct keys map to
 * schema fields ignoring ASCII case, and a field that appears twice under
 * any spelling is rejected. A field the schema does not list is dropped
 * when its value is zero all the way down and rejected otherwise. A listed
 * field set to `null` is dropped, as Go leaves it at its zero value. Map
 * keys are exact, and exact duplicates are rejected.
 */
export function canonicalize(
  value: JsonValue,
  schema: AnySchema,
): CanonicalResult {
  try {
    return { ok: true, value: walk(value, schema, undefined) };
  } catch (error) {
    if (error instanceof CanonicalFailure) {
      return { ok: false, refusal: error.refusal };
    }
    throw error;
  }
}

function walk(
  value: JsonValue,
  schema: AnySchema,
  path: Location | undefined,
): unknown {
  const shape = schemaShape(schema, value);
  if (value instanceof JsonObject) {
    if (shape.kind === "struct") return walkStruct(value, shape.entries, path);
    if (shape.kind === "map") return walkMap(value, shape.value, path);
    return plainValue(value, path);
  }
  if (Array.isArray(value)) {
    const items: readonly JsonValue[] = value;
    if (shape.kind === "struct" || shape.kind === "map") {
      // Valibot's object schemas take arrays too; Go's decoder does not.
      const message = `Field "${pathText(path)}" has invalid value ` +
        "array: expected Object";
      fail(refuse(403, "body.invalid-value", message));
    }
    if (shape.kind === "array") {
      return items.map((item, index) =>
        walk(item, shape.item, at(path, index))
      );
    }
    if (shape.kind === "tuple") {
      return items.map((item, index) => {
        const itemSchema = shape.items[index];
        const itemPath = at(path, index);
        return itemSchema === undefined
          ? plainValue(item, itemPath)
          : walk(item, itemSchema, itemPath);
      });
    }
    return plainValue(value, path);
  }
  return value;
}

function walkStruct(
  object: JsonObject,
  entries: SchemaEntries,
  path: Location | undefined,
): Record<string, unknown> {
  const names = fieldNamesByFoldedKey(entries);
  const seen = new Set<string>();
  const result: Record<string, unknown> = Object.create(null);
  for (const [key, value] of object.members) {
    const folded = key.toLowerCase();
    const name = names.get(folded);
    const fieldPath = at(path, name ?? key);
    if (seen.has(folded)) fail(duplicateField(fieldPath));
    seen.add(folded);
    const schema = name === undefined ? undefined : entries[name];
    if (name === undefined || schema === undefined) {
      checkDroppedValue(value, fieldPath);
      continue;
    }
    if (value === null) continue;
    result[name] = walk(value, schema, fieldPath);
  }
  return result;
}

function walkMap(
  object: JsonObject,
  valueSchema: AnySchema,
  path: Location | undefined,
): Record<string, unknown> {
  const result: Record<string, unknown> = Object.create(null);
  for (const [key, value] of object.members) {
    const keyPath = at(path, key);
    if (Object.hasOwn(result, key)) fail(duplicateField(keyPath));
    if (RESERVED_MAP_KEYS.has(key)) {
      const message = `Key ${JSON.stringify(key)} in ` +
        `"${pathText(path)}" is not allowed`;
      fail(refuse(403, "body.reserved-key", message));
    }
    result[key] = walk(value, valueSchema, keyPath);
  }
  return result;
}

/**
 * Rejects a field the schema does not list unless its value is zero all
 * the way down. The value is dropped either way, but duplicate keys in it
 * are still rejected, so the duplicate rule applies at every depth.
 */
function checkDroppedValue(
  value: JsonValue,
  path: Location | undefined,
): void {
  plainValue(value, path);
  if (!isZeroValue(value)) {
    const message = `Field "${pathText(path)}" is not allowed`;
    fail(refuse(403, "body.field-not-allowed", message));
  }
}

/**
 * Converts a value that has no schema of its own into plain data for
 * valibot to reject by type, rejecting keys repeated under any ASCII case.
 */
function plainValue(value: JsonValue, path: Location | undefined): unknown {
  if (value instanceof JsonObject) {
    const seen = new Set<string>();
    const result: Record<string, unknown> = Object.create(null);
    for (const [key, member] of value.members) {
      const folded = key.toLowerCase();
      if (seen.has(folded)) fail(duplicateField(at(path, key)));
      seen.add(folded);
      result[key] = plainValue(member, at(path, key));
    }
    return result;
  }
  if (Array.isArray(value)) {
    const items: readonly JsonValue[] = value;
    return items.map((item, index) => plainValue(item, at(path, index)));
  }
  return value;
}

function duplicateField(path: Location): Refusal {
  const message = `Field "${pathText(path)}" appears more than once`;
  return refuse(403, "body.duplicate-key", message);
}

function fail(refusal: Refusal): never {
  throw new CanonicalFailure(refusal);
}
