import * as v from "valibot";
import { JsonObject, type JsonValue } from "./json-value.ts";

/** Any synchronous valibot schema, whatever its input and output. */
export type AnySchema = v.GenericSchema<unknown, unknown>;

/** Structure of a schema, as far as the canonical walker uses it. */
export type SchemaShape =
  | { readonly kind: "struct"; readonly entries: SchemaEntries }
  | { readonly kind: "map"; readonly value: AnySchema }
  | { readonly kind: "array"; readonly item: AnySchema }
  | { readonly kind: "tuple"; readonly items: readonly AnySchema[] }
  | { readonly kind: "leaf" };

/** Field name to schema, as valibot object schemas hold them. */
export type SchemaEntries = Readonly<Record<string, AnySchema>>;

/** Properties of valibot 1 schema objects that the walker reads. */
interface SchemaParts {
  readonly type: string;
  readonly wrapped?: AnySchema;
  readonly entries?: SchemaEntries;
  readonly key?: string | AnySchema;
  readonly value?: AnySchema;
  readonly item?: AnySchema;
  readonly items?: readonly AnySchema[];
  readonly options?: readonly AnySchema[];
}

const WRAPPER_TYPES = new Set([
  "optional",
  "exact_optional",
  "nullable",
  "nullish",
  "undefinedable",
  "non_optional",
  "non_nullable",
  "non_nullish",
]);
const STRUCT_TYPES = new Set([
  "object",
  "strict_object",
  "loose_object",
  "object_with_rest",
]);
const TUPLE_TYPES = new Set(["tuple", "strict_tuple", "loose_tuple"]);

/**
 * Reads the shape of `schema` for `value`, looking through optional
 * wrappers and `pipe`. A variant picks the option that its discriminator
 * in `value` selects, and a union the option that fits an object or an
 * array. When no option fits, the shape is a leaf, so the walker passes
 * the value on unchanged and valibot reports the mismatch.
 */
export function schemaShape(schema: AnySchema, value: JsonValue): SchemaShape {
  let parts = schema as unknown as SchemaParts;
  while (WRAPPER_TYPES.has(parts.type) && parts.wrapped !== undefined) {
    parts = parts.wrapped as unknown as SchemaParts;
  }
  if (STRUCT_TYPES.has(parts.type) && parts.entries !== undefined) {
    return { kind: "struct", entries: parts.entries };
  }
  if (parts.type === "record" && parts.value !== undefined) {
    return { kind: "map", value: parts.value };
  }
  if (parts.type === "array" && parts.item !== undefined) {
    return { kind: "array", item: parts.item };
  }
  if (TUPLE_TYPES.has(parts.type) && parts.items !== undefined) {
    return { kind: "tuple", items: parts.items };
  }
  if (parts.type === "variant" && typeof parts.key === "string") {
    // Only an object can select an option. Anything else is a type error.
    if (!(value instanceof JsonObject)) return { kind: "struct", entries: {} };
    const option = selectVariantOption(parts.options ?? [], parts.key, value);
    if (option !== undefined) return schemaShape(option, value);
  }
  if (parts.type === "union") {
    for (const option of parts.options ?? []) {
      const shape = schemaShape(option, value);
      if (fitsContainer(shape, value)) return shape;
    }
  }
  return { kind: "leaf" };
}

function fitsContainer(shape: SchemaShape, value: JsonValue): boolean {
  if (value instanceof JsonObject) {
    return shape.kind === "struct" || shape.kind === "map";
  }
  if (Array.isArray(value)) {
    return shape.kind === "array" || shape.kind === "tuple";
  }
  return false;
}

/** Picks the option whose discriminator accepts the value under `key`. */
function selectVariantOption(
  options: readonly AnySchema[],
  key: string,
  value: JsonObject,
): AnySchema | undefined {
  const folded = key.toLowerCase();
  const member = value.members.find(([name]) =>
    name.toLowerCase() === folded
  );
  if (member === undefined) return undefined;
  return options.find((option) => {
    const entries = (option as unknown as SchemaParts).entries;
    const discriminator = entries?.[key];
    return discriminator !== undefined && v.is(discriminator, member[1]);
  });
}

const foldedNameCache = new WeakMap<SchemaEntries, Map<string, string>>();

/**
 * Maps each field name folded to ASCII lower case back to its spelling in
 * the schema, the way Go matches keys to struct fields.
 */
export function fieldNamesByFoldedKey(
  entries: SchemaEntries,
): ReadonlyMap<string, string> {
  let names = foldedNameCache.get(entries);
  if (names === undefined) {
    names = new Map(Object.keys(entries).map((name) => [
      name.toLowerCase(),
      name,
    ]));
    foldedNameCache.set(entries, names);
  }
  return names;
}
