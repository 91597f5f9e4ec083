// Raw HTTP/1.1 for attack tests: requests built byte by byte, sent on a
// plain socket (all at once, or trickled), and the responses split again.
import { connect, type Socket } from "node:net";

/** One request, written exactly as given; nothing is added but `auth`. */
export interface RawRequestParts {
  readonly method: string;
  readonly target: string;
  /** `HTTP/1.1` unless set, e.g. `HTTP/1.0`. */
  readonly version?: string;
  readonly headers?: readonly (readonly [string, string])[];
  /** Added as a Content-Length body unless `headers` frames it. */
  readonly body?: string | Buffer;
  /** `Authorization` value sent first; none when omitted. */
  readonly auth?: string;
  /** Adds `Connection: close` so that the proxy ends the exchange. */
  readonly close?: boolean;
}

/** Builds the bytes of one request from its parts. */
export function rawHttp(parts: RawRequestParts): Buffer {
  const lines = [`${parts.method} ${parts.target} ${parts.version ?? "HTTP/1.1"}`];
  const headers = [...(parts.headers ?? [])];
  if (!headers.some(([name]) => name.toLowerCase() === "host")) {
    headers.unshift(["Host", "dsp"]);
  }
  if (parts.auth !== undefined) headers.unshift(["Authorization", parts.auth]);
  const body = parts.body === undefined ? undefined : Buffer.from(parts.body);
  const framed = headers.some(([name]) =>
    /^(content-length|transfer-encoding)$/i.test(name));
  if (body !== undefined && !framed) {
    headers.push(["Content-Length", String(body.length)]);
  }
  if (parts.close === true) headers.push(["Connection", "close"]);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  const head = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1");
  return body === undefined ? head : Buffer.concat([head, body]);
}

/** Encodes `body` as chunks of the given sizes, then the last chunk. */
export function chunked(body: string | Buffer, sizes: readonly number[]): Buffer {
  const bytes = Buffer.from(body);
  const parts: Buffer[] = [];
  let offset = 0;
  for (let i = 0; offset < bytes.length; i++) {
    const size = sizes[Math.min(i, sizes.length - 1)] ?? bytes.length;
    const chunk = bytes.subarray(offset, offset + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk,
      Buffer.from("\r\n"));
    offset += chunk.length;
  }
  parts.push(Buffer.from("0\r\n\r\n"));
  return Buffer.concat(parts);
}

/**
 * How a raw connection ended, as the client saw it; `stopped` means the
 * client closed it once `stopWhen` was satisfied.
 */
export type ConnectionEnd = "closed" | "reset" | "timeout" | "stopped";

/** Everything the client received, and how and when the connection ended. */
export interface RawExchange {
  readonly data: Buffer;
  readonly end: ConnectionEnd;
  readonly elapsedMs: number;
  /** The responses found in `data`, in order. */
  readonly responses: readonly ParsedResponse[];
}

/** Options of {@link exchangeRaw}. */
export interface ExchangeOptions {
  readonly port: number;
  readonly host?: string;
  readonly localAddress?: string;
  /** Gives up after this long and reports `timeout`; 5 s by default. */
  readonly timeoutMs?: number;
  /** Writes the request itself instead of sending `bytes` at once. */
  readonly write?: (socket: Socket) => void;
  /** Closes the connection early once the data received so far passes. */
  readonly stopWhen?: (data: Buffer) => boolean;
}

/**
 * Connects, sends `bytes` (or runs `write`), and collects what comes back
 * until the proxy closes or resets the connection or `timeoutMs` passes.
 */
export function exchangeRaw(
  bytes: Buffer | undefined,
  options: ExchangeOptions,
): Promise<RawExchange> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect({
      port: options.port,
      host: options.host ?? "127.0.0.1",
      ...(options.localAddress === undefined
        ? {}
        : { localAddress: options.localAddress }),
    });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (end: ConnectionEnd) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      resolve({ data, end, elapsedMs: Date.now() - started,
        responses: parseResponses(data) });
    };
    const timer = setTimeout(() => finish("timeout"), timeoutMs);
    socket.once("connect", () => {
      if (options.write !== undefined) options.write(socket);
      else if (bytes !== undefined) socket.write(bytes);
    });
    socket.on("data", (chunk: Buffer) => {
      chunks.push(chunk);
      if (options.stopWhen?.(Buffer.concat(chunks)) === true) finish("stopped");
    });
    socket.on("close", () => finish("closed"));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code === "ECONNRESET" || error.code === "EPIPE") {
        finish("reset");
        return;
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`Raw exchange with port ${options.port} failed: ${error}`));
    });
  });
}

/**
 * Writes `bytes` one slice of `sliceBytes` every `intervalMs` until all
 * are sent or the socket closes.
 */
export function trickle(
  socket: Socket,
  bytes: Buffer,
  intervalMs: number,
  sliceBytes = 1,
): void {
  let offset = 0;
  const timer = setInterval(() => {
    if (offset >= bytes.length || socket.destroyed) {
      clearInterval(timer);
      return;
    }
    socket.write(bytes.subarray(offset, offset + sliceBytes));
    offset += sliceBytes;
  }, intervalMs);
  socket.once("close", () => clearInterval(timer));
}

/** One response split out of a raw byte stream. */
export interface ParsedResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The `message` of a Docker-style JSON body, if it has one. */
  readonly message: string | undefined;
}

/**
 * Splits responses that follow each other on one connection. A body is
 * framed by Content-Length or chunked encoding; anything else (a 101, a
 * close-delimited stream) takes the rest of the data as its body.
 */
export function parseResponses(data: Buffer): ParsedResponse[] {
  const responses: ParsedResponse[] = [];
  let offset = 0;
  while (offset < data.length) {
    const headEnd = data.indexOf("\r\n\r\n", offset);
    if (headEnd < 0) break;
    const lines = data.subarray(offset, headEnd).toString("latin1").split("\r\n");
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "")?.[1] ?? 0);
    if (status === 0) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let bodyStart = headEnd + 4;
    let body: Buffer;
    if (status === 100) {
      body = Buffer.alloc(0);
    } else if (headers["content-length"] !== undefined) {
      const length = Number(headers["content-length"]);
      body = data.subarray(bodyStart, bodyStart + length);
      bodyStart += length;
    } else if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const decoded = decodeChunked(data, bodyStart);
      body = decoded.body;
      bodyStart = decoded.end;
    } else {
      body = data.subarray(bodyStart);
      bodyStart = data.length;
    }
    responses.push({ status, headers, body, message: messageOf(body) });
    offset = bodyStart;
  }
  return responses;
}

function decodeChunked(data: Buffer, start: number) {
  const parts: Buffer[] = [];
  let offset = start;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", offset);
    if (lineEnd < 0) return { body: Buffer.concat(parts), end: data.length };
    const size = parseInt(data.subarray(offset, lineEnd).toString("latin1"), 16);
    offset = lineEnd + 2;
    if (!(size > 0)) {
      const trailerEnd = data.indexOf("\r\n", offset);
      return { body: Buffer.concat(parts),
        end: trailerEnd < 0 ? data.length : trailerEnd + 2 };
    }
    parts.push(data.subarray(offset, offset + size));
    offset += size + 2;
  }
}

function messageOf(body: Buffer): string | undefined {
  try {
    const parsed = JSON.parse(body.toString("utf8")) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}
