import { UpstreamError } from "../engine/upstream-error.ts";

/** Error code of a connection attempt that ran out of time. */
export const CONNECT_TIMED_OUT = "ETIMEDOUT";

/** One connection attempt to `address`; it bounds its own time. */
export type ConnectAttempt<T> = (address: string) => Promise<T>;

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : (error as Error)?.message ?? "";
}

/**
 * Tries the addresses of a host in the order the resolver returned them
 * and returns the first connection made. A name such as `localhost`
 * often resolves to `::1` first while an ExApp listens on 127.0.0.1
 * only, so a failed address moves on to the next one. When every address
 * fails, the error is a 504 if any attempt timed out, else a 502 that
 * names each address and its error code.
 */
export async function connectFirst<T>(
  addresses: readonly string[],
  attempt: ConnectAttempt<T>,
  targetName: string,
): Promise<T> {
  const failures: string[] = [];
  let timedOut = false;
  for (const address of addresses) {
    try {
      return await attempt(address);
    } catch (error) {
      const code = codeOf(error);
      if (code === CONNECT_TIMED_OUT) timedOut = true;
      failures.push(`${address} ${code}`);
    }
  }
  if (addresses.length === 0) {
    throw new UpstreamError(502,
      `Cannot reach ${targetName}: no address found`);
  }
  if (timedOut) {
    throw new UpstreamError(504,
      `Timed out connecting to ${targetName} (${failures.join(", ")})`);
  }
  throw new UpstreamError(502,
    `Cannot reach ${targetName} (${failures.join(", ")})`);
}
