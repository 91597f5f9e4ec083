import type { Logger } from "../log/logger.ts";
import { shorten } from "./responses.ts";

/** The outcome of a request, as the access log reports it. */
export type Decision =
  | "allow"
  | "deny"
  | "unauthorized"
  | "banned"
  | "invalid"
  | "error";

/** The record of one request, filled in as it moves through the pipeline. */
export interface Audit {
  readonly frontend: string;
  readonly client: string;
  readonly method: string;
  readonly path: string;
  readonly startedAt: number;
  decision: Decision;
  rule: string | undefined;
  reason: string | undefined;
}

/** Starts the record of a request. */
export function startAudit(
  frontend: string,
  client: string,
  method: string,
  path: string,
): Audit {
  return {
    frontend,
    client,
    method,
    path,
    startedAt: performance.now(),
    decision: "allow",
    rule: undefined,
    reason: undefined,
  };
}

/**
 * Levels by consequence: refusals and bans warn, upstream failures are
 * errors. Allowed requests log at info so that the default level keeps
 * one line per request; LOG_LEVEL=warn keeps only the refusals.
 */
function levelOf(audit: Audit, status: number) {
  if (audit.decision === "error" || status >= 502) return "error" as const;
  if (audit.decision === "allow") return "info" as const;
  return "warn" as const;
}

/** Receives every finished request, e.g. to count it in metrics. */
export type RequestObserver = (
  audit: Audit,
  status: number,
  seconds: number,
) => void;

/**
 * Writes the access log line of a finished request and reports it. A
 * banned request is logged with status 0, since nothing was sent back.
 */
export function logAudit(
  logger: Logger,
  audit: Audit,
  status: number,
  bytesIn: number,
  bytesOut: number,
  observe?: RequestObserver,
): void {
  if (audit.decision === "banned") status = 0;
  observe?.(audit, status, (performance.now() - audit.startedAt) / 1000);
  const level = levelOf(audit, status);
  if (!logger.enabled(level)) return;
  logger.log(level, "request", {
    client: audit.client,
    frontend: audit.frontend,
    method: audit.method,
    path: shorten(audit.path),
    status,
    bytes_in: bytesIn,
    bytes_out: bytesOut,
    duration_ms: Math.round((performance.now() - audit.startedAt) * 100) / 100,
    decision: audit.decision,
    rule: audit.rule,
    reason: audit.reason === undefined ? undefined : shorten(audit.reason),
  });
}
