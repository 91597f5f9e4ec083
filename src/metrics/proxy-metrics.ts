import type { Audit } from "../server/audit.ts";
import { Counter, Gauge, Histogram, renderMetrics } from "./registry.ts";

/** Live values the metrics read when scraped. */
export interface MetricSources {
  readonly activeBans: () => number;
  readonly totalBans: () => number;
  readonly openConnections: () => number;
  readonly heldConnections: () => number;
}

/** The proxy's metrics: what it forwarded, refused and failed. */
export interface ProxyMetrics {
  /** Counts one finished request. */
  readonly observe: (audit: Audit, status: number, seconds: number) => void;
  /** Renders every metric in the Prometheus text format. */
  readonly render: () => string;
}

/** Creates the metrics, reading live values from `sources`. */
export function createProxyMetrics(sources: MetricSources): ProxyMetrics {
  const requests = new Counter("appapi_dsp_requests_total",
    "Requests by frontend, decision and status");
  const refusals = new Counter("appapi_dsp_refusals_total",
    "Refused requests by rule");
  const upstreamErrors = new Counter("appapi_dsp_upstream_errors_total",
    "Requests that failed to reach the engine or an ExApp, by frontend");
  const duration = new Histogram("appapi_dsp_request_duration_seconds",
    "Time from request start to the end of the answer, by frontend");
  const all = [
    requests,
    refusals,
    upstreamErrors,
    duration,
    new Gauge("appapi_dsp_bans_active", "Sources banned now",
      sources.activeBans),
    new Gauge("appapi_dsp_bans_total", "Bans started since start-up",
      sources.totalBans, "counter"),
    new Gauge("appapi_dsp_open_connections", "Open client connections",
      sources.openConnections),
    new Gauge("appapi_dsp_held_connections",
      "Connections of banned sources held silent", sources.heldConnections),
  ];
  const frontendOf = (audit: Audit) =>
    audit.frontend.startsWith("exapp") ? "exapp" : audit.frontend;

  return {
    observe(audit, status, seconds) {
      const frontend = frontendOf(audit);
      requests.inc({ frontend, decision: audit.decision, status: String(status) });
      if (audit.decision === "deny" || audit.decision === "invalid") {
        refusals.inc({ rule: audit.rule ?? "unknown" });
      }
      if (audit.decision === "error" || status === 502 || status === 504) {
        upstreamErrors.inc({ frontend });
      }
      duration.observe({ frontend }, seconds);
    },
    render: () => renderMetrics(all),
  };
}
