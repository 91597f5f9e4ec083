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

/** Interim responses (100 Continue, 103 Early Hints) allowed per request. */
const MAX_INTERIM_RESPONSES = 8;

/** Characters a reason phrase may hold (RFC 9112 section 4). */
const REASON_PHRASE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Writes the ExApp's response head, then streams its body. Returns an
 * error instead when the head cannot be passed on: an ExApp is not
 * trusted, and a status or reason Node refuses to write would otherwise
 * throw out of the event handler.
 */
function relayResponse(
  response: http.IncomingMessage,
  upstream: http.ClientRequest,
  outgoing: ServerResponse,
  timers: IdleTimers,
): string | undefined {
  const status = response.statusCode ?? 0;
  if (status < 200 || status > 599) return `invalid status ${status}`;
  const reason = REASON_PHRASE.test(response.statusMessage ?? "")
    ? response.statusMessage
    : undefined;
  try {
    outgoing.writeHead(status, reason, responseHeaders(response.rawHeaders));
  } catch (error) {
    outgoing.removeHeader("content-length");
    return `invalid response head: ${(error as Error).message}`;
  }
  pump(response, outgoing, timers.downloadBlocked, () => {
    timers.responseEnded();
    outgoing.end();
  });
  response.on("close", () => {
    if (response.complete) return;
    upstream.destroy(new Error("connection closed"));
  });
  return undefined;
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

function expectsContinue(incoming: IncomingMessage): boolean {
  return /^\s*100-continue\s*$/i.test(incoming.headers.expect ?? "");
}

/**
 * Builds the headers sent to the ExApp, with framing set here: Node
 * would send the body of a GET or DELETE without any framing, and the
 * ExApp would read it as a second, unchecked request.
 */
function upstreamHeaders(incoming: IncomingMessage): string[] {
  const headers: string[] = [];
  const passed = exAppRequestHeaders(incoming.rawHeaders, false);
  for (let i = 0; i < passed.length; i += 2) {
    const name = (passed[i] ?? "").toLowerCase();
    if (name === "content-length" || name === "transfer-encoding") continue;
    headers.push(passed[i] ?? "", passed[i + 1] ?? "");
  }
  const length = incoming.headers["content-length"];
  if (length !== undefined) headers.push("Content-Length", length);
  else if (hasBody(incoming)) headers.push("Transfer-Encoding", "chunked");
  if (expectsContinue(incoming)) headers.push("Expect", "100-continue");
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
    // One `100 Continue`, and only to a client that asked: more could
    // pile up in memory for a client that does not read.
    let continueSent = !expectsContinue(incoming);
    upstream.on("continue", () => {
      if (continueSent) return;
      continueSent = true;
      outgoing.writeContinue();
    });
    const refuseResponse = (why: string) => {
      upstream.destroy();
      reject(new UpstreamError(502,
        `Invalid response from ${exAppName}: ${why}`));
    };
    // Interim (1xx) responses cost the proxy parsing and nothing else
    // bounds them, so an ExApp gets a few before the final response.
    let interim = 0;
    upstream.on("information", () => {
      interim++;
      if (interim > MAX_INTERIM_RESPONSES) {
        refuseResponse(`more than ${MAX_INTERIM_RESPONSES} interim responses`);
      }
    });
    // A 101 to a request that asked for no upgrade: nothing can follow.
    upstream.on("upgrade", (_response, socket: Socket) => {
      socket.destroy();
      refuseResponse("101 Switching Protocols to a plain request");
    });
    upstream.on("response", (response) => {
      const problem = relayResponse(response, upstream, outgoing, timers);
      if (problem !== undefined) return refuseResponse(problem);
      responded = true;
      resolve();
    });
    outgoing.on("close", () => {
      if (!outgoing.writableFinished) upstream.destroy();
    });
    sendBody(incoming, upstream, timers);
  });
}
