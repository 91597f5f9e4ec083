import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { matchRoute, upstreamPath } from "../../src/policy/match-route.ts";
import { normaliseTarget } from "../../src/policy/normalise-target.ts";

function match(method: string, raw: string) {
  const target = normaliseTarget(raw);
  if ("status" in target) return target;
  return matchRoute(method, target);
}

describe("matchRoute", () => {
  const allowed: readonly [string, string, string][] = [
    ["GET", "/v1.44/_ping", "ping"],
    ["HEAD", "/_ping", "ping"],
    ["GET", "/version", "version"],
    ["POST", "/v1.44/images/create?fromImage=ghcr.io%2Fnextcloud%2Fapp%3A1.0-cpu", "image-pull"],
    ["POST", "/v1.44/images/create?fromImage=busybox&tag=latest&platform=linux%2Famd64", "image-pull"],
    ["GET", "/v1.44/images/ghcr.io/nextcloud/app:1.0/json", "image-inspect"],
    ["GET", "/v1.44/images/busybox@sha256:0123abcd/json", "image-inspect"],
    ["POST", "/v1.44/volumes/create", "volume-create"],
    ["DELETE", "/v1.44/volumes/nc_app_app-skeleton-python_data", "volume-remove"],
    ["POST", "/v1.44/containers/create?name=nc_app_app-skeleton-python", "container-create"],
    ["GET", "/v1.44/containers/nc_app_x/json", "container-inspect"],
    ["GET", "/v1.44/containers/nc_app_x/logs?stdout=true&stderr=true&tail=all", "container-logs"],
    ["POST", "/v1.44/containers/nc_app_x/start", "container-start"],
    ["POST", "/v1.44/containers/nc_app_x/stop", "container-stop"],
    ["POST", "/v1.44/containers/nc_app_x/update", "container-update"],
    ["POST", "/v1.44/containers/nc_app_x/exec", "exec-create"],
    ["PUT", "/v1.44/containers/nc_app_x/archive?path=%2F", "archive-upload"],
    ["DELETE", "/v1.44/containers/nc_app_x?force=true", "container-remove"],
    ["POST", "/v1.41/containers/0123456789ab/start", "container-start"],
    ["POST", `/v1.44/exec/${"a".repeat(64)}/start`, "exec-start"],
    ["GET", `/v1.44/exec/${"b".repeat(64)}/json`, "exec-inspect"],
    ["POST", `/v1.44/exec/${"c".repeat(64)}/resize?h=24&w=80`, "exec-resize"],
  ];
  for (const [method, raw, rule] of allowed) {
    it(`allows ${method} ${raw.slice(0, 60)}`, () => {
      const result = match(method, raw);
      assert.ok(!("status" in result), JSON.stringify(result));
      assert.equal(result.route.rule, rule);
    });
  }

  const refused: readonly [string, string, string, string][] = [
    ["container list", "GET", "/v1.44/containers/json", "route.not-allowed"],
    ["engine info", "GET", "/v1.44/info", "route.not-allowed"],
    ["ping by POST", "POST", "/_ping", "route.not-allowed"],
    ["foreign container", "GET", "/v1.44/containers/postgres/json", "param.container"],
    ["container name with suffix path", "DELETE",
      "/v1.44/containers/nc_app_x/../postgres", "path.invalid"],
    ["foreign volume", "DELETE", "/v1.44/volumes/postgres_data", "param.volume"],
    ["volume without _data", "DELETE", "/v1.44/volumes/nc_app_x", "param.volume"],
    ["image import", "POST", "/v1.44/images/create?fromSrc=-&repo=evil", "query.not-allowed"],
    ["pull plus import", "POST", "/v1.44/images/create?fromImage=a&fromSrc=-", "query.not-allowed"],
    ["pull with changes", "POST", "/v1.44/images/create?fromImage=a&changes=x", "query.not-allowed"],
    ["pull without image", "POST", "/v1.44/images/create", "query.missing"],
    ["create without name", "POST", "/v1.44/containers/create", "query.missing"],
    ["create with foreign name", "POST", "/v1.44/containers/create?name=evil", "query.invalid"],
    ["create name, other case", "POST", "/v1.44/containers/create?Name=nc_app_x", "query.not-allowed"],
    ["create name with suffix", "POST", "/v1.44/containers/create?name=nc_app_x%2Fy", "query.invalid"],
    ["exec of short id", "POST", "/v1.44/exec/abc/start", "param.exec"],
    ["image build", "POST", "/v1.44/build?remote=http://x", "route.not-allowed"],
    ["image load", "POST", "/v1.44/images/load", "route.not-allowed"],
    ["container prune", "POST", "/v1.44/containers/prune", "route.not-allowed"],
    ["archive without path", "PUT", "/v1.44/containers/nc_app_x/archive", "query.missing"],
    ["archive read", "GET", "/v1.44/containers/nc_app_x/archive?path=%2F", "route.not-allowed"],
    ["swarm", "POST", "/v1.44/swarm/init", "route.not-allowed"],
    ["plugins", "POST", "/v1.44/plugins/pull", "route.not-allowed"],
  ];
  for (const [name, method, raw, rule] of refused) {
    it(`refuses ${name}`, () => {
      const result = match(method, raw);
      assert.ok("status" in result, `${raw} passed`);
      assert.equal(result.rule, rule);
      assert.equal(result.status, 403);
    });
  }

  it("forwards the canonical path with the resolved container ID", () => {
    const target = normaliseTarget("/v1.41/containers/0123/start?detachKeys=ctrl-p");
    assert.ok(!("status" in target));
    const result = matchRoute("POST", target);
    assert.ok(!("status" in result));
    assert.equal(upstreamPath(result, { container: "0123abcd".padEnd(64, "0") }),
      `/v1.41/containers/${"0123abcd".padEnd(64, "0")}/start?detachKeys=ctrl-p`);
  });

  it("re-encodes the query it forwards", () => {
    const target = normaliseTarget(
      "/v1.44/images/create?fromImage=ghcr.io%2Fnextcloud%2Fapp%3A1.0");
    assert.ok(!("status" in target));
    const result = matchRoute("POST", target);
    assert.ok(!("status" in result));
    assert.equal(upstreamPath(result, {}),
      "/v1.44/images/create?fromImage=ghcr.io%2Fnextcloud%2Fapp%3A1.0");
  });
});
