import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Socket } from "node:net";
import { CHALLENGE } from "../auth/basic-auth.ts";
import { authorizationOf, requestHeaders } from "../forward/headers.ts";
import type { EngineTarget } from "../forward/node.ts";
import type { Logger } from "../log/logger.ts";
import { logAudit, startAudit } from "../server/audit.ts";
import { errorBody } from "../server/responses.ts";
import type { Audit, RequestObserver } from "../server/audit.ts";
import type { Gate } from "../server/gate.ts";
import type { HoldSocket } from "../exchange/node.ts";

/** Largest body accepted with an upgrade request (exec start options). */
const MAX_UPGRADE_BODY_BYTES = 64 * 1024;
/** Maximum size of a non-101 response relayed before closing. */
const MAX_REFUSAL_BYTES = 1024 * 1024;

/** Dependencies of the upgrade handler. */
export interface HijackOptions {
  readonly gate: Gate;
  readonly engine: EngineTarget;
  readonly holdSocket: HoldSocket;
  readonly logger: Logger;
  readonly frontend: string;
  readonly observe: RequestObserver | undefined;
  readonly clientTimeoutMs: number;
}

function reply(client: Socket, status: number, text: string, body: string,
  extra = ""): void {
  const json = errorBody(body);
  client.end(
    `HTTP/1.1 ${status} ${text}\r\nContent-Type: application/json\r\n` +
      `${extra}Content-Length: ${Buffer.byteLength(json)}\r\n` +
      `Connection: close\r\n\r\n${json}`);
}

/**
 * Reads exactly `length` body bytes that follow the request head. Deno's
 * node:http emits the body bytes that came with the head as `request`
 * data events, where Node leaves them in `head`. Later bytes come from
 * the socket on both runtimes.
 */
function readExact(request: IncomingMessage, client: Socket, head: Buffer,
  length: number, deadlineMs: number) {
  return new Promise<{ body: Buffer; rest: Buffer } | undefined>((resolve) => {
    let buffered = head;
    const stop = () => {
      clearTimeout(deadline);
      request.off("data", onData);
      client.off("data", onData);
      client.off("end", onEnd);
    };
    // As for any checked body: the whole of it within the client timeout.
    const deadline = setTimeout(() => {
      stop();
      client.destroy();
      resolve(undefined);
    }, deadlineMs);
    const check = () => {
      if (buffered.length < length) return false;
      stop();
      client.pause();
      resolve({
        body: buffered.subarray(0, length),
        rest: buffered.subarray(length),
      });
      return true;
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      check();
    };
    const onEnd = () => {
      stop();
      resolve(undefined);
    };
    if (check()) return;
    request.on("data", onData);
    client.on("data", onData);
    client.on("end", onEnd);
  });
}

/** Writes the checked request to a fresh engine connection. */
function connectEngine(
  engine: EngineTarget,
  request: IncomingMessage,
  path: string,
  body: Buffer,
): Socket {
  const upstream = net.connect({
    path: engine.socketPath,
    allowHalfOpen: true,
  });
  const headers = requestHeaders(request.rawHeaders);
  let head = `${request.method} ${path} HTTP/1.1\r\nHost: docker\r\n` +
    "Connection: Upgrade\r\nUpgrade: tcp\r\n";
  for (let i = 0; i < headers.length; i += 2) {
    head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  }
  if (body.length > 0) head += "Content-Type: application/json\r\n";
  head += `Content-Length: ${body.length}\r\n\r\n`;
  upstream.write(head);
  if (body.length > 0) upstream.write(body);
  return upstream;
}

/** Waits for the engine's response head; resolves with it and what followed. */
function readAnswerHead(upstream: Socket, timeoutMs: number) {
  return new Promise<{ status: number; bytes: Buffer } | undefined>(
    (resolve) => {
      let buffered = Buffer.alloc(0);
      const done = (value: { status: number; bytes: Buffer } | undefined) => {
        clearTimeout(timer);
        upstream.off("data", onData);
        upstream.off("close", onClose);
        upstream.pause();
        resolve(value);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const onData = (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.indexOf("\r\n\r\n") < 0) {
          if (buffered.length > 64 * 1024) done(undefined);
          return;
        }
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(
          buffered.subarray(0, 16).toString("latin1"))?.[1] ?? 0);
        done({ status, bytes: buffered });
      };
      const onClose = () => done(undefined);
      upstream.on("data", onData);
      upstream.on("close", onClose);
    });
}

/**
 * Handles Docker's connection hijack (`Upgrade: tcp` on exec start and
 * attach) outside Hono, with the same gate. Client bytes reach the
 * engine only after it has responded with 101: until then the engine
 * still parses HTTP, and spliced bytes could smuggle a second request.
 */
export function createUpgradeHandler(options: HijackOptions) {
  const { gate, engine, logger, frontend } = options;

  async function handle(request: IncomingMessage, client: Socket,
    head: Buffer, audit: Audit): Promise<number> {
    const peer = audit.client;
    if (gate.isBanned(peer)) {
      audit.decision = "banned";
      options.holdSocket(client);
      return 0;
    }
    if (!gate.authenticate(peer, authorizationOf(request.rawHeaders))) {
      audit.decision = gate.isBanned(peer) ? "banned" : "unauthorized";
      if (audit.decision === "banned") options.holdSocket(client);
      else reply(client, 401, "Unauthorized", "Authentication required",
        `WWW-Authenticate: ${CHALLENGE}\r\n`);
      return audit.decision === "banned" ? 0 : 401;
    }
    const allowed = await gate.authorize(audit.method, request.url ?? "");
    const deny = (status: number, rule: string, message: string) => {
      audit.decision = "deny";
      audit.rule = rule;
      audit.reason = message;
      const text = status === 400 ? "Bad Request" : "Forbidden";
      reply(client, status, text, message);
      return status;
    };
    if ("status" in allowed) {
      return deny(allowed.status, allowed.rule, allowed.message);
    }
    audit.rule = allowed.match.route.rule;
    if (allowed.match.route.hijack !== true) {
      return deny(403, "upgrade.not-allowed",
        "Connection upgrade is accepted only on exec start and attach");
    }
    if ((request.headers.upgrade ?? "").toLowerCase() !== "tcp") {
      return deny(400, "upgrade.protocol", 'Only "Upgrade: tcp" is accepted');
    }
    if (request.headers["transfer-encoding"] !== undefined) {
      return deny(400, "upgrade.chunked",
        "A chunked body is not accepted with a connection upgrade");
    }
    const length = Number(request.headers["content-length"] ?? 0);
    if (!Number.isSafeInteger(length) || length > MAX_UPGRADE_BODY_BYTES) {
      return deny(400, "upgrade.body",
        `Upgrade request body must be at most ${MAX_UPGRADE_BODY_BYTES} bytes`);
    }
    const read = await readExact(request, client, head, length,
      options.clientTimeoutMs);
    if (read === undefined) return 0;
    const upstream = connectEngine(engine, request, allowed.path, read.body);
    upstream.on("error", (error) => {
      logger.error("upstream failed",
        { frontend, client: peer, error: error.message });
      client.destroy();
    });
    client.on("close", () => upstream.destroy());
    const answer = await readAnswerHead(upstream, engine.serverTimeoutMs);
    if (answer === undefined) {
      audit.decision = "error";
      reply(client, 502, "Bad Gateway", "Cannot reach the Docker engine");
      upstream.destroy();
      return 502;
    }
    client.write(answer.bytes);
    if (answer.status !== 101) {
      relayAndClose(upstream, client);
      return answer.status;
    }
    if (read.rest.length > 0) upstream.write(read.rest);
    // An exec session may rightly stay quiet for long (a shell waiting
    // for input); it ends when either side closes, as without upgrade.
    client.setTimeout(0);
    client.pipe(upstream);
    upstream.pipe(client);
    client.resume();
    upstream.resume();
    return 101;
  }

  return function onUpgrade(request: IncomingMessage, client: Socket,
    head: Buffer): void {
    client.on("error", () => client.destroy());
    const audit = startAudit(frontend, client.remoteAddress ?? "",
      request.method ?? "", request.url ?? "");
    const readBefore = client.bytesRead;
    const writtenBefore = client.bytesWritten;
    handle(request, client, head, audit).then((status) => {
      client.once("close", () => logAudit(logger, audit, status,
        client.bytesRead - readBefore, client.bytesWritten - writtenBefore,
        options.observe));
    }, (error: Error) => {
      audit.decision = "error";
      audit.reason = error.message;
      reply(client, 502, "Bad Gateway", error.message);
      logAudit(logger, audit, 502, 0, 0, options.observe);
    });
  };
}

/** Passes a refusal from the engine through, then closes both sides. */
function relayAndClose(upstream: Socket, client: Socket): void {
  let relayed = 0;
  upstream.on("data", (chunk: Buffer) => {
    relayed += chunk.length;
    client.write(chunk);
    if (relayed > MAX_REFUSAL_BYTES) upstream.destroy();
  });
  upstream.on("end", () => client.end());
  upstream.on("close", () => client.end());
  upstream.resume();
  // The engine's error responses carry a length, so close once it has come.
  upstream.setTimeout(1000, () => upstream.destroy());
}
