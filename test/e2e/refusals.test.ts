// Requests the proxy must refuse, each sent to a real engine through the
// proxy; afterwards the engine must hold nothing that they tried to make.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createBody, jsonHeaders, phpJson, tarArchive } from "../support/appapi.ts";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { request, startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

const prefix = "nc_app_refused";
let engine: Engine;
let proxy: Proxy;
let v: string;
let image: string;

interface Case {
  readonly name: string;
  readonly method: string;
  readonly path: () => string;
  readonly body?: () => unknown;
  readonly headers?: Record<string, string>;
  readonly status?: number;
  readonly rule: RegExp;
}

/** Builds a create body for `<prefix>_<id>`, merging changes into HostConfig. */
function create(id: string, hostConfig: Record<string, unknown> = {},
  top: Record<string, unknown> = {}) {
  const body = createBody({ appId: `refused_${id}`, image, port: 23000 });
  body.HostConfig = { ...(body.HostConfig as object), ...hostConfig };
  return phpJson({ ...body, ...top });
}

function createCase(name: string, id: string, rule: RegExp,
  hostConfig: Record<string, unknown> = {}, top: Record<string, unknown> = {}): Case {
  return {
    name, method: "POST", rule,
    path: () => `${v}/containers/create?name=${prefix}_${id}`,
    body: () => create(id, hostConfig, top),
    headers: jsonHeaders,
  };
}

const cases: readonly Case[] = [
  createCase("privileged container", "priv", /Privileged/, { Privileged: true }),
  { ...createCase("escaped Privileged key", "esc", /Privileged/),
    body: () => create("esc").replace('"HostConfig":{', '"HostConfig":{"\\u0050rivileged":true,') },
  { ...createCase("lower-case privileged key", "lower", /privileged/i),
    body: () => create("lower").replace('"HostConfig":{', '"HostConfig":{"privileged":true,') },
  createCase("legacy top-level Privileged", "legacy", /Privileged/, {}, { Privileged: true }),
  createCase("Binds of the host root", "binds", /Binds/, { Binds: ["/:/host"] }),
  createCase("extra bind mount of /", "bindroot", /bind|Source/i, {
    Mounts: [
      { Type: "volume", Source: `${prefix}_bindroot_data`, Target: "/data" },
      { Type: "bind", Source: "/", Target: "/host" },
    ],
  }),
  createCase("another container's volume", "othervol", /volume|Source/i, {
    Mounts: [{ Type: "volume", Source: "nc_app_other_data", Target: "/data" }],
  }),
  { ...createCase("duplicate Mounts key", "dup", /more than once/),
    body: () => create("dup").replace('"HostConfig":{',
      '"HostConfig":{"Mounts":[{"Type":"bind","Source":"\\/","Target":"\\/h"}],') },
  createCase("added capabilities", "cap", /CapAdd/, { CapAdd: ["SYS_ADMIN"] }),
  createCase("unconfined AppArmor", "apparmor", /SecurityOpt/, { SecurityOpt: ["apparmor=unconfined"] }),
  createCase("host PID namespace", "pid", /PidMode/, { PidMode: "host" }),
  createCase("host user namespace", "userns", /UsernsMode/, { UsernsMode: "host" }),
  createCase("container network mode", "netns", /Network mode/, { NetworkMode: "container:abc" }),
  createCase("sysctls", "sysctl", /Sysctls/, { Sysctls: { "kernel.shm_rmid_forced": "1" } }),
  createCase("host disk device", "sda", /Devices|PathOnHost|device/i, {
    Devices: [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda", CgroupPermissions: "rwm" }],
  }),
  createCase("device cgroup rules", "cgrule", /DeviceCgroupRules/, { DeviceCgroupRules: ["a *:* rwm"] }),
  createCase("port published on all interfaces", "allif", /HostIp|loopback/i, {
    PortBindings: { "80/tcp": [{ HostIp: "", HostPort: "80" }] },
  }),
  { name: "create without nc_app_ name", method: "POST", rule: /name/,
    path: () => `${v}/containers/create?name=evil`, headers: jsonHeaders,
    body: () => create("noname") },
  { name: "volume with device driver option", method: "POST", rule: /DriverOpts/,
    path: () => `${v}/volumes/create`, headers: jsonHeaders,
    body: () => '{"Name":"nc_app_refused_dev_data","DriverOpts":{"type":"none","o":"bind","\\u0064evice":"\\/"}}' },
  { name: "volume not named nc_app_*_data", method: "POST", rule: /Name|name/,
    path: () => `${v}/volumes/create`, headers: jsonHeaders,
    body: () => '{"name":"refused_plain"}' },
  { name: "image import from the body", method: "POST", rule: /fromSrc/,
    path: () => `${v}/images/create?fromSrc=-&repo=nc_app_refused_import` },
  { name: "privileged exec", method: "POST", rule: /Privileged/,
    path: () => `${v}/containers/${prefix}_live/exec`, headers: jsonHeaders,
    body: () => phpJson({ Cmd: ["id"], Privileged: true }) },
  { name: "gzip archive upload", method: "PUT", rule: /gzip/,
    path: () => `${v}/containers/${prefix}_live/archive?path=%2F`,
    headers: { "content-type": "application/x-tar" },
    body: () => Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]) },
  { name: "container list", method: "GET", rule: /not allowed/,
    path: () => `${v}/containers/json?all=1` },
  { name: "engine info", method: "GET", rule: /not allowed/, path: () => `${v}/info` },
  { name: "dot-segment escape to a foreign container", method: "DELETE", rule: /path/,
    path: () => `${v}/containers/${prefix}_live/..%2F..%2Fpostgres` },
  { name: "old API version start with HostConfig", method: "POST", rule: /version/,
    path: () => `/v1.23/containers/${prefix}_live/start`, headers: jsonHeaders,
    body: () => phpJson({ Privileged: true, Binds: ["/:/host"] }) },
  { name: "oversized JSON body", method: "POST", status: 413, rule: /larger/,
    path: () => `${v}/containers/create?name=${prefix}_big`, headers: jsonHeaders,
    body: () => `{"Image":"x","Env":["${"a".repeat(1_100_000)}"]}` },
];

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(prefix);
  image = engine.image;
  const version = JSON.parse((await engine.request("GET", "/version")).body);
  v = `/v${(version as { ApiVersion: string }).ApiVersion}`;
  proxy = await startProxy({ socketPath: engine.socketPath });
  // A live ExApp container for the exec and archive cases.
  const made = await engine.request("POST", `/containers/create?name=${prefix}_live`,
    { Image: image, Cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      HostConfig: { NetworkMode: "none" } });
  assert.equal(made.status, 201, made.body);
  await engine.request("POST", `/containers/${prefix}_live/start`);
});

after(async () => {
  await proxy?.stop();
  await engine?.removeAll(prefix);
  await engine?.removeAll("refused_");
  await engine?.stop();
});

describe("refused requests", () => {
  for (const item of cases) {
    it(`refuses ${item.name}`, async () => {
      const before = { containers: await engine.containerNames(), volumes: await engine.volumeNames() };
      const answer = await request(proxy, {
        method: item.method, path: item.path(),
        ...(item.headers === undefined ? {} : { headers: item.headers }),
        ...(item.body === undefined ? {} : { body: item.body() }),
      });
      assert.equal(answer.status, item.status ?? 403, answer.body);
      const message = (JSON.parse(answer.body) as { message: string }).message;
      assert.match(message, item.rule);
      assert.deepEqual(await engine.containerNames(), before.containers);
      assert.deepEqual(await engine.volumeNames(), before.volumes);
    });
  }

  it("leaves the live container unprivileged and its files unchanged", async () => {
    const inspected = JSON.parse((await engine.request("GET", `/containers/${prefix}_live/json`)).body);
    assert.equal(inspected.HostConfig.Privileged, false);
    assert.equal(inspected.State.Running, true);
    const archive = await engine.request("GET", `/containers/${prefix}_live/archive?path=%2Fhost`);
    assert.equal(archive.status, 404);
  });

  it("accepts a plain tar on the same route", async () => {
    const answer = await request(proxy, {
      method: "PUT", path: `${v}/containers/${prefix}_live/archive?path=%2Ftmp`,
      headers: { "content-type": "application/x-tar" },
      body: tarArchive({ "plain.txt": "plain" }),
    });
    assert.equal(answer.status, 200, answer.body);
  });
});
