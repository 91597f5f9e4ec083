import { refuse } from "./refusal.ts";
import type { Refusal } from "./refusal.ts";

/** A request target reduced to the one form that is matched and sent. */
export interface Target {
  /** API version from the `/v<major>.<minor>` prefix, if any. */
  readonly version: string | undefined;
  /** Decoded path without the version prefix, e.g. `/containers/x/json`. */
  readonly path: string;
  /** Decoded query parameters, each name at most once. */
  readonly query: ReadonlyMap<string, string>;
}

/**
 * Oldest API version accepted in a prefix. Older versions of the engine
 * API let `start` carry a HostConfig body (privileged, binds) and change
 * other semantics this policy does not model; AppAPI sends 1.41 or 1.44.
 */
export const MIN_API_VERSION = [1, 24] as const;

const VERSION_PREFIX = /^\/v(\d{1,3})\.(\d{1,3})(?=\/)/;
const FORBIDDEN_RAW = /[\0-\x1f\x7f-\uffff\\#]/;
const PERCENT = /%([0-9A-Fa-f]{2})/g;
/** A segment that is empty, `.` or `..`, anywhere in a `/`-led path. */
const EMPTY_OR_DOT_SEGMENT = /\/(?:\.{1,2})?(?:\/|$)/;
/** Query text that decoding would change: an escape or a `+`. */
const ENCODED = /[%+]/;
/** The query of a target without one; never written to. */
const NO_QUERY: ReadonlyMap<string, string> = new Map();

function invalid(detail: string): Refusal {
  return refuse(403, "path.invalid", `Request path is not accepted: ${detail}`);
}

/** Decodes %XX escapes, rejecting those that could change the path's shape. */
function decodePath(raw: string): string | Refusal {
  if (!raw.includes("%")) return raw;
  if (/%(?![0-9A-Fa-f]{2})/.test(raw)) return invalid("broken percent-encoding");
  let refusal: Refusal | undefined;
  const decoded = raw.replace(PERCENT, (escape, hex: string) => {
    const code = parseInt(hex, 16);
    if (code < 0x21 || code > 0x7e || "/.%\\;".includes(String.fromCharCode(code))) {
      refusal ??= invalid(`encoded character ${escape}`);
    }
    return String.fromCharCode(code);
  });
  return refusal ?? decoded;
}

function parseQuery(raw: string): ReadonlyMap<string, string> | Refusal {
  if (raw === "") return NO_QUERY;
  const query = new Map<string, string>();
  if (raw.includes(";")) return invalid("semicolon in query");
  for (const pair of raw.split("&")) {
    if (pair === "") continue;
    const at = pair.indexOf("=");
    let name: string;
    let value: string;
    try {
      const plus = (text: string) => ENCODED.test(text)
        ? decodeURIComponent(text.replace(/\+/g, " "))
        : text;
      name = plus(at < 0 ? pair : pair.slice(0, at));
      value = at < 0 ? "" : plus(pair.slice(at + 1));
    } catch {
      return invalid("broken percent-encoding in query");
    }
    if (/[\0-\x1f\x7f]/.test(name + value)) {
      return invalid("control character in query");
    }
    if (query.has(name)) {
      return refuse(403, "query.repeated",
        `Query parameter "${name}" is given more than once`);
    }
    query.set(name, value);
  }
  return query;
}

/**
 * Reduces a raw request target to its canonical form. It refuses a
 * target that two parsers could read differently, so one with dot or
 * empty segments, backslashes, control or non-ASCII characters, escapes
 * for `/`, `.` or `%`, or an absolute URL. It also refuses an API
 * version below 1.24.
 */
export function normaliseTarget(raw: string): Target | Refusal {
  if (!raw.startsWith("/")) return invalid("expected an origin-form path");
  if (FORBIDDEN_RAW.test(raw)) return invalid("forbidden character");
  const mark = raw.indexOf("?");
  const rawPath = mark < 0 ? raw : raw.slice(0, mark);
  const query = parseQuery(mark < 0 ? "" : raw.slice(mark + 1));
  if ("status" in query) return query;
  const decoded = decodePath(rawPath);
  if (typeof decoded !== "string") return decoded;
  if (EMPTY_OR_DOT_SEGMENT.test(decoded)) return invalid("empty or dot segment");
  const prefix = VERSION_PREFIX.exec(decoded);
  if (prefix === null) {
    // `/1.44/` comes from an AppAPI docker_api_version set without its v.
    if (/^\/(v\d|V|\d+\.\d+\/)/.test(decoded)) {
      return invalid("expected a version prefix such as /v1.44");
    }
    return { version: undefined, path: decoded, query };
  }
  const major = Number(prefix[1]);
  const minor = Number(prefix[2]);
  const [minMajor, minMinor] = MIN_API_VERSION;
  if (major < minMajor || (major === minMajor && minor < minMinor)) {
    return refuse(403, "path.old-version",
      `API version ${major}.${minor} is not accepted: expected ` +
        `${minMajor}.${minMinor} or newer`);
  }
  return {
    version: `${major}.${minor}`,
    path: decoded.slice(prefix[0].length),
    query,
  };
}
