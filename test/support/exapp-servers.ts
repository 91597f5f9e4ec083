// Small ExApps for end-to-end tests: plain node:http servers on
// 127.0.0.1 that echo what they received, respond slowly, stream, or
// speak WebSocket. They stand in for ExApp corners that a busybox
// container cannot produce.
import { createHash } from "node:crypto";
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { Socket } from "node:net";

/** What the echo ExApp returns about the request it received. */
export interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Local address of the connection the proxy opened. */
  localAddress: string;
  bodyBytes: number;
  bodySha256: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

/** Responds with an {@link Echo} of the request once its body has ended. */
export const echoHandler: Handler = (request, response) => {
  const hash = createHash("sha256");
  let bytes = 0;
  request.on("data", (chunk: Buffer) => {
    bytes += chunk.length;
    hash.update(chunk);
  });
  request.on("end", () => {
    const echo: Echo = {
      method: request.method ?? "",
      url: request.url ?? "",
      headers: request.headers,
      localAddress: request.socket.localAddress ?? "",
      bodyBytes: bytes,
      bodySha256: hash.digest("hex"),
    };
    response.setHeader("content-type", "application/json");
    // A hop-by-hop response header, which must not reach the client.
    response.setHeader("connection", "keep-alive, x-hop-answer");
    response.setHeader("x-hop-answer", "1");
    response.end(JSON.stringify(echo));
  });
};

/** Responds after `delayMs`, unless the proxy gave up before. */
export function slowHandler(delayMs: number): Handler {
  return (_request, response) => {
    const timer = setTimeout(() => response.end("late\n"), delayMs);
    response.on("close", () => clearTimeout(timer));
  };
}

/** Sends `count` lines, one every `intervalMs`. */
export function streamingHandler(count: number, intervalMs: number): Handler {
  return (_request, response) => {
    response.setHeader("content-type", "text/plain");
    let sent = 0;
    const timer = setInterval(() => {
      sent += 1;
      response.write(`line ${sent}\n`);
      if (sent < count) return;
      clearInterval(timer);
      response.end();
    }, intervalMs);
    response.on("close", () => clearInterval(timer));
  };
}

const WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/** `Sec-WebSocket-Accept` for a key (RFC 6455 section 4.2.2). */
export function websocketAccept(key: string): string {
  return createHash("sha1").update(key + WEBSOCKET_GUID).digest("base64");
}

/** Encodes one text frame; clients must mask, servers must not. */
export function textFrame(text: string, mask: boolean): Buffer {
  const payload = Buffer.from(text, "utf8");
  if (payload.length > 125) throw new Error("Test frames stay under 126 bytes");
  const key = mask ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : Buffer.alloc(0);
  const body = Buffer.from(payload.map((byte, i) =>
    mask ? byte ^ (key[i % 4] ?? 0) : byte));
  return Buffer.concat([
    Buffer.from([0x81, (mask ? 0x80 : 0) | payload.length]), key, body,
  ]);
}

/** Decodes one short text frame; `undefined` until it is complete. */
export function readTextFrame(bytes: Buffer): string | undefined {
  if (bytes.length < 2) return undefined;
  const masked = ((bytes[1] ?? 0) & 0x80) !== 0;
  const length = (bytes[1] ?? 0) & 0x7f;
  const start = 2 + (masked ? 4 : 0);
  if (bytes.length < start + length) return undefined;
  const key = bytes.subarray(2, 2 + (masked ? 4 : 0));
  const payload = Buffer.from(bytes.subarray(start, start + length).map(
    (byte, i) => masked ? byte ^ (key[i % 4] ?? 0) : byte));
  return payload.toString("utf8");
}

/**
 * Accepts a WebSocket upgrade, reports the Authorization it saw in an
 * `X-Seen-Authorization` header, and echoes each text frame back.
 */
function onWebsocketUpgrade(request: IncomingMessage, socket: Socket) {
  const key = String(request.headers["sec-websocket-key"] ?? "");
  socket.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n" +
    "Connection: Upgrade\r\n" +
    `Sec-WebSocket-Accept: ${websocketAccept(key)}\r\n` +
    `X-Seen-Authorization: ${request.headers.authorization ?? "none"}\r\n\r\n`);
  let buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    const text = readTextFrame(buffer);
    if (text === undefined) return;
    buffer = Buffer.alloc(0);
    socket.write(textFrame(`echo: ${text}`, false));
  });
  socket.on("error", () => socket.destroy());
}

/** Starts an ExApp on 127.0.0.1:`port`; `websocket` adds upgrades. */
export async function startExApp(
  port: number,
  handler: Handler,
  websocket = false,
): Promise<Server> {
  const server = createServer(handler);
  if (websocket) server.on("upgrade", onWebsocketUpgrade);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, resolve);
  });
  return server;
}

/** Stops an ExApp and drops its open connections. */
export function stopExApp(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}
