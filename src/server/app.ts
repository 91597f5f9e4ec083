import { Hono } from "hono";
import type { BodyChecker } from "../policy/body/check-body.ts";
import type { Gate } from "./gate.ts";
import {
  allowlist,
  banGuard,
  basicAuth,
  forward,
  handleError,
} from "./middleware.ts";
import type { PipelineEnv } from "./middleware.ts";

/**
 * Builds the Docker API pipeline. The order is the security model. A
 * banned source learns nothing, not even whether its password is right.
 * Only an authenticated client learns what the allowlist decides, and
 * only an allowed, checked request reaches the engine.
 */
export function createApp(gate: Gate, checkBody: BodyChecker) {
  const app = new Hono<PipelineEnv>();
  app.use(banGuard(gate));
  app.use(basicAuth(gate));
  app.use(allowlist(gate, checkBody));
  app.all("*", forward());
  app.onError((error, c) => handleError(error, c.env));
  return app;
}
