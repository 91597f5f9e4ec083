import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createProxyMetrics } from "../../src/metrics/proxy-metrics.ts";
import { startAudit } from "../../src/server/audit.ts";
import type { Decision } from "../../src/server/audit.ts";

function audit(frontend: string, decision: Decision, rule?: string) {
  const record = startAudit(frontend, "127.0.0.1", "GET", "/_ping");
  record.decision = decision;
  record.rule = rule;
  return record;
}

describe("createProxyMetrics", () => {
  const metrics = createProxyMetrics({
    activeBans: () => 2,
    totalBans: () => 7,
    openConnections: () => 11,
    heldConnections: () => 3,
  });
  metrics.observe(audit("docker", "allow", "ping"), 200, 0.002);
  metrics.observe(audit("docker", "allow", "ping"), 200, 0.02);
  metrics.observe(audit("docker", "deny", "route.not-allowed"), 403, 0.001);
  metrics.observe(audit("exapp:23001", "error"), 502, 0.5);
  const text = metrics.render();

  it("counts requests by frontend, decision and status", () => {
    assert.match(text, /^appapi_dsp_requests_total\{frontend="docker",decision="allow",status="200"\} 2$/m);
    assert.match(text, /^appapi_dsp_requests_total\{frontend="exapp",decision="error",status="502"\} 1$/m);
  });

  it("counts refusals by rule", () => {
    assert.match(text, /^appapi_dsp_refusals_total\{rule="route.not-allowed"\} 1$/m);
  });

  it("counts upstream errors", () => {
    assert.match(text, /^appapi_dsp_upstream_errors_total\{frontend="exapp"\} 1$/m);
  });

  it("fills cumulative duration buckets", () => {
    assert.match(text, /^appapi_dsp_request_duration_seconds_bucket\{frontend="docker",le="0.0025"\} 2$/m);
    assert.match(text, /^appapi_dsp_request_duration_seconds_bucket\{frontend="docker",le="0.025"\} 3$/m);
    assert.match(text, /^appapi_dsp_request_duration_seconds_count\{frontend="docker"\} 3$/m);
    assert.match(text, /^appapi_dsp_request_duration_seconds_bucket\{frontend="docker",le="\+Inf"\} 3$/m);
  });

  it("reads gauges when rendered", () => {
    assert.match(text, /^appapi_dsp_bans_active 2$/m);
    assert.match(text, /^appapi_dsp_bans_total 7$/m);
    assert.match(text, /^appapi_dsp_open_connections 11$/m);
    assert.match(text, /^appapi_dsp_held_connections 3$/m);
  });

  it("declares a type for every metric", () => {
    const names = [...text.matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]);
    assert.equal(names.length, 8);
  });
});
