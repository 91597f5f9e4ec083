import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normaliseTarget } from "../../src/policy/normalise-target.ts";

describe("normaliseTarget", () => {
  const accepted: readonly [string, string | undefined, string][] = [
    ["/v1.44/_ping", "1.44", "/_ping"],
    ["/v1.41/containers/nc_app_x/json", "1.41", "/containers/nc_app_x/json"],
    ["/_ping", undefined, "/_ping"],
    ["/v1.44/images/ghcr.io/nextcloud/app:1.0/json", "1.44",
      "/images/ghcr.io/nextcloud/app:1.0/json"],
    ["/v1.44/images/ghcr.io%3A443/app/json", "1.44", "/images/ghcr.io:443/app/json"],
    ["/v1.24/_ping", "1.24", "/_ping"],
    ["/v1.44/containers/.../json", "1.44", "/containers/.../json"],
  ];
  for (const [raw, version, path] of accepted) {
    it(`accepts ${raw}`, () => {
      const target = normaliseTarget(raw);
      assert.ok(!("status" in target), JSON.stringify(target));
      assert.equal(target.version, version);
      assert.equal(target.path, path);
    });
  }

  const refused: readonly [string, string][] = [
    ["dot segment", "/v1.44/containers/../json"],
    ["single dot segment", "/v1.44/./containers/nc_app_x/json"],
    ["encoded dot", "/v1.44/containers/nc_app_x/%2e%2e/json"],
    ["encoded dot, upper case", "/v1.44/containers/%2E%2E/json"],
    ["encoded slash", "/v1.44/containers/nc_app_x%2Fjson"],
    ["encoded percent (double encoding)", "/v1.44/containers/%252e%252e/json"],
    ["encoded NUL", "/v1.44/containers/nc_app_x%00/json"],
    ["encoded backslash", "/v1.44/containers/nc_app_x%5C..%5Cjson"],
    ["encoded semicolon", "/v1.44/containers/nc_app_x%3Bx/json"],
    ["broken escape", "/v1.44/containers/nc_app_x%zz/json"],
    ["backslash", "/v1.44\\containers\\nc_app_x\\json"],
    ["empty segment", "/v1.44//containers/nc_app_x/json"],
    ["trailing slash", "/v1.44/_ping/"],
    ["trailing dot segment", "/v1.44/containers/nc_app_x/."],
    ["trailing dot-dot segment", "/v1.44/containers/nc_app_x/.."],
    ["root path", "/"],
    ["control character", "/v1.44/_ping\x01"],
    ["non-ASCII", "/v1.44/containers/nc_app_é/json"],
    ["absolute form", "http://docker/v1.44/_ping"],
    ["asterisk form", "*"],
    ["upper-case version", "/V1.44/_ping"],
    ["major-only version", "/v1/_ping"],
    ["three-part version", "/v1.44.1/_ping"],
    ["version without its v", "/1.44/_ping"],
    ["version below 1.24", "/v1.23/containers/nc_app_x/start"],
    ["ancient version", "/v1.12/_ping"],
    ["repeated query name", "/v1.44/containers/create?name=nc_app_a&name=x"],
    ["semicolon in query", "/v1.44/containers/create?name=nc_app_a;x=1"],
    ["control in query", "/v1.44/containers/create?name=nc_app_a%0a"],
    ["fragment", "/v1.44/_ping#x"],
  ];
  for (const [name, raw] of refused) {
    it(`refuses ${name}`, () => {
      const target = normaliseTarget(raw);
      assert.ok("status" in target, `${raw} passed as ${JSON.stringify(target)}`);
      assert.equal(target.status, 403);
    });
  }

  it("decodes query values the way Go does", () => {
    const target = normaliseTarget(
      "/v1.44/images/create?fromImage=ghcr.io%2Fnextcloud%2Fapp%3A1.0+x");
    assert.ok(!("status" in target));
    assert.equal(target.query.get("fromImage"), "ghcr.io/nextcloud/app:1.0 x");
  });

  it("keeps an encoded ampersand inside its value", () => {
    const target = normaliseTarget("/v1.44/containers/create?name=nc_app_a%26x%3D1");
    assert.ok(!("status" in target));
    assert.equal(target.query.get("name"), "nc_app_a&x=1");
    assert.equal(target.query.size, 1);
  });
});
