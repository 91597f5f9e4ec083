import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { RESPONSE_ALREADY_SENT } from "@hono/node-server/utils/response";
import { forwardToEngine } from "../forward/node.ts";
import type { EngineTarget } from "../forward/node.ts";
import type { Audit } from "../server/audit.ts";
import type {
  BodyRead,
  Exchange,
  UpstreamRequest,
} from "../server/exchange.ts";

/** Holds a banned client's socket open and silent. */
export type HoldSocket = (socket: Socket) => void;

/** Connection state the exchange needs from its server. */
export interface ExchangeServer {
  readonly engine: EngineTarget;
  readonly holdSocket: HoldSocket;
  readonly clientTimeoutMs: number;
}

function hasBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return incoming.headers["transfer-encoding"] !== undefined;
}

/** One request on Node's HTTP server, as the pipeline uses it. */
export class NodeExchange implements Exchange {
  readonly audit: Audit;
  readonly peer: string;
  /** Request body bytes read so far, for the access log. */
  bytesIn = 0;
  readonly #incoming: IncomingMessage;
  readonly #outgoing: ServerResponse;
  readonly #server: ExchangeServer;
  #peeked: Uint8Array[] = [];

  constructor(
    incoming: IncomingMessage,
    outgoing: ServerResponse,
    audit: Audit,
    server: ExchangeServer,
  ) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.audit = audit;
    this.peer = audit.client;
    this.#server = server;
  }

  hold(): Promise<Response> {
    const socket = this.#incoming.socket;
    this.#server.holdSocket(socket);
    return new Promise((resolve) => {
      socket.once("close", () => resolve(RESPONSE_ALREADY_SENT));
    });
  }

  readBody(limit: number): Promise<BodyRead> {
    const incoming = this.#incoming;
    if (!hasBody(incoming) || incoming.readableEnded) {
      return Promise.resolve(new Uint8Array(0));
    }
    const declared = Number(incoming.headers["content-length"] ?? 0);
    if (declared > limit) return Promise.resolve(this.#closeAfter("too-large"));
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        this.bytesIn += chunk.length;
        if (size <= limit) {
          chunks.push(chunk);
          return;
        }
        cleanup();
        resolve(this.#closeAfter("too-large"));
      };
      const onEnd = () => {
        cleanup();
        resolve(Buffer.concat(chunks, size));
      };
      const onError = (error: Error) => {
        cleanup();
        reject(error);
      };
      // A checked body is held in memory, so a client that trickles it
      // a byte at a time (never idle) must not keep it there for long.
      const deadline = setTimeout(() => {
        cleanup();
        resolve(this.#closeAfter("timed-out"));
      }, this.#server.clientTimeoutMs);
      const cleanup = () => {
        clearTimeout(deadline);
        incoming.off("data", onData);
        incoming.off("end", onEnd);
        incoming.off("error", onError);
      };
      incoming.on("data", onData);
      incoming.on("end", onEnd);
      incoming.on("error", onError);
    });
  }


  peekBody(length: number): Promise<Uint8Array> {
    const incoming = this.#incoming;
    if (!hasBody(incoming) || incoming.readableEnded) {
      return Promise.resolve(new Uint8Array(0));
    }
    return new Promise((resolve, reject) => {
      let size = 0;
      const finish = () => {
        incoming.off("data", onData);
        incoming.off("end", finish);
        incoming.off("error", reject);
        incoming.pause();
        resolve(Buffer.concat(this.#peeked).subarray(0, length));
      };
      const onData = (chunk: Buffer) => {
        this.#peeked.push(chunk);
        this.bytesIn += chunk.length;
        size += chunk.length;
        if (size >= length) finish();
      };
      incoming.on("data", onData);
      incoming.on("end", finish);
      incoming.on("error", reject);
    });
  }

  async forward(request: UpstreamRequest): Promise<Response> {
    const socket = this.#incoming.socket;
    // Upstream inactivity rules while the engine works; the client
    // timeout comes back for the idle time after the response.
    socket.setTimeout(0);
    this.#outgoing.once("finish", () => {
      socket.setTimeout(this.#server.clientTimeoutMs);
    });
    if (request.body === "stream") {
      this.#incoming.on("data", (chunk: Buffer) => {
        this.bytesIn += chunk.length;
      });
    }
    await forwardToEngine(this.#server.engine, this.#incoming,
      this.#outgoing, request, this.#peeked);
    return RESPONSE_ALREADY_SENT;
  }

  /** Marks the connection for closing: the rest of the body is not read. */
  #closeAfter<T>(outcome: T): T {
    this.#outgoing.shouldKeepAlive = false;
    this.#outgoing.setHeader("connection", "close");
    return outcome;
  }
}
