import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../../src/config/load-config.ts";
import type { Environment } from "../../src/config/load-config.ts";

const noFiles = (path: string): string => {
  throw new Error(`ENOENT: no such file, open '${path}'`);
};

function load(env: Environment, files: Record<string, string> = {}) {
  return loadConfig(env, (path) => files[path] ?? noFiles(path));
}

function errorOf(env: Environment, files: Record<string, string> = {}) {
  const result = load(env, files);
  assert.equal(result.ok, false);
  return result.ok ? "" : result.error;
}

describe("loadConfig", () => {
  it("uses the original proxy's defaults", () => {
    const result = load({ NC_HAPROXY_PASSWORD: "a-long-test-password" });
    assert.ok(result.ok);
    const { config } = result;
    assert.equal(config.port, 2375);
    assert.equal(config.bindAddress, undefined);
    assert.equal(config.connectTimeoutMs, 10_000);
    assert.equal(config.clientTimeoutMs, 30_000);
    assert.equal(config.serverTimeoutMs, 30_000);
    assert.equal(config.exAppsHost, "localhost");
    assert.equal(config.exAppsFamily, 0);
    assert.equal(config.exAppsCount, 50);
    assert.equal(config.dockerSocket, "/var/run/docker.sock");
    assert.equal(config.certFile, "/certs/cert.pem");
    assert.equal(config.banMaxFailures, 5);
    assert.equal(config.banWindowMs, 300_000);
    assert.equal(config.banDurationMs, 900_000);
    assert.deepEqual(config.allowedBindSources, []);
    assert.deepEqual(config.allowedDevices, ["/dev/kfd", "/dev/dri"]);
    assert.deepEqual(result.warnings, []);
  });

  it("reads HAProxy durations", () => {
    const result = load({
      NC_HAPROXY_PASSWORD: "a-long-test-password",
      TIMEOUT_CONNECT: "250",
      TIMEOUT_CLIENT: "2m",
      TIMEOUT_SERVER: "1800s",
      BAN_DURATION: "1d",
      BAN_WINDOW: "1500us",
    });
    assert.ok(result.ok);
    assert.equal(result.config.connectTimeoutMs, 250);
    assert.equal(result.config.clientTimeoutMs, 120_000);
    assert.equal(result.config.serverTimeoutMs, 1_800_000);
    assert.equal(result.config.banDurationMs, 86_400_000);
    assert.equal(result.config.banWindowMs, 2);
  });

  it("reads the password file without its trailing newline", () => {
    const result = load({ NC_HAPROXY_PASSWORD_FILE: "/run/pw" },
      { "/run/pw": "pä:ss wörd with colon\n" });
    assert.ok(result.ok);
    assert.equal(result.config.password, "pä:ss wörd with colon");
  });

  it("warns about a short password", () => {
    const result = load({ NC_HAPROXY_PASSWORD: "short" });
    assert.ok(result.ok);
    assert.equal(result.warnings.length, 1);
    assert.match(result.warnings[0] ?? "", /shorter than 12/);
  });

  it("accepts IPv6 bind addresses with and without brackets", () => {
    for (const text of ["::1", "[::1]", "127.0.0.1", "*", ""]) {
      const result = load({ NC_HAPROXY_PASSWORD: "x".repeat(12), BIND_ADDRESS: text });
      assert.ok(result.ok, text);
    }
  });

  it("parses EX_APPS_NET family prefixes", () => {
    const result = load({ NC_HAPROXY_PASSWORD: "x".repeat(12), EX_APPS_NET: "ipv4@localhost" });
    assert.ok(result.ok);
    assert.equal(result.config.exAppsHost, "localhost");
    assert.equal(result.config.exAppsFamily, 4);
  });

  const badValues: readonly [string, Environment, RegExp][] = [
    ["no password at all", {}, /Missing password.*NC_HAPROXY_PASSWORD/],
    ["empty password", { NC_HAPROXY_PASSWORD: "" }, /NC_HAPROXY_PASSWORD.*non-empty/],
    ["both password variables",
      { NC_HAPROXY_PASSWORD: "x", NC_HAPROXY_PASSWORD_FILE: "/f" }, /both/],
    ["missing password file", { NC_HAPROXY_PASSWORD_FILE: "/nope" },
      /NC_HAPROXY_PASSWORD_FILE "\/nope".*ENOENT/],
    ["port text", { HAPROXY_PORT: "http" }, /HAPROXY_PORT "http".*1 to 65535/],
    ["port zero", { HAPROXY_PORT: "0" }, /HAPROXY_PORT "0"/],
    ["port too big", { HAPROXY_PORT: "70000" }, /HAPROXY_PORT "70000"/],
    ["bind host name", { BIND_ADDRESS: "example.org" }, /BIND_ADDRESS "example.org"/],
    ["duration unit", { TIMEOUT_SERVER: "30 sec" }, /TIMEOUT_SERVER "30 sec".*duration/],
    ["negative duration", { TIMEOUT_CLIENT: "-1s" }, /TIMEOUT_CLIENT/],
    ["ExApp count", { EX_APPS_COUNT: "many" }, /EX_APPS_COUNT "many"/],
    ["ExApp family", { EX_APPS_NET: "ipv5@localhost" }, /EX_APPS_NET "ipv5@localhost"/],
    ["IPv4 address under ipv6@", { EX_APPS_NET: "ipv6@127.0.0.10" }, /EX_APPS_NET "ipv6@127.0.0.10"/],
    ["IPv6 address under ipv4@", { EX_APPS_NET: "ipv4@::1" }, /EX_APPS_NET "ipv4@::1"/],
    ["relative socket", { DOCKER_SOCKET: "docker.sock" }, /DOCKER_SOCKET "docker.sock".*absolute/],
    ["ban range", { BAN_EXEMPT: "10.0.0.0/33" }, /BAN_EXEMPT "10.0.0.0\/33"/],
    ["bind source with dots", { ALLOWED_BIND_SOURCES: "/srv/../etc" },
      /ALLOWED_BIND_SOURCES "\/srv\/..\/etc"/],
    ["log format", { LOG_FORMAT: "xml" }, /LOG_FORMAT "xml".*text, json/],
    ["log level", { LOG_LEVEL: "trace" }, /LOG_LEVEL "trace"/],
    ["autostart word", { NC_AUTOSTART_CONTAINERS: "maybe" }, /NC_AUTOSTART_CONTAINERS "maybe"/],
    ["metrics address", { METRICS_ADDRESS: "9180" }, /METRICS_ADDRESS "9180"/],
  ];
  for (const [name, env, expected] of badValues) {
    it(`rejects ${name}`, () => {
      const withPassword = "NC_HAPROXY_PASSWORD" in env ||
          "NC_HAPROXY_PASSWORD_FILE" in env || name === "no password at all"
        ? env
        : { NC_HAPROXY_PASSWORD: "a-long-test-password", ...env };
      assert.match(errorOf(withPassword), expected);
    });
  }

  it("never shows the password in an error", () => {
    const error = errorOf({ NC_HAPROXY_PASSWORD: "secret-value-123", HAPROXY_PORT: "x" });
    assert.doesNotMatch(error, /secret-value-123/);
  });
});
