import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import { UpstreamError, upstreamErrorOf } from "../engine/upstream-error.ts";
import type { EngineApi } from "../engine/types.ts";
import type { UpstreamRequest } from "../server/exchange.ts";
import { requestHeaders, responseHeaders } from "./headers.ts";

/** Connection settings and pool for the engine socket. */
export interface EngineTarget {
  readonly socketPath: string;
  readonly agent: http.Agent;
  readonly connectTimeoutMs: number;
  readonly serverTimeoutMs: number;
}

/** Idle keep-alive connections kept to the engine socket. */
const MAX_IDLE_ENGINE_SOCKETS = 64;

/** Creates the keep-alive connection pool to the engine socket. */
export function createEngineTarget(options: {
  socketPath: string;
  connectTimeoutMs: number;
  serverTimeoutMs: number;
}): EngineTarget {
  const agent = new http.Agent({
    keepAlive: true,
    maxFreeSockets: MAX_IDLE_ENGINE_SOCKETS,
    scheduling: "lifo",
  });
  return { ...options, agent };
}

const WHAT = "the Docker engine";

/** Starts a request to the engine with both timeouts armed. */
function open(
  target: EngineTarget,
  method: string,
  path: string,
  headers: string[],
  fail: (error: UpstreamError) => void,
): http.ClientRequest {
  const request = http.request({
    socketPath: target.socketPath,
    agent: target.agent,
    method,
    path,
    headers,
    setHost: false,
  });
  request.setTimeout(target.serverTimeoutMs, () => {
    request.destroy(new UpstreamError(504, `Timed out waiting for ${WHAT}`));
  });
  request.on("socket", (socket) => {
    if (!socket.connecting) return;
    const timer = setTimeout(() => {
      request.destroy(
        new UpstreamError(504, `Timed out connecting to ${WHAT}`));
    }, target.connectTimeoutMs);
    socket.once("connect", () => clearTimeout(timer));
    socket.once("close", () => clearTimeout(timer));
  });
  request.on("error", (error) => {
    const failure = upstreamErrorOf(error, WHAT);
    // The client learns the error code only; the log gets the socket.
    const code = (error as NodeJS.ErrnoException).code;
    failure.logDetail = `socket ${target.socketPath}` + (code === "EACCES"
      ? ": the proxy's user lacks access (in a container, add the " +
        "socket's group with --group-add)"
      : "");
    fail(failure);
  });
  return request;
}

function upstreamHeaders(
  incoming: IncomingMessage,
  request: UpstreamRequest,
): string[] {
  const headers = requestHeaders(incoming.rawHeaders);
  headers.push("Host", "docker");
  const { body } = request;
  if (body instanceof Uint8Array) {
    headers.push("Content-Length", String(body.byteLength));
  } else if (body === "stream") {
    const length = incoming.headers["content-length"];
    if (length !== undefined) headers.push("Content-Length", length);
    const type = incoming.headers["content-type"];
    if (type !== undefined) headers.push("Content-Type", type);
  } else if (incoming.method !== "GET" && incoming.method !== "HEAD") {
    headers.push("Content-Length", "0");
  }
  if (request.contentType !== undefined) {
    headers.push("Content-Type", request.contentType);
  }
  return headers;
}

/** Tells whether a response has neither a length nor chunked framing. */
function isCloseDelimited(response: http.IncomingMessage): boolean {
  const status = response.statusCode ?? 0;
  if (status === 204 || status === 304 || status < 200) return false;
  return response.headers["content-length"] === undefined &&
    response.headers["transfer-encoding"] === undefined;
}

/**
 * Sends a checked request to the engine and streams the response to the
 * client as it arrives. Resolves once the response head is written;
 * rejects with an UpstreamError if the engine fails before that. After
 * the head, a failure can only cut the connection.
 */
export function forwardToEngine(
  target: EngineTarget,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  request: UpstreamRequest,
  peeked: readonly Uint8Array[],
): Promise<void> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const upstream = open(target, incoming.method ?? "GET", request.path,
      upstreamHeaders(incoming, request), (error) => {
        if (answered) outgoing.destroy(error);
        else reject(error);
      });
    upstream.on("response", (response) => {
      answered = true;
      if (isCloseDelimited(response)) {
        // The engine's hijacked exec start and attach responses end when
        // the connection closes; the client gets them framed the same.
        outgoing.useChunkedEncodingByDefault = false;
        outgoing.shouldKeepAlive = false;
      }
      outgoing.writeHead(
        response.statusCode ?? 502,
        response.statusMessage,
        responseHeaders(response.rawHeaders),
      );
      if (incoming.method === "HEAD") outgoing.end();
      else response.pipe(outgoing);
      response.on("error", (error) => outgoing.destroy(error));
      resolve();
    });
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    const { body } = request;
    if (body === "stream") {
      for (const chunk of peeked) upstream.write(chunk);
      if (incoming.readableEnded) upstream.end();
      else incoming.pipe(upstream);
    } else {
      upstream.end(body);
    }
  });
}

/** Creates the engine client used for the proxy's own lookups. */
export function createEngineApi(target: EngineTarget): EngineApi {
  return {
    requestJson: (method, path) =>
      new Promise((resolve, reject) => {
        // Without a length Node would send an empty chunked body, which
        // the engine rejects on start (it reads it as a legacy body).
        const headers = method === "GET"
          ? ["Host", "docker"]
          : ["Host", "docker", "Content-Length", "0"];
        const request = open(target, method, path, headers, reject);
        request.on("response", (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("error", (error) => reject(upstreamErrorOf(error, WHAT)));
          response.on("end", () => {
            let body: unknown;
            try {
              body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
            } catch {
              body = undefined;
            }
            resolve({ status: response.statusCode ?? 502, body });
          });
        });
        request.end();
      }),
  };
}
