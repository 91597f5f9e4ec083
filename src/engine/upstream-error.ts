/** A failure to reach the engine or an ExApp, with the status it maps to. */
export class UpstreamError extends Error {
  /** 502 when the upstream is missing or refused, 504 on a timeout. */
  readonly status: 502 | 504;
  /** Log detail besides the message, such as the socket path. */
  logDetail: string | undefined;

  constructor(status: 502 | 504, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UpstreamError";
    this.status = status;
  }
}

/** Maps a socket error code to the status and a message for the client. */
export function upstreamErrorOf(
  error: unknown,
  what: string,
): UpstreamError {
  if (error instanceof UpstreamError) return error;
  const code = (error as { code?: string } | null)?.code ?? "";
  if (code === "ETIMEDOUT" || code === "ESOCKETTIMEDOUT") {
    return new UpstreamError(504, `Timed out waiting for ${what}`, {
      cause: error,
    });
  }
  const detail = code === "" ? (error as Error)?.message ?? "" : code;
  return new UpstreamError(502, `Cannot reach ${what}: ${detail}`, {
    cause: error,
  });
}
