/**
 * Request headers never passed on: hop-by-hop headers (RFC 9110 §7.6.1),
 * the client's credentials, and framing the proxy sets itself.
 */
const DROPPED_REQUEST_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "expect",
  "host",
  "content-length",
  "content-type",
  "authorization",
  "x-original-authorization",
]);

/** Response headers never passed on: hop-by-hop ones. */
const DROPPED_RESPONSE_HEADERS = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/** Names a `Connection` header lists, which are hop-by-hop as well. */
function connectionTokens(raw: readonly string[]): Set<string> {
  const tokens = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() !== "connection") continue;
    for (const token of (raw[i + 1] ?? "").split(",")) {
      tokens.add(token.trim().toLowerCase());
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
