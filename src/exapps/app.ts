import { Hono } from "hono";
import type { Exchange } from "../server/exchange.ts";
import type { Gate } from "../server/gate.ts";
import { banGuard, basicAuth, handleError } from "../server/middleware.ts";
import type { PipelineEnv } from "../server/middleware.ts";

/** An ExApp request, as the pipeline handles it. */
export interface ExAppExchange extends Exchange {
  /** The request target exactly as the client sent it. */
  readonly target: string;
}

/** Hono environment of the ExApp pipeline. */
export interface ExAppEnv {
  Bindings: ExAppExchange;
  Variables: PipelineEnv["Variables"];
}

/**
 * Builds the pipeline of the ExApp frontends: the same ban check and
 * Basic auth as the Docker API, in the same order and on the same ban
 * table, then the request goes to the ExApp untouched but for its
 * headers. There is no allowlist: an ExApp serves its own API.
 */
export function createExAppApp(gate: Gate) {
  const app = new Hono<ExAppEnv>();
  app.use(banGuard(gate));
  app.use(basicAuth(gate));
  app.all("*", (c) => c.env.forward({ path: c.env.target, body: "stream" }));
  app.onError((error, c) => handleError(error, c.env));
  return app;
}
