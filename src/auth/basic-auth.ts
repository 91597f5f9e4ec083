/** The user name AppAPI sends; fixed by AppAPI's code. */
export const APPAPI_USER = "app_api_haproxy_user";

/** The realm of the original proxy, kept so clients see no change. */
export const REALM = "AppAPI";

/** The `WWW-Authenticate` value sent with every 401. */
export const CHALLENGE = `Basic realm="${REALM}"`;

/** A fast, fixed-length hash such as SHA-256, supplied by the runtime. */
export type Digest = (data: Uint8Array) => Uint8Array;

const encoder = new TextEncoder();

/** Compares two digests in time that depends only on their length. */
function digestsEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

/** Decodes the base64 token of a Basic header into its raw bytes. */
function decodeBasic(header: string): Uint8Array | undefined {
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  if (match === null) return undefined;
  let binary: string;
  try {
    binary = atob(match[1] ?? "");
  } catch {
    return undefined;
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Creates the credential check for `app_api_haproxy_user`. The expected
 * digest is made once here. Each request then costs one SHA-256 of the
 * credentials it sends and a constant-time comparison, so no slow
 * password hash runs per request.
 */
export function createBasicAuth(password: string, digest: Digest) {
  const expected = digest(encoder.encode(`${APPAPI_USER}:${password}`));
  /** Reports whether an `Authorization` header carries the credentials. */
  return function isAuthorized(header: string | undefined | null): boolean {
    if (header == null) return false;
    const credentials = decodeBasic(header);
    if (credentials === undefined) return false;
    return digestsEqual(digest(credentials), expected);
  };
}
