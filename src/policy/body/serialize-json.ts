/**
 * Writes a validated body as compact JSON. Integers arrive as `bigint`, so
 * they print exactly. Any other kind of value (a float, `undefined`, a
 * class instance) throws, because the schemas never output one.
 */
export function serializeJson(value: unknown): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "string":
      return JSON.stringify(value);
    case "bigint":
      return value.toString();
    case "object":
      return Array.isArray(value)
        ? serializeArray(value)
        : serializeObject(value);
    default:
      throw new TypeError(`Cannot serialize a value of type ${typeof value}`);
  }
}

function serializeArray(items: readonly unknown[]): string {
  return `[${items.map(serializeJson).join(",")}]`;
}

function serializeObject(object: object): string {
  const prototype: unknown = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError("Cannot serialize a class instance");
  }
  const members = Object.entries(object).map(([key, member]) =>
    `${JSON.stringify(key)}:${serializeJson(member)}`
  );
  return `{${members.join(",")}}`;
}
