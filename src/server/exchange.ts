import type { Audit } from "./audit.ts";

/** The request sent to the engine for an allowed request. */
export interface UpstreamRequest {
  /** Canonical path and query, version prefix included. */
  readonly path: string;
  /**
   * The checked body, or "stream" to pass the client's body through as
   * it arrives (after any bytes already peeked), or none at all.
   */
  readonly body: Uint8Array | "stream" | undefined;
  readonly contentType?: string;
}

/** A body read in full, or why it was not. */
export type BodyRead = Uint8Array | "too-large" | "timed-out";

/**
 * One request as the runtime's server hands it to the pipeline: the
 * parts that need sockets live behind these methods, so the pipeline
 * itself stays runtime-neutral.
 */
export interface Exchange {
  readonly audit: Audit;
  /** Peer address of the client connection. */
  readonly peer: string;
  /** Keeps a banned client's connection open and silent, then closes it. */
  readonly hold: () => Promise<Response>;
  /**
   * Reads the whole body, or returns why it could not: the body exceeds
   * `limit` bytes, or did not arrive within the client timeout.
   */
  readonly readBody: (limit: number) => Promise<BodyRead>;
  /** Reads up to `length` first bytes, kept for a later streamed forward. */
  readonly peekBody: (length: number) => Promise<Uint8Array>;
  /** Sends the request on and streams the response back to the client. */
  readonly forward: (request: UpstreamRequest) => Promise<Response>;
}
