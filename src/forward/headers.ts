/**
 * Headers that belong to one connection, not to the message (RFC 9110
 * section 7.6.1), never passed on in either direction.
 */
export const HOP_BY_HOP_HEADERS: readonly string[] = [
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
];

/**
 * Request headers never passed to the engine: hop-by-hop headers, the
 * client's credentials, and framing the proxy sets itself.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  ...HOP_BY_HOP_HEADERS,
  "proxy-authorization",
  "expect",
  "host",
  "content-length",
  "content-type",
  "authorization",
  "x-original-authorization",
]);

const DROPPED_RESPONSE_HEADERS = new Set(HOP_BY_HOP_HEADERS);

/** Names a `Connection` header lists, which are hop-by-hop as well. */
export function connectionTokens(raw: readonly string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== "connection") continue;
    for (const token of (raw[i + 1] ?? "").split(",")) {
      const name = token.trim().toLowerCase();
      if (name !== "") tokens.add(name);
    }
  }
  return tokens;
}

function filter(raw: readonly string[], dropped: ReadonlySet<string>) {
  const listed = connectionTokens(raw);
  const kept: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const lower = name.toLowerCase();
    if (dropped.has(lower) || listed.has(lower)) continue;
    kept.push(name, raw[i + 1] ?? "");
  }
  return kept;
}

/** Keeps the end-to-end request headers of a flat `[name, value, …]` list. */
export function requestHeaders(raw: readonly string[]): string[] {
  return filter(raw, DROPPED_REQUEST_HEADERS);
}

/** Keeps the end-to-end response headers of a flat `[name, value, …]` list. */
export function responseHeaders(raw: readonly string[]): string[] {
  return filter(raw, DROPPED_RESPONSE_HEADERS);
}

/**
 * Returns every `Authorization` header of a flat `[name, value, …]` list
 * joined with ", ", as the fetch API does. Node's parsed headers keep
 * only the first, so a second, wrong one would go unnoticed; joined,
 * two headers never match the credentials.
 */
export function authorizationOf(raw: readonly string[]): string | undefined {
  let found: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== "authorization") continue;
    const value = raw[i + 1] ?? "";
    found = found === undefined ? value : `${found}, ${value}`;
  }
  return found;
}
