import http from "node:http";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { CHALLENGE } from "../../auth/basic-auth.ts";
import { upstreamErrorOf } from "../../engine/upstream-error.ts";
import type { HoldSocket } from "../../exchange/node.ts";
import { authorizationOf, responseHeaders } from "../../forward/headers.ts";
import type { Logger } from "../../log/logger.ts";
import { logAudit, startAudit } from "../../server/audit.ts";
import { errorBody } from "../../server/responses.ts";
import type { Audit, RequestObserver } from "../../server/audit.ts";
import type { Gate } from "../../server/gate.ts";
import { describeExApp } from "../connect/node.ts";
import { exAppConnection } from "../forward/node.ts";
import type { ExAppForwarding } from "../forward/node.ts";
import { exAppRequestHeaders } from "../headers.ts";

/** Dependencies of the ExApp upgrade handler. */
export interface ExAppUpgradeOptions {
  readonly gate: Gate;
  readonly holdSocket: HoldSocket;
  readonly logger: Logger;
  readonly forwarding: ExAppForwarding;
  readonly observe: RequestObserver | undefined;
}

function reply(client: Socket, status: number, message: string, extra = "") {
  const json = errorBody(message);
  client.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ""}\r\n` +
      `Content-Type: application/json\r\n${extra}` +
      `Content-Length: ${Buffer.byteLength(json)}\r\n` +
      `Connection: close\r\n\r\n${json}`);
}

function formatHead(
  status: number,
  statusMessage: string | undefined,
  headers: readonly string[],
): string {
  // An ExApp is not trusted: a reason phrase with control characters
  // is dropped rather than written.
  const reason = /^[\t\x20-\x7e\x80-\xff]*$/.test(statusMessage ?? "")
    ? statusMessage ?? ""
    : "";
  let head = `HTTP/1.1 ${status} ${reason}\r\n`;
  for (let i = 0; i < headers.length; i += 2) {
    head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  return head;
}

/**
 * Joins the two connections once the ExApp has switched protocols. Each
 * side keeps its own inactivity timeout, TIMEOUT_CLIENT and
 * TIMEOUT_SERVER, as HAProxy applies them to a tunnel without a tunnel
 * timeout; a half-close passes through.
 */
function splice(client: Socket, upstream: Socket, forwarding: ExAppForwarding) {
  const cut = () => {
    client.destroy();
    upstream.destroy();
  };
  client.setTimeout(forwarding.clientTimeoutMs, cut);
  upstream.setTimeout(forwarding.serverTimeoutMs, cut);
  upstream.on("error", cut);
  client.on("close", () => upstream.destroy());
  client.pipe(upstream);
  upstream.pipe(client);
}

/** Sends the upgrade request, without a body, to the ExApp on `port`. */
function requestUpgrade(
  forwarding: ExAppForwarding,
  request: IncomingMessage,
  port: number,
): http.ClientRequest {
  const upstream = http.request({
    method: request.method ?? "GET",
    path: request.url ?? "/",
    headers: exAppRequestHeaders(request.rawHeaders, true),
    setHost: false,
    createConnection: exAppConnection(forwarding, port),
  });
  upstream.setTimeout(forwarding.serverTimeoutMs, () => {
    upstream.destroy(Object.assign(new Error("timed out"),
      { code: "ETIMEDOUT" }));
  });
  upstream.end();
  return upstream;
}

/** Relays a response other than 101, then closes; returns its status. */
function relayNonUpgrade(response: IncomingMessage, client: Socket): number {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 599) {
    response.destroy();
    reply(client, 502, `Invalid response from the ExApp: status ${status}`);
    return 502;
  }
  const headers = responseHeaders(response.rawHeaders);
  client.write(formatHead(status, response.statusMessage, headers) +
    "Connection: close\r\n\r\n");
  response.pipe(client);
  response.on("error", () => client.destroy());
  return status;
}

/**
 * Passes an upgrade request (WebSocket or any other protocol) to the
 * ExApp and, once it responds with 101, joins both connections byte for
 * byte. Client bytes that came with the request wait until then. Any
 * other response is relayed, and then the connection closes.
 */
function tunnel(
  options: ExAppUpgradeOptions,
  request: IncomingMessage,
  client: Socket,
  head: Buffer,
  audit: Audit,
): Promise<number> {
  const { forwarding } = options;
  const port = client.localPort ?? 0;
  const exAppName = describeExApp(forwarding.target, port);
  return new Promise((resolve) => {
    let responded = false;
    // The ExApp owes the response now, so only its timeout runs.
    client.setTimeout(0);
    const upstream = requestUpgrade(forwarding, request, port);
    upstream.on("upgrade", (response, socket: Socket, upstreamHead) => {
      responded = true;
      client.write(formatHead(101, response.statusMessage,
        response.rawHeaders) + "\r\n");
      if (upstreamHead.length > 0) client.write(upstreamHead);
      if (head.length > 0) socket.write(head);
      splice(client, socket, forwarding);
      resolve(101);
    });
    upstream.on("response", (response) => {
      responded = true;
      resolve(relayNonUpgrade(response, client));
    });
    upstream.on("error", (error) => {
      if (responded) return client.destroy();
      const failure = upstreamErrorOf(error, exAppName);
      audit.decision = "error";
      audit.reason = failure.message;
      reply(client, failure.status, failure.message);
      resolve(failure.status);
    });
    client.on("close", () => {
      if (!responded) upstream.destroy();
    });
  });
}

async function handle(
  options: ExAppUpgradeOptions,
  request: IncomingMessage,
  client: Socket,
  head: Buffer,
  audit: Audit,
): Promise<number> {
  const { gate } = options;
  const peer = audit.client;
  if (gate.isBanned(peer)) {
    audit.decision = "banned";
    options.holdSocket(client);
    return 0;
  }
  const authorization = authorizationOf(request.rawHeaders);
  if (!gate.authenticate(peer, authorization)) {
    audit.reason = authorization === undefined
      ? "no credentials"
      : "wrong credentials";
    if (gate.isBanned(peer)) {
      audit.decision = "banned";
      options.holdSocket(client);
      return 0;
    }
    audit.decision = "unauthorized";
    reply(client, 401, "Authentication required",
      `WWW-Authenticate: ${CHALLENGE}\r\n`);
    return 401;
  }
  const length = request.headers["content-length"];
  if ((length !== undefined && length !== "0") ||
    request.headers["transfer-encoding"] !== undefined) {
    audit.decision = "invalid";
    audit.reason = "request body with a connection upgrade";
    reply(client, 400, "A request body is not accepted with Upgrade");
    return 400;
  }
  return tunnel(options, request, client, head, audit);
}

/**
 * Handles `Upgrade` requests on the ExApp frontends, outside Hono, with
 * the same ban check and Basic auth as every other request.
 */
export function createExAppUpgradeHandler(options: ExAppUpgradeOptions) {
  const { logger } = options;
  return function onUpgrade(
    request: IncomingMessage,
    client: Socket,
    head: Buffer,
  ): void {
    client.on("error", () => client.destroy());
    const audit = startAudit(`exapp:${client.localPort ?? 0}`,
      client.remoteAddress ?? "", request.method ?? "", request.url ?? "");
    const readBefore = client.bytesRead;
    const writtenBefore = client.bytesWritten;
    const logOnClose = (status: number) => {
      const log = () => logAudit(logger, audit, status,
        client.bytesRead - readBefore, client.bytesWritten - writtenBefore,
        options.observe);
      if (client.closed) log();
      else client.once("close", log);
    };
    handle(options, request, client, head, audit).then(logOnClose,
      (error: Error) => {
        audit.decision = "error";
        audit.reason = `internal error: ${error.message}`;
        client.destroy();
        logOnClose(500);
      });
  };
}
