// A raw TLS connection that a test drives step by step: write bytes,
// then wait for what the other side sends, e.g. a `100 Continue` before
// the body or a `101` before WebSocket frames.
import { connect, type ConnectionOptions, type TLSSocket } from "node:tls";

/** One raw TLS connection to a proxy port. */
export interface Conversation {
  write(bytes: string | Buffer): void;
  /**
   * Resolves with everything received so far once it contains `until`
   * bytes or matches `until`; rejects after `timeoutMs` (5 s by
   * default) or when the connection closes first.
   */
  waitFor(until: RegExp | number, timeoutMs?: number): Promise<Buffer>;
  /** Everything received so far. */
  received(): Buffer;
  /** Drops what was received so far. */
  clear(): void;
  /** Resolves when the other side has closed the connection. */
  closed(): Promise<void>;
  close(): void;
}

/** Opens a TLS connection and resolves once the handshake is done. */
export function openConversation(
  options: ConnectionOptions,
): Promise<Conversation> {
  return new Promise((resolve, reject) => {
    const socket: TLSSocket = connect(options);
    let buffer = Buffer.alloc(0);
    let closed = false;
    const waiters = new Set<() => void>();
    const whenClosed = new Promise<void>((done) => socket.once("close", done));
    socket.on("data", (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (const check of waiters) check();
    });
    socket.on("close", () => {
      closed = true;
      for (const check of waiters) check();
    });
    socket.once("error", reject);
    socket.once("secureConnect", () => resolve({
      write: (bytes) => void socket.write(bytes),
      waitFor: (until, timeoutMs = 5_000) => new Promise((done, fail) => {
        const matches = () => typeof until === "number"
          ? buffer.length >= until
          : until.test(buffer.toString("latin1"));
        const finish = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error === undefined) done(buffer);
          else fail(error);
        };
        const check = () => {
          if (matches()) finish();
          else if (closed) finish(new Error(
            `Connection closed before ${String(until)}; received ` +
              JSON.stringify(buffer.toString("latin1"))));
        };
        const timer = setTimeout(() => finish(new Error(
          `Waiting for ${String(until)} timed out after ${timeoutMs} ms; ` +
            `received ${JSON.stringify(buffer.toString("latin1"))}`)),
        timeoutMs);
        waiters.add(check);
        check();
      }),
      received: () => buffer,
      clear: () => {
        buffer = Buffer.alloc(0);
      },
      closed: () => whenClosed,
      close: () => socket.destroy(),
    }));
  });
}
