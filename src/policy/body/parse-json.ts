import { type Refusal, refuse } from "../refusal.ts";
import { JsonNumber, JsonObject, type JsonValue } from "./json-value.ts";

/** Nesting limit; Docker bodies nest about six levels deep. */
export const MAX_JSON_DEPTH = 64;

/** Result of {@link parseJson}: the decoded value or why it was rejected. */
export type ParseResult =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly refusal: Refusal };

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const NON_ASCII = /[^\x00-\x7f]/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  "\\": "\\",
  "/": "/",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
};

/** Carries a refusal out of the recursive descent. */
class ParseFailure extends Error {
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

/**
 * Decodes a request body as strict UTF-8 JSON, keeping what the engine's
 * Go decoder would see but `JSON.parse` hides: duplicate keys and number
 * text. Rejects a byte order mark, trailing data after the value, nesting
 * deeper than {@link MAX_JSON_DEPTH}, lone surrogate escapes and object
 * keys with non-ASCII characters (Go folds `ſ` to `S` when it matches keys).
 */
export function parseJson(body: Uint8Array): ParseResult {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    return invalid("Request body starts with a byte order mark");
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
      .decode(body);
  } catch {
    return invalid("Request body is not valid UTF-8");
  }
  try {
    const parser = new Parser(text);
    parser.skipWhitespace();
    if (parser.atEnd()) return invalid("Request body is empty");
    const value = parser.parseValue(0);
    parser.skipWhitespace();
    if (!parser.atEnd()) parser.fail("unexpected data after the JSON value");
    return { ok: true, value };
  } catch (error) {
    if (error instanceof ParseFailure) {
      return { ok: false, refusal: error.refusal };
    }
    throw error;
  }
}

function invalid(message: string): ParseResult {
  return { ok: false, refusal: refuse(400, "body.invalid-json", message) };
}

/** Recursive descent over the decoded text; `position` counts UTF-16 units. */
class Parser {
  private readonly text: string;
  private position = 0;

  constructor(text: string) {
    this.text = text;
  }

  atEnd(): boolean {
    return this.position >= this.text.length;
  }

  fail(reason: string): never {
    const message = `Invalid JSON at position ${this.position}: ${reason}`;
    throw new ParseFailure(refuse(400, "body.invalid-json", message));
  }

  skipWhitespace(): void {
    for (;;) {
      const char = this.text[this.position];
      if (char !== " " && char !== "\t" && char !== "\n" && char !== "\r") {
        return;
      }
      this.position++;
    }
  }

  parseValue(depth: number): JsonValue {
    const char = this.text[this.position];
    if (char === "{" || char === "[") {
      if (depth >= MAX_JSON_DEPTH) {
        const message =
          `Request body nests deeper than ${MAX_JSON_DEPTH} levels`;
        throw new ParseFailure(refuse(400, "body.too-deep", message));
      }
      return char === "{"
        ? this.parseObject(depth + 1)
        : this.parseArray(depth + 1);
    }
    if (char === '"') return this.parseString();
    if (this.consumeWord("true")) return true;
    if (this.consumeWord("false")) return false;
    if (this.consumeWord("null")) return null;
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (match === null) {
      this.fail(char === undefined ? "unexpected end" : "expected a value");
    }
    this.position += match[0].length;
    return new JsonNumber(match[0]);
  }

  private consumeWord(word: string): boolean {
    if (!this.text.startsWith(word, this.position)) return false;
    this.position += word.length;
    return true;
  }

  private expect(char: string): void {
    this.skipWhitespace();
    if (this.text[this.position] !== char) this.fail(`expected "${char}"`);
    this.position++;
  }

  private parseObject(depth: number): JsonObject {
    this.position++;
    const members: (readonly [string, JsonValue])[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === "}") {
      this.position++;
      return new JsonObject(members);
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.position] !== '"') this.fail("expected a key");
      const key = this.parseString();
      if (NON_ASCII.test(key)) {
        const message = `Key ${JSON.stringify(key)} contains a non-ASCII ` +
          "character";
        throw new ParseFailure(refuse(403, "body.non-ascii-key", message));
      }
      this.expect(":");
      this.skipWhitespace();
      members.push([key, this.parseValue(depth)]);
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === "}") return new JsonObject(members);
      if (next !== ",") this.fail('expected "," or "}"');
    }
  }

  private parseArray(depth: number): JsonValue[] {
    this.position++;
    const items: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.position] === "]") {
      this.position++;
      return items;
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.parseValue(depth));
      this.skipWhitespace();
      const next = this.text[this.position++];
      if (next === "]") return items;
      if (next !== ",") this.fail('expected "," or "]"');
    }
  }

  private parseString(): string {
    const text = this.text;
    let position = this.position + 1;
    let result = "";
    let runStart = position;
    for (;;) {
      const code = text.charCodeAt(position);
      if (Number.isNaN(code)) {
        this.position = position;
        this.fail("unterminated string");
      }
      if (code === 0x22) break;
      if (code < 0x20) {
        this.position = position;
        this.fail("control character in string");
      }
      if (code !== 0x5c) {
        position++;
        continue;
      }
      result += text.slice(runStart, position);
      this.position = position;
      result += this.parseEscape();
      position = this.position;
      runStart = position;
    }
    result += text.slice(runStart, position);
    this.position = position + 1;
    return result;
  }

  /** Decodes one escape; `position` is on the backslash. */
  private parseEscape(): string {
    const letter = this.text[this.position + 1] ?? "";
    const simple = SIMPLE_ESCAPES[letter];
    if (simple !== undefined) {
      this.position += 2;
      return simple;
    }
    if (letter !== "u") this.fail("invalid escape");
    const unit = this.readUnicodeEscape();
    if (unit < 0xd800 || unit > 0xdfff) return String.fromCharCode(unit);
    if (unit <= 0xdbff && this.text.startsWith("\\u", this.position)) {
      const low = this.readUnicodeEscape();
      if (low >= 0xdc00 && low <= 0xdfff) {
        return String.fromCharCode(unit, low);
      }
    }
    return this.fail("lone surrogate in \\u escape");
  }

  private readUnicodeEscape(): number {
    const digits = this.text.slice(this.position + 2, this.position + 6);
    if (!/^[0-9A-Fa-f]{4}$/.test(digits)) this.fail("invalid \\u escape");
    this.position += 6;
    return Number.parseInt(digits, 16);
  }
}
