import type { MiddlewareHandler } from "hono";
import { UpstreamError } from "../engine/upstream-error.ts";
import { checkArchiveStart, ARCHIVE_MAGIC_LENGTH } from "../policy/archive.ts";
import type { BodyChecker } from "../policy/body/check-body.ts";
import type { Refusal } from "../policy/refusal.ts";
import type { Exchange, UpstreamRequest } from "./exchange.ts";
import type { Gate } from "./gate.ts";
import { errorResponse, unauthorizedResponse } from "./responses.ts";

/** Largest request body the proxy reads into memory to check. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** Hono environment of the pipeline. */
export interface PipelineEnv {
  Bindings: Exchange;
  Variables: { upstream: UpstreamRequest };
}

type Step = MiddlewareHandler<PipelineEnv>;

function refused(exchange: Exchange, refusal: Refusal): Response {
  exchange.audit.decision = refusal.status === 400 ? "invalid" : "deny";
  exchange.audit.rule = refusal.rule;
  exchange.audit.reason = refusal.message;
  return errorResponse(refusal.status, refusal.message);
}

/** Gives a banned source no response at all, whatever it sends. */
export function banGuard(gate: Gate): Step {
  return async function banGuard(c, next) {
    if (!gate.isBanned(c.env.peer)) return next();
    c.env.audit.decision = "banned";
    return c.env.hold();
  };
}

/** Requires the AppAPI credentials; failures count toward a ban. */
export function basicAuth(gate: Gate): Step {
  return async function basicAuth(c, next) {
    const header = c.req.header("authorization");
    if (gate.authenticate(c.env.peer, header)) return next();
    c.env.audit.decision = "unauthorized";
    c.env.audit.reason = header === undefined
      ? "no credentials"
      : "wrong credentials";
    // The failure that starts a ban already gets no response.
    if (gate.isBanned(c.env.peer)) {
      c.env.audit.decision = "banned";
      return c.env.hold();
    }
    return unauthorizedResponse();
  };
}

async function readPolicyBody(exchange: Exchange) {
  const body = await exchange.readBody(MAX_BODY_BYTES);
  if (body === "too-large") {
    return refused(exchange, {
      status: 413,
      rule: "body.too-large",
      message: `Request body is larger than ${MAX_BODY_BYTES} bytes`,
    });
  }
  if (body === "timed-out") {
    return refused(exchange, {
      status: 408,
      rule: "body.timeout",
      message: "Request body did not arrive within TIMEOUT_CLIENT",
    });
  }
  return body;
}

/**
 * Lets through only the routes and bodies of the allowlist. Checked
 * bodies are replaced by their canonical form before they go on.
 */
export function allowlist(gate: Gate, checkBody: BodyChecker): Step {
  return async function allowlist(c, next) {
    const exchange = c.env;
    const { method, path } = exchange.audit;
    const allowed = await gate.authorize(method, path);
    if ("status" in allowed) return refused(exchange, allowed);
    const { route } = allowed.match;
    exchange.audit.rule = route.rule;
    const { body } = route;
    let upstream: UpstreamRequest;
    if (body.kind === "tar") {
      const head = await exchange.peekBody(ARCHIVE_MAGIC_LENGTH);
      const refusal = checkArchiveStart(head);
      if (refusal !== undefined) return refused(exchange, refusal);
      upstream = { path: allowed.path, body: "stream" };
    } else {
      const bytes = await readPolicyBody(exchange);
      if (bytes instanceof Response) return bytes;
      if (body.kind === "none") {
        upstream = { path: allowed.path, body: undefined };
      } else if (body.kind === "small") {
        // Exec start options are JSON, and the engine insists on the type.
        upstream = bytes.length === 0
          ? { path: allowed.path, body: bytes }
          : {
            path: allowed.path,
            body: bytes,
            contentType: "application/json",
          };
      } else {
        const context = allowed.containerName === undefined
          ? {}
          : { containerName: allowed.containerName };
        const verdict = checkBody(body.policy, bytes, context);
        if (!verdict.ok) return refused(exchange, verdict.refusal);
        upstream = {
          path: allowed.path,
          body: new TextEncoder().encode(verdict.json),
          contentType: "application/json",
        };
      }
    }
    c.set("upstream", upstream);
    return next();
  };
}

/** Sends the checked request to the engine. */
export function forward(): Step {
  return async function forward(c) {
    return c.env.forward(c.get("upstream"));
  };
}

/** Maps failures to the engine's error shape; nothing crashes the proxy. */
export function handleError(error: unknown, exchange: Exchange): Response {
  exchange.audit.decision = "error";
  if (error instanceof UpstreamError) {
    exchange.audit.reason = error.logDetail === undefined
      ? error.message
      : `${error.message} (${error.logDetail})`;
    return errorResponse(error.status, error.message);
  }
  exchange.audit.reason = `internal error: ${(error as Error)?.message}`;
  return errorResponse(500, "Internal proxy error");
}
