/**
 * A JSON number kept as its source text, so that no precision is lost
 * before a schema decides which Go type it must fit.
 */
export class JsonNumber {
  /** The number exactly as it appeared in the body. */
  readonly text: string;

  constructor(text: string) {
    this.text = text;
  }
}

/**
 * A JSON object with its members in body order. Duplicate keys are kept,
 * because the engine merges them and the policy must see every one.
 */
export class JsonObject {
  /** Key and value pairs in the order the body lists them. */
  readonly members: readonly (readonly [string, JsonValue])[];

  constructor(members: readonly (readonly [string, JsonValue])[]) {
    this.members = members;
  }
}

/** Decoded JSON value that keeps number text and duplicate keys. */
export type JsonValue =
  | null
  | boolean
  | string
  | JsonNumber
  | JsonObject
  | readonly JsonValue[];
