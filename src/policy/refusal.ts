/** A request the proxy will not forward, with what the client and the log see. */
export interface Refusal {
  /** HTTP status sent to the client: 400, 403, 404, 408 or 413. */
  readonly status: 400 | 403 | 404 | 408 | 413;
  /** Stable rule name, shared by the client message and the log. */
  readonly rule: string;
  /** Short message for the client, worded like the engine's own errors. */
  readonly message: string;
}

/** Builds a refusal; keeps call sites to one line. */
export function refuse(
  status: Refusal["status"],
  rule: string,
  message: string,
): Refusal {
  return { status, rule, message };
}
