import type { IncomingMessage, ServerResponse } from "node:http";
import type net from "node:net";
import type { SecureContextOptions } from "node:tls";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import type { Config } from "../config/types.ts";
import type { HoldSocket } from "../exchange/node.ts";
import {
  createConnectionLimit,
  createRequestServer,
  listen,
} from "../listener/node.ts";
import type { ConnectionLimit, RequestServer } from "../listener/node.ts";
import type { Logger } from "../log/logger.ts";
import type { Audit, RequestObserver } from "../server/audit.ts";
import type { BodyRead } from "../server/exchange.ts";
import type { UpstreamRequest } from "../server/exchange.ts";
import type { Gate } from "../server/gate.ts";
import { createExAppApp } from "./app.ts";
import type { ExAppExchange } from "./app.ts";
import { forwardToExApp } from "./forward/node.ts";
import { exAppPorts, formatPortRanges } from "./ports.ts";
import type { ExAppForwarding } from "./forward/node.ts";
import { createExAppUpgradeHandler } from "./upgrade/node.ts";

/** One ExApp request on Node's HTTPS server. */
class NodeExAppExchange implements ExAppExchange {
  readonly audit: Audit;
  readonly peer: string;
  readonly target: string;
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #context: ExAppContext;

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    audit: Audit,
    context: ExAppContext,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.audit = audit;
    this.peer = audit.client;
    this.target = incoming.url ?? "/";
    this.#context = context;
  }

  hold(): Promise<Response> {
    const socket = this.#incoming.socket;
    this.#context.holdSocket(socket);
    return new Promise((resolve) => {
      socket.once("close", () => resolve(RESPONSE_ALREADY_SENT));
    });
  }

  // ExApp bodies stream through unread; no step of the pipeline reads one.
  readBody(): Promise<BodyRead> {
    return Promise.reject(new Error("ExApp request bodies are never read"));
  }

  peekBody(): Promise<Uint8Array> {
    return Promise.reject(new Error("ExApp request bodies are never read"));
  }

  /** Forwards to the ExApp on the port the client connected to. */
  async forward(request: UpstreamRequest): Promise<Response> {
    const port = this.#incoming.socket.localPort ?? 0;
    await forwardToExApp(this.#context.forwarding, this.#incoming,
      this.#outgoing, { port, path: request.path, audit: this.audit });
    return RESPONSE_ALREADY_SENT;
  }
}

/** State that every ExApp frontend shares. */
interface ExAppContext {
  readonly forwarding: ExAppForwarding;
  readonly holdSocket: HoldSocket;
}

/** The running ExApp frontends. */
export interface ExAppFrontends {
  /** The one HTTPS server behind every ExApp port. */
  readonly server: RequestServer;
  readonly listeners: readonly net.Server[];
  readonly limit: ConnectionLimit;
}

/** Options of {@link startExAppFrontends}. */
export interface ExAppFrontendOptions {
  readonly config: Config;
  readonly gate: Gate;
  readonly holdSocket: HoldSocket;
  readonly logger: Logger;
  readonly tls: SecureContextOptions;
  readonly observe: RequestObserver | undefined;
}

function createExAppServer(
  options: ExAppFrontendOptions,
  forwarding: ExAppForwarding,
): RequestServer {
  const { config, gate, holdSocket, logger } = options;
  const context: ExAppContext = { forwarding, holdSocket };
  const server = createRequestServer({
    handler: createExAppApp(gate),
    gate,
    holdSocket,
    observe: options.observe,
    frontendOf: (socket) => `exapp:${socket.localPort ?? 0}`,
    createExchange: (incoming, outgoing, audit) =>
      new NodeExAppExchange(incoming, outgoing, audit, context),
    clientTimeoutMs: config.clientTimeoutMs,
    tls: options.tls,
  }, logger);
  // The ExApp, not the proxy, decides whether it wants the body.
  server.on("checkContinue", (request, response) =>
    server.emit("request", request, response));
  server.on("upgrade",
    createExAppUpgradeHandler({
      gate, holdSocket, logger, forwarding, observe: options.observe,
    }));
  return server;
}

/** Binds every ExApp port; logs and skips the ports that fail. */
async function listenOnPorts(
  server: RequestServer,
  limit: ConnectionLimit,
  options: ExAppFrontendOptions,
): Promise<net.Server[]> {
  const { config, gate, holdSocket, logger } = options;
  const ports = exAppPorts(config.exAppsCount);
  const results = await Promise.allSettled(ports.map((port) =>
    listen(server, gate, holdSocket, logger, {
      name: `exapp:${port}`,
      host: config.bindAddress,
      port,
      limit,
      clientTimeoutMs: config.clientTimeoutMs,
      tls: true,
    })));
  const listeners: net.Server[] = [];
  const bound: number[] = [];
  results.forEach((result, index) => {
    const port = ports[index] ?? 0;
    if (result.status === "fulfilled") {
      listeners.push(result.value);
      bound.push(port);
      return;
    }
    logger.error("listen failed", {
      frontend: `exapp:${port}`,
      error: (result.reason as Error).message,
      reason: "this ExApp port is not proxied; is another process " +
        "(an ExApp bound to every address?) using it?",
    });
  });
  logger.info("listening", {
    frontend: "exapp",
    address: config.bindAddress ?? "*",
    ports: formatPortRanges(bound),
    target: describeTarget(config),
    tls: true,
  });
  return listeners;
}

/** Formats EX_APPS_NET back as configured: `ipv4@localhost`. */
function describeTarget(config: Config): string {
  const prefix = config.exAppsFamily === 0 ? "" : `ipv${config.exAppsFamily}@`;
  return prefix + config.exAppsHost;
}

/**
 * Listens on ports 23000 to 23000 + EX_APPS_COUNT - 1. All ports share
 * one HTTPS server, one pipeline and one connection limit. Only a small
 * TCP listener exists per port, so thousands of ports stay cheap. A port
 * that cannot be bound is logged and skipped, and the Docker API and the
 * other ports keep working.
 */
export async function startExAppFrontends(
  options: ExAppFrontendOptions,
): Promise<ExAppFrontends> {
  const { config } = options;
  const server = createExAppServer(options, {
    target: {
      host: config.exAppsHost,
      family: config.exAppsFamily,
      connectTimeoutMs: config.connectTimeoutMs,
    },
    clientTimeoutMs: config.clientTimeoutMs,
    serverTimeoutMs: config.serverTimeoutMs,
  });
  const limit = createConnectionLimit(config.maxConnections);
  const listeners = await listenOnPorts(server, limit, options);
  return { server, listeners, limit };
}
