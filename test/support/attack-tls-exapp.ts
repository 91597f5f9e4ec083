// A raw ExApp for attack tests on the ExApp ports. It records every
// connection byte for byte and sends whatever response a test sets, bad
// framing and floods included, which a well-behaved HTTP server cannot
// produce. Also helpers to capture a TLS ClientHello and to read a
// process's resident memory.
import { readFileSync } from "node:fs";
import net from "node:net";
import type { AddressInfo, Socket } from "node:net";
import tls from "node:tls";
import { parseResponses } from "./attack-http.ts";
import type { ConnectionEnd, RawExchange } from "./attack-http.ts";

/** One connection the ExApp accepted and everything it received on it. */
export interface RecordedConnection {
  data: Buffer;
  /** Bytes the ExApp managed to hand to the kernel on this connection. */
  sentBytes: number;
  closed: boolean;
}

/**
 * Responds once a request head has arrived on a connection. `head` is
 * the whole head in latin1, up to and including the blank line.
 */
export type Responder = (socket: Socket, head: string, record: RecordedConnection) => void;

/** A listening raw ExApp. */
export interface RecordingExApp {
  readonly connections: RecordedConnection[];
  /** Replaces the responder for connections accepted from now on. */
  respondWith(responder: Responder): void;
  /** Forgets the recorded connections. */
  reset(): void;
  /** Everything received on every connection, in latin1. */
  received(): string;
  close(): Promise<void>;
}

/** Sends `bytes` and closes: a complete response or a broken one. */
export function replyWith(bytes: string | Buffer): Responder {
  return (socket) => {
    socket.end(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : bytes);
  };
}

/**
 * Responds 200 after `delayMs` with the request head as its body, so that
 * bytes arriving after the head (a smuggled second request) are recorded
 * before the connection closes.
 */
export function echoHead(delayMs = 150): Responder {
  return (socket, head) => {
    const timer = setTimeout(() => {
      const body = Buffer.from(head, "latin1");
      socket.end(Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\n" +
        `Content-Type: text/plain\r\nContent-Length: ${body.length}\r\n` +
        "Connection: close\r\n\r\n"), body]));
    }, delayMs);
    socket.once("close", () => clearTimeout(timer));
  };
}

/** Never responds and never reads the request body. */
export const silent: Responder = (socket) => socket.pause();

/**
 * Writes `first` once, then `block` again and again while the socket
 * takes it, up to `maxBytes`: an endless body, or endless interim
 * responses. The record counts what the kernel accepted.
 */
export function flood(first: string, block: Buffer, maxBytes: number): Responder {
  return (socket, _head, record) => {
    socket.write(first);
    const pump = () => {
      while (record.sentBytes < maxBytes && !socket.destroyed) {
        record.sentBytes += block.length;
        if (!socket.write(block)) {
          socket.once("drain", pump);
          return;
        }
      }
    };
    pump();
  };
}

/** Switches protocols at once and then echoes every byte back. */
export const switchAndEcho: Responder = (socket, head) => {
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `X-Seen-Authorization: ${/^authorization: *(.*)$/im.exec(head)?.[1] ?? "none"}\r\n\r\n`);
  socket.on("data", (chunk: Buffer) => socket.write(chunk));
};

/** Starts a raw ExApp on `host`:`port`; it uses {@link echoHead} at first. */
export async function startRecordingExApp(
  host: string,
  port: number,
): Promise<RecordingExApp> {
  const connections: RecordedConnection[] = [];
  const sockets = new Set<Socket>();
  let responder: Responder = echoHead();
  const server = net.createServer((socket) => {
    const record: RecordedConnection = { data: Buffer.alloc(0), sentBytes: 0, closed: false };
    const respond = responder;
    connections.push(record);
    sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.once("close", () => {
      record.closed = true;
      sockets.delete(socket);
    });
    let answered = false;
    socket.on("data", (chunk: Buffer) => {
      record.data = Buffer.concat([record.data, chunk]);
      const end = record.data.indexOf("\r\n\r\n");
      if (answered || end < 0) return;
      answered = true;
      respond(socket, record.data.subarray(0, end + 4).toString("latin1"), record);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host, port }, resolve);
  });
  return {
    connections,
    respondWith: (next) => {
      responder = next;
    },
    reset: () => {
      connections.length = 0;
    },
    received: () => Buffer.concat(connections.map((c) => c.data)).toString("latin1"),
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Captures the ClientHello that Node's TLS client sends first. */
export async function captureClientHello(): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<Buffer>((resolve) => {
      server.once("connection", (socket) => socket.once("data", (hello: Buffer) => {
        resolve(hello);
        socket.destroy();
      }));
      const client = tls.connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
      client.on("error", () => client.destroy());
    });
  } finally {
    server.close();
  }
}

/** Resident memory of a running process in bytes, from /proc. */
export function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`Reading memory failed: no VmRSS in /proc/${pid}/status`);
  return Number(kib) * 1024;
}

/** Options of {@link exchangeTls}. */
export interface TlsExchangeOptions {
  readonly host: string;
  readonly port: number;
  /** The CA the client trusts. */
  readonly ca: string;
  readonly localAddress?: string;
  /** Gives up after this long and reports `timeout`; 5 s by default. */
  readonly timeoutMs?: number;
  /** Closes the connection early once the data received so far passes. */
  readonly stopWhen?: (data: Buffer) => boolean;
}

/**
 * Completes a verified TLS handshake, then works as `exchangeRaw`: sends
 * `bytes`, and collects what comes back until the proxy closes or resets
 * the connection, `stopWhen` passes or `timeoutMs` runs out. Any other
 * connection error, such as a failed handshake, rejects.
 */
export function exchangeTls(
  bytes: string | Buffer,
  options: TlsExchangeOptions,
): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = tls.connect({
      host: options.host,
      port: options.port,
      ca: options.ca,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (end: ConnectionEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      resolve({ data, end, elapsedMs: Date.now() - started, responses: parseResponses(data) });
    };
    const timer = setTimeout(() => finish("timeout"), options.timeoutMs ?? 5_000);
    socket.once("secureConnect", () => socket.write(bytes));
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.stopWhen?.(Buffer.concat(chunks)) === true) finish("stopped");
    });
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") return finish("reset");
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`TLS exchange with ${options.host}:${options.port} failed: ${error}`));
    });
  });
}
