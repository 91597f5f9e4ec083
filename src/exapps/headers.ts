import {
  connectionTokens,
  HOP_BY_HOP_HEADERS,
} from "../forward/headers.ts";

/**
 * Request headers dropped on the way to an ExApp: hop-by-hop headers,
 * proxy credentials, and `Expect`, which the forwarder sets itself.
 */
const HOP_BY_HOP = new Set([
  ...HOP_BY_HOP_HEADERS,
  "proxy-authorization",
  "expect",
]);

const AUTHORIZATION = "authorization";
const ORIGINAL_AUTHORIZATION = "x-original-authorization";

/** Returns the last value of a header, for headers that allow one. */
function lastValue(raw: readonly string[], lower: string) {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]?.toLowerCase() === lower) value = raw[i + 1];
  }
  return value;
}

/**
 * Builds the headers an ExApp receives from the client's flat
 * `[name, value, …]` list. Hop-by-hop headers and those a `Connection`
 * header lists are dropped. The client's `Authorization` carries the
 * proxy password, so it never passes. A non-empty
 * `X-Original-Authorization` (AppAPI's copy of the browser's own
 * credentials) takes its place, and the copy itself is dropped. With
 * `upgrade` set, `Upgrade` stays and `Connection: Upgrade` is added.
 */
export function exAppRequestHeaders(
  raw: readonly string[],
  upgrade: boolean,
): string[] {
  const listed = connectionTokens(raw);
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] ?? "";
    const lower = name.toLowerCase();
    if (lower === AUTHORIZATION || lower === ORIGINAL_AUTHORIZATION) continue;
    const keep = upgrade && lower === "upgrade";
    if (!keep && (HOP_BY_HOP.has(lower) || listed.has(lower))) continue;
    headers.push(name, raw[i + 1] ?? "");
  }
  const original = lastValue(raw, ORIGINAL_AUTHORIZATION);
  if (original !== undefined && original !== "") {
    headers.push("Authorization", original);
  }
  if (upgrade) headers.push("Connection", "Upgrade");
  return headers;
}
