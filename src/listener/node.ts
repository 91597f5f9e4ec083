import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import net from "node:net";
import type { Socket } from "node:net";
import type { SecureContextOptions } from "node:tls";
import { getRequestListener } from "@hono/node-server";
import { NodeExchange } from "../exchange/node.ts";
import type { ExchangeServer, HoldSocket } from "../exchange/node.ts";
import type { Logger } from "../log/logger.ts";
import { logAudit, startAudit } from "../server/audit.ts";
import type { Audit, RequestObserver } from "../server/audit.ts";
import type { Gate } from "../server/gate.ts";
import { closeAfterEachResponse } from "./deno.ts";

/** A fetch-style handler that takes an exchange as its environment. */
export type Handler<E = NodeExchange> = {
  fetch: (request: Request, exchange: E) => Response | Promise<Response>;
};

/** Open connections of a group of listeners, and their maximum. */
export interface ConnectionLimit {
  readonly max: number;
  open: number;
}

/** Creates a connection count that listeners may share. */
export function createConnectionLimit(max: number): ConnectionLimit {
  return { max, open: 0 };
}

/** Settings of one client-facing listener. */
export interface ListenerOptions {
  readonly name: string;
  readonly host: string | undefined;
  readonly port: number;
  /** Shared by every listener of one frontend (all ExApp ports share one). */
  readonly limit: ConnectionLimit;
  readonly clientTimeoutMs: number;
  /**
   * Whether the server behind speaks TLS. It then times the handshake
   * and the decrypted connection itself, so the raw socket gets no
   * inactivity timeout of its own.
   */
  readonly tls: boolean;
}

/** Settings of the HTTP or HTTPS server of one frontend. */
export interface ServerSettings {
  readonly name: string;
  readonly clientTimeoutMs: number;
  /** Certificate chain and key; the server speaks HTTPS when set. */
  readonly tls: SecureContextOptions | undefined;
  readonly observe: RequestObserver | undefined;
}

/** Options of {@link createRequestServer}. */
export interface RequestServerOptions<E> {
  readonly handler: Handler<E>;
  /** Names the frontend of a connection for the log, e.g. `docker`. */
  readonly frontendOf: (socket: Socket) => string;
  readonly createExchange: (
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    audit: Audit,
  ) => E;
  readonly clientTimeoutMs: number;
  readonly tls: SecureContextOptions | undefined;
  /**
   * Request bytes an exchange read, where the socket cannot tell: Node's
   * HTTP parser reads a plain TCP socket's handle without counting.
   */
  readonly bytesIn?: (exchange: E) => number;
  /**
   * Checks each request and each parse error for a ban first: a source
   * banned after it connected gets no response on that connection either.
   */
  readonly gate: Gate;
  readonly holdSocket: HoldSocket;
  readonly observe: RequestObserver | undefined;
}

/** The server of a frontend: HTTP, or HTTPS in TLS mode. */
export type RequestServer = http.Server | https.Server;

/** Tells an HTTPS server, whose certificate can be swapped, from HTTP. */
export function isHttpsServer(server: RequestServer): server is https.Server {
  return server instanceof https.Server;
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
    // Keep reading so that the client's close is seen, but never respond.
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

/** Maximum gap between two checks of Node for overdue request heads. */
const MAX_CHECK_INTERVAL_MS = 1_000;

function serverOptions(clientTimeoutMs: number): http.ServerOptions {
  const checkIntervalMs = Math.max(1,
    Math.min(MAX_CHECK_INTERVAL_MS, Math.floor(clientTimeoutMs / 4)));
  return {
    // A request head must be complete within about the client timeout,
    // as with HAProxy's `timeout http-request`: a client that trickles a
    // byte at a time is never idle, so inactivity alone would not cut
    // it. The margin lets the silent inactivity close (listen()) win on
    // a connection that sent nothing, where Node would respond with 408.
    headersTimeout: clientTimeoutMs + 2 * checkIntervalMs,
    connectionsCheckingInterval: checkIntervalMs,
    requestTimeout: 0,
    // HTTP/1.0 clients may leave Host out; nothing here routes by it.
    requireHostHeader: false,
    keepAliveTimeout: clientTimeoutMs,
    // Keep-alive idle time is the client timeout, not Node's 5 s default.
    keepAliveTimeoutBuffer: 0,
  } as http.ServerOptions;
}

function createServer(
  tls: SecureContextOptions | undefined,
  clientTimeoutMs: number,
  listener: http.RequestListener,
): RequestServer {
  if (tls === undefined) {
    return http.createServer(serverOptions(clientTimeoutMs), listener);
  }
  return https.createServer({
    ...tls,
    ...serverOptions(clientTimeoutMs),
    handshakeTimeout: clientTimeoutMs,
    // Docker's hijack half-closes: the CLI ends its side after stdin
    // (a TLS close_notify) and still reads the output, which is lost
    // without half-open sockets. Node gives a TLS socket the setting of
    // the raw socket it wraps, so listen() accepts half-open as well.
    allowHalfOpen: true,
  }, listener);
}

/**
 * Builds the HTTP or HTTPS server that runs a pipeline, with one access
 * log line per request. The listeners of {@link listen} hand it their
 * connections.
 */
export function createRequestServer<E>(
  options: RequestServerOptions<E>,
  logger: Logger,
): RequestServer {
  const audited = auditedListener(options, logger);
  const server = createServer(options.tls, options.clientTimeoutMs,
    (incoming, outgoing) => {
      // Before the pipeline, which would respond 400 to a request it
      // cannot even parse (a bad Host header, say).
      if (options.gate.isBanned(incoming.socket.remoteAddress ?? "")) {
        return options.holdSocket(incoming.socket);
      }
      // llhttp takes a request line without a version for HTTP/0.9.
      if (incoming.httpVersionMajor !== 1) {
        outgoing.writeHead(400, { connection: "close", "content-length": 0 });
        return outgoing.end();
      }
      return audited(incoming, outgoing);
    });
  // The servers get their connections from listen(), never listen
  // themselves, so Node's check of headersTimeout must be started here.
  server.emit("listening");
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (options.gate.isBanned(socket.remoteAddress ?? "")) {
      return options.holdSocket(socket);
    }
    if (!socket.writable) return socket.destroy();
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : 400;
    logger.warn("request rejected", {
      frontend: options.frontendOf(socket),
      client: socket.remoteAddress,
      status,
      reason: error.code ?? error.message,
    });
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\n` +
      "Connection: close\r\nContent-Length: 0\r\n\r\n");
  });
  if (options.tls !== undefined) watchHandshakes(server, options, logger);
  return server;
}

/** Runs the pipeline for each request and logs it once it is done. */
function auditedListener<E>(
  options: RequestServerOptions<E>,
  logger: Logger,
): http.RequestListener {
  return getRequestListener(
    (request, env) => {
      const { incoming, outgoing } = env as {
        incoming: IncomingMessage;
        outgoing: ServerResponse;
      };
      if (closeAfterEachResponse) outgoing.setHeader("Connection", "close");
      const socket = incoming.socket;
      const audit = startAudit(options.frontendOf(socket),
        socket.remoteAddress ?? "", incoming.method ?? "",
        incoming.url ?? "");
      const readBefore = socket.bytesRead;
      const writtenBefore = socket.bytesWritten;
      const exchange = options.createExchange(incoming, outgoing, audit);
      outgoing.once("close", () => {
        const bytesIn = options.bytesIn?.(exchange) ??
          socket.bytesRead - readBefore;
        logAudit(logger, audit, outgoing.statusCode, bytesIn,
          socket.bytesWritten - writtenBefore, options.observe);
      });
      return options.handler.fetch(request, exchange);
    },
    { overrideGlobalObjects: false, hostname: "localhost" },
  );
}

function watchHandshakes<E>(
  server: RequestServer,
  options: RequestServerOptions<E>,
  logger: Logger,
): void {
  server.on("secureConnection", (socket: Socket) => {
    socket.setTimeout(options.clientTimeoutMs, () => socket.destroy());
  });
  // Scanners and plain-HTTP clients fail here all the time: debug only.
  server.on("tlsClientError", (error: NodeJS.ErrnoException,
    socket: Socket) => {
    logger.debug("tls handshake failed", {
      frontend: options.frontendOf(socket),
      client: socket.remoteAddress,
      reason: error.code ?? error.message,
    });
    socket.destroy();
  });
}

/** Builds the HTTP or HTTPS server that runs the Docker API pipeline. */
export function createHttpServer(
  handler: Handler,
  exchangeServer: ExchangeServer,
  gate: Gate,
  logger: Logger,
  settings: ServerSettings,
): RequestServer {
  return createRequestServer({
    handler,
    gate,
    holdSocket: exchangeServer.holdSocket,
    observe: settings.observe,
    frontendOf: () => settings.name,
    createExchange: (incoming, outgoing, audit) =>
      new NodeExchange(incoming, outgoing, audit, exchangeServer),
    bytesIn: (exchange) => exchange.bytesIn,
    clientTimeoutMs: settings.clientTimeoutMs,
    tls: settings.tls,
  }, logger);
}

/**
 * Accepts TCP connections for an HTTP(S) server: banned sources are held
 * before a single byte is parsed (before the TLS handshake, too), and
 * connections past the limit are closed at once. Everything else goes to
 * `server`, which may serve many listeners.
 */
export function listen(
  server: net.Server,
  gate: Gate,
  holdSocket: HoldSocket,
  logger: Logger,
  options: ListenerOptions,
): Promise<net.Server> {
  const { limit } = options;
  const tcp = net.createServer({ allowHalfOpen: true, noDelay: true },
    (socket) => {
      socket.on("error", () => socket.destroy());
      const peer = socket.remoteAddress ?? "";
      if (gate.isBanned(peer)) return holdSocket(socket);
      if (limit.open >= limit.max) {
        logger.warn("connection refused", {
          frontend: options.name,
          client: peer,
          reason: `MAX_CONNECTIONS (${limit.max}) reached`,
        });
        return socket.destroy();
      }
      limit.open++;
      socket.once("close", () => limit.open--);
      if (!options.tls) {
        socket.setTimeout(options.clientTimeoutMs, () => socket.destroy());
      }
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
