import { JsonNumber } from "./json-value.ts";

/** Maximum length of a value quoted in a message, in UTF-16 code units. */
const MAX_QUOTED_LENGTH = 80;

/** Quotes a value for a message without echoing long strings in full. */
export function describeValue(value: unknown): string {
  if (value instanceof JsonNumber) return truncate(value.text);
  if (typeof value === "string") return JSON.stringify(truncate(value));
  if (Array.isArray(value)) return "array";
  if (value === null) return "null";
  if (typeof value === "object") return "object";
  return String(value);
}

function truncate(text: string): string {
  return text.length > MAX_QUOTED_LENGTH
    ? `${text.slice(0, MAX_QUOTED_LENGTH)}…`
    : text;
}
