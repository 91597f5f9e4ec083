import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import net from "node:net";
import type { Socket } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { NodeExchange } from "../exchange/node.ts";
import type { ExchangeServer, HoldSocket } from "../exchange/node.ts";
import type { Logger } from "../log/logger.ts";
import { logAudit, startAudit } from "../server/audit.ts";
import type { Gate } from "../server/gate.ts";
import { closeAfterEachResponse } from "./deno.ts";

/** A fetch-style handler that takes an Exchange as its environment. */
export type Handler = {
  fetch: (request: Request, exchange: NodeExchange) => Response | Promise<Response>;
};

/** Settings of one client-facing listener. */
export interface ListenerOptions {
  readonly name: string;
  readonly host: string | undefined;
  readonly port: number;
  readonly maxConnections: number;
  readonly clientTimeoutMs: number;
}

/** Parks banned clients' sockets: open, silent, and capped in number. */
export function createSocketHolder(options: {
  readonly maxHeld: number;
  readonly holdMs: number;
}) {
  const held = new Set<Socket>();
  const hold: HoldSocket = (socket) => {
    if (held.has(socket) || socket.destroyed) return;
    if (held.size >= options.maxHeld) {
      const oldest = held.values().next();
      if (!oldest.done) oldest.value.destroy();
    }
    if (options.maxHeld === 0) {
      socket.destroy();
      return;
    }
    held.add(socket);
    socket.setTimeout(0);
    // Keep reading so that the client's close is seen, but never answer.
    socket.removeAllListeners("data");
    socket.on("data", () => {});
    socket.resume();
    const timer = setTimeout(() => socket.end(), options.holdMs);
    socket.once("end", () => socket.end());
    socket.once("close", () => {
      clearTimeout(timer);
      held.delete(socket);
    });
  };
  return { hold, count: () => held.size };
}

/** Builds the HTTP server that runs the pipeline for one frontend. */
export function createHttpServer(
  handler: Handler,
  exchangeServer: ExchangeServer,
  logger: Logger,
  options: ListenerOptions,
): http.Server {
  const listener = getRequestListener(
    (request, env) => {
      const { incoming, outgoing } = env as {
        incoming: IncomingMessage;
        outgoing: ServerResponse;
      };
      const audit = startAudit(options.name,
        incoming.socket.remoteAddress ?? "", incoming.method ?? "",
        incoming.url ?? "");
      if (closeAfterEachResponse) outgoing.setHeader("Connection", "close");
      const socket = incoming.socket;
      const readBefore = socket.bytesRead;
      const writtenBefore = socket.bytesWritten;
      outgoing.once("close", () => {
        logAudit(logger, audit, outgoing.statusCode,
          socket.bytesRead - readBefore, socket.bytesWritten - writtenBefore);
      });
      return handler.fetch(request,
        new NodeExchange(incoming, outgoing, audit, exchangeServer));
    },
    { overrideGlobalObjects: false },
  );
  const server = http.createServer({
    headersTimeout: options.clientTimeoutMs,
    requestTimeout: 0,
    keepAliveTimeout: options.clientTimeoutMs,
    // Keep-alive idle time is the client timeout, not Node's 5 s default.
    keepAliveTimeoutBuffer: 0,
  } as http.ServerOptions, listener);
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) return socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    logger.warn("request rejected", {
      frontend: options.name,
      client: socket.remoteAddress,
      status,
      reason: error.code ?? error.message,
    });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      "Connection: close\r\nContent-Length: 0\r\n\r\n");
  });
  return server;
}

/**
 * Accepts TCP connections for an HTTP(S) server: banned sources are held
 * before a single byte is parsed, and connections past the limit are
 * closed at once. Everything else goes to `server`.
 */
export function listen(
  server: net.Server,
  gate: Gate,
  holdSocket: HoldSocket,
  logger: Logger,
  options: ListenerOptions,
): Promise<net.Server> {
  let open = 0;
  const tcp = net.createServer({ allowHalfOpen: true, noDelay: true },
    (socket) => {
      socket.on("error", () => socket.destroy());
      const peer = socket.remoteAddress ?? "";
      if (gate.isBanned(peer)) return holdSocket(socket);
      if (open >= options.maxConnections) {
        logger.warn("connection refused", {
          frontend: options.name,
          client: peer,
          reason: `MAX_CONNECTIONS (${options.maxConnections}) reached`,
        });
        return socket.destroy();
      }
      open++;
      socket.once("close", () => open--);
      socket.setTimeout(options.clientTimeoutMs, () => socket.destroy());
      server.emit("connection", socket);
    });
  return new Promise((resolve, reject) => {
    tcp.once("error", reject);
    const host = options.host ?? "::";
    tcp.listen({ host, port: options.port, ipv6Only: false }, () => {
      tcp.off("error", reject);
      resolve(tcp);
    });
  });
}
