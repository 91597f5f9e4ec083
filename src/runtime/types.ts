import type { Digest } from "../auth/basic-auth.ts";

/** Signals the proxy acts on. */
export type SignalName = "SIGTERM" | "SIGINT" | "SIGHUP";

/** The services the proxy takes from its runtime (Node or Deno). */
export interface Runtime {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: () => Readonly<Record<string, string | undefined>>;
  readonly readTextFile: (path: string) => string;
  /**
   * Tells whether a path exists; throws when it cannot tell, such as
   * when a folder on the way is not readable.
   */
  readonly fileExists: (path: string) => boolean;
  /** SHA-256, synchronous. */
  readonly digest: Digest;
  readonly writeOut: (text: string) => void;
  readonly writeErr: (text: string) => void;
  readonly onSignal: (signal: SignalName, handler: () => void) => void;
  /** Receives errors that no code caught, instead of ending the process. */
  readonly onUncaughtError: (handler: (error: unknown) => void) => void;
  readonly exit: (code: number) => never;
}
