import http from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Readable, Writable } from "node:stream";
import { UpstreamError, upstreamErrorOf } from "../../engine/upstream-error.ts";
import { responseHeaders } from "../../forward/headers.ts";
import type { Audit } from "../../server/audit.ts";
import { connectToExApp, describeExApp } from "../connect/node.ts";
import type { ExAppTarget, Lookup } from "../connect/node.ts";
import { exAppRequestHeaders } from "../headers.ts";
import { createIdleTimers } from "../idle-timers.ts";
import type { IdleTimers } from "../idle-timers.ts";

/** Settings for reaching ExApps and timing both sides. */
export interface ExAppForwarding {
  readonly target: ExAppTarget;
  readonly clientTimeoutMs: number;
  readonly serverTimeoutMs: number;
  readonly lookup?: Lookup;
}

/** One request to an ExApp: its port, its request target, its log record. */
export interface ExAppCall {
  readonly port: number;
  readonly path: string;
  readonly audit: Audit;
}

type CreateConnection = NonNullable<http.RequestOptions["createConnection"]>;

/**
 * Opens each upstream connection with {@link connectToExApp}. Every
 * request gets its own connection: an idle one kept for reuse can be
 * closed by the ExApp's keep-alive timeout just as a request goes out,
 * and a POST lost that way cannot be retried safely.
 */
export function exAppConnection(
  forwarding: ExAppForwarding,
  port: number,
): CreateConnection {
  const create = (_options: unknown,
    done: (error: Error | null, socket?: Socket) => void) => {
    connectToExApp(forwarding.target, port, forwarding.lookup)
      .then((socket) => done(null, socket), (error: Error) => done(error));
    // Node's ClientRequest waits for `done` when nothing is returned.
    return undefined;
  };
  return create as unknown as CreateConnection;
}

function hasBody(incoming: IncomingMessage): boolean {
  const length = incoming.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return incoming.headers["transfer-encoding"] !== undefined;
}

/** Copies `from` into `to`, reporting when `to` pushes back. */
function pump(
  from: Readable,
  to: Writable,
  blocked: (isBlocked: boolean) => void,
  onEnd: () => void,
): void {
  from.on("data", (chunk: Buffer) => {
    if (to.write(chunk)) return;
    from.pause();
    blocked(true);
    to.once("drain", () => {
      blocked(false);
      from.resume();
    });
  });
  from.once("end", onEnd);
}

function armTimers(
  client: Socket,
  upstream: http.ClientRequest,
  forwarding: ExAppForwarding,
  timedOut: () => void,
): IdleTimers {
  let upstreamSocket: Socket | undefined;
  let upstreamArmed = false;
  const serverMs = () => (upstreamArmed ? forwarding.serverTimeoutMs : 0);
  upstream.once("socket", (socket: Socket) => {
    upstreamSocket = socket;
    socket.on("timeout", timedOut);
    socket.setTimeout(serverMs());
  });
  return createIdleTimers({
    client: (armed) =>
      client.setTimeout(armed ? forwarding.clientTimeoutMs : 0),
    upstream: (armed) => {
      upstreamArmed = armed;
      upstreamSocket?.setTimeout(serverMs());
    },
  });
}

/** Writes the ExApp's response head, then streams its body. */
function relayResponse(
  response: http.IncomingMessage,
  upstream: http.ClientRequest,
  outgoing: ServerResponse,
  timers: IdleTimers,
): void {
  outgoing.writeHead(response.statusCode ?? 502, response.statusMessage,
    responseHeaders(response.rawHeaders));
  pump(response, outgoing, timers.downloadBlocked, () => {
    timers.responseEnded();
    outgoing.end();
  });
  response.on("close", () => {
    if (response.complete) return;
    upstream.destroy(new Error("connection closed"));
  });
}

/** Streams the client's request body, if any, to the ExApp. */
function sendBody(
  incoming: IncomingMessage,
  upstream: http.ClientRequest,
  timers: IdleTimers,
): void {
  const finish = () => {
    upstream.end();
    timers.requestEnded();
  };
  if (hasBody(incoming)) pump(incoming, upstream, timers.uploadBlocked, finish);
  else finish();
}

function upstreamHeaders(incoming: IncomingMessage): string[] {
  const headers = exAppRequestHeaders(incoming.rawHeaders, false);
  if (/^\s*100-continue\s*$/i.test(incoming.headers.expect ?? "")) {
    headers.push("Expect", "100-continue");
  }
  return headers;
}

/**
 * Sends a request to the ExApp on `port` and streams the response back.
 * Bodies stream both ways. `Expect: 100-continue` is passed on and the
 * ExApp's `100 Continue` relayed, so the ExApp decides whether it wants
 * the body. Resolves once the response head is written, or rejects with
 * an UpstreamError if the ExApp fails before that. After the head, a
 * failure can only cut the client's connection.
 */
export function forwardToExApp(
  forwarding: ExAppForwarding,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  call: ExAppCall,
): Promise<void> {
  const { port, audit } = call;
  const exAppName = describeExApp(forwarding.target, port);
  return new Promise((resolve, reject) => {
    let responded = false;
    const upstream = http.request({
      method: incoming.method ?? "GET",
      path: call.path,
      headers: upstreamHeaders(incoming),
      setHost: false,
      createConnection: exAppConnection(forwarding, port),
    });
    const timers = armTimers(incoming.socket, upstream, forwarding, () => {
      upstream.destroy(
        new UpstreamError(504, `Timed out waiting for ${exAppName}`));
    });
    upstream.on("error", (error) => {
      if (!responded) return reject(upstreamErrorOf(error, exAppName));
      audit.decision = "error";
      audit.reason = `Response of ${exAppName} cut short: ${error.message}`;
      outgoing.destroy();
    });
    upstream.on("continue", () => outgoing.writeContinue());
    upstream.on("response", (response) => {
      responded = true;
      relayResponse(response, upstream, outgoing, timers);
      resolve();
    });
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    sendBody(incoming, upstream, timers);
  });
}
