// Attacks on the proxy, with one table per kind. The kinds are path and
// query differentials, JSON differentials against Go's decoder, HTTP
// framing, container and exec ownership, archive uploads, authentication
// and bans, resource limits, clients that vanish, leaks, and the docker
// CLI as an attacker's client. Each refused request is checked against the
// real engine afterwards: no container, volume, image or exec instance
// may appear, and no container may change. Rows that are allowed by
// design check the engine's response. A row that fails marks a hole.
import assert from "node:assert/strict";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { gzipSync } from "node:zlib";
import { createBody, phpJson, tarArchive } from "../support/appapi.ts";
import { engineState, startRecordingEngine } from "../support/attack-engine.ts";
import type { RecordingEngine } from "../support/attack-engine.ts";
import { chunked, exchangeRaw, rawHttp, trickle } from "../support/attack-http.ts";
import type { ExchangeOptions, RawExchange, RawRequestParts } from "../support/attack-http.ts";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

/** Everything this file creates starts with one of these two prefixes. */
const PREFIX = "nc_app_rt";
const LIVE = `${PREFIX}_live`;
/** A container that is not an ExApp: the proxy must never act on it. */
const VICTIM = "rt_victim";
/** A foreign container whose name looks like an ID prefix. */
const HEX_VICTIM = "badcafe0";
/** Short, so that the timeout rows run in seconds. */
const CLIENT_TIMEOUT_MS = 2_000;
/** Credentials with the right user and a wrong password. */
const WRONG = `Basic ${Buffer.from("app_api_haproxy_user:wrong").toString("base64")}`;

let engine: Engine;
let main: Proxy;
let api: string;
/** ALLOWED_BIND_SOURCES of the main proxy: a temporary stand-in for /srv/models. */
let models: string;
const ids = { live: "", victim: "", victimExec: "", liveExec: "" };
const proxies: Proxy[] = [];

/** One request header, name and value. */
type Header = readonly [string, string];

/** Expected status: one value, or any of a list. */
type Status = number | readonly number[];

function assertStatus(actual: number | undefined, expected: Status, context: string) {
  const allowed = typeof expected === "number" ? [expected] : expected;
  const expectedText = allowed.join(" or ");
  assert.ok(actual !== undefined,
    `expected status ${expectedText}, got no response: ${context}`);
  assert.ok(allowed.includes(actual),
    `expected status ${expectedText}, got ${actual}: ${context}`);
}

function describeExchange(result: RawExchange): string {
  return `${result.end} after ${result.elapsedMs} ms: ` +
    JSON.stringify(result.data.subarray(0, 300).toString("latin1"));
}

function send(proxy: Proxy, bytes: Buffer | undefined,
  options: Partial<ExchangeOptions> = {}): Promise<RawExchange> {
  return exchangeRaw(bytes, { port: proxy.port, ...options });
}

/** One request to the main proxy with its credentials and `Connection: close`. */
function authed(parts: Omit<RawRequestParts, "auth" | "close">): Buffer {
  return rawHttp({ ...parts, auth: main.authHeader, close: true });
}

/**
 * Sends an attack, checks the status and message of the first response,
 * and checks that the engine state is exactly what it was before.
 */
async function assertNoEffect(proxy: Proxy, bytes: Buffer, status: Status,
  message?: RegExp, options: Partial<ExchangeOptions> = {}) {
  const before = await engineState(engine);
  const result = await send(proxy, bytes, options);
  const answer = result.responses[0];
  assertStatus(answer?.status, status, describeExchange(result));
  if (message !== undefined) {
    assert.match(answer?.message ?? answer?.body.toString("latin1") ?? "", message);
  }
  assert.deepEqual(await engineState(engine), before);
  return result;
}

async function removeContainer(name: string) {
  await engine.request("DELETE", `/containers/${name}?force=1&v=1`);
}

async function inspect(name: string) {
  const answer = await engine.request("GET", `/containers/${name}/json`);
  assert.equal(answer.status, 200, answer.body);
  return JSON.parse(answer.body) as {
    Config: { Image: string; Volumes: unknown };
    HostConfig: Record<string, unknown>;
    Mounts: { Type: string; Source: string; Name?: string }[];
  };
}

async function startContainer(name: string) {
  const created = await engine.request("POST", `/containers/create?name=${name}`, {
    Image: engine.image,
    Cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
    HostConfig: { NetworkMode: "none" },
  });
  assert.equal(created.status, 201, created.body);
  const started = await engine.request("POST", `/containers/${name}/start`);
  assert.equal(started.status, 204, started.body);
  return (JSON.parse(created.body) as { Id: string }).Id;
}

async function createExec(container: string, body: unknown) {
  const created = await engine.request("POST", `/containers/${container}/exec`, body);
  assert.equal(created.status, 201, created.body);
  return (JSON.parse(created.body) as { Id: string }).Id;
}

before(async () => {
  engine = await connectEngine();
  await cleanEngine();
  const version = JSON.parse((await engine.request("GET", "/version")).body);
  api = `/v${(version as { ApiVersion: string }).ApiVersion}`;
  models = mkdtempSync(join(tmpdir(), "dsp-rt-models-"));
  mkdirSync(join(models, "sub"));
  main = await startProxy({
    socketPath: engine.socketPath,
    env: {
      TIMEOUT_CLIENT: `${CLIENT_TIMEOUT_MS}ms`,
      ALLOWED_BIND_SOURCES: models,
      LOG_FORMAT: "json",
    },
  });
  proxies.push(main);
  ids.live = await startContainer(LIVE);
  ids.victim = await startContainer(VICTIM);
  await startContainer(HEX_VICTIM);
  ids.victimExec = await createExec(VICTIM, { Cmd: ["id"], AttachStdout: true });
  ids.liveExec = await createExec(LIVE, { Cmd: ["true"], AttachStdout: true });
});

after(async () => {
  for (const proxy of proxies) await proxy.stop();
  await cleanEngine().catch(() => {});
  await engine?.stop();
  if (models !== undefined) rmSync(models, { recursive: true, force: true });
});

async function cleanEngine() {
  await engine.removeAll(PREFIX);
  await engine.removeAll("rt_");
  await removeContainer(HEX_VICTIM);
}

// --- Path and query differentials -------------------------------------

type PathRow = readonly [name: string, method: string, target: () => string,
  status: Status, message?: RegExp];

const LIVE_PATH = `/containers/${LIVE}`;
const pathRows: readonly PathRow[] = [
  ["percent-encoded letters are decoded", "GET", () => "/%5f%70in%67", 200],
  ["upper-case percent-encoding is decoded", "GET", () => "/%5F%70ing", 200],
  ["encoded slash",
    "DELETE", () => `${LIVE_PATH}%2F..%2F..%2Fcontainers%2F${VICTIM}`, 403, /encoded character/],
  ["encoded slash in lower case",
    "GET", () => `/containers/${VICTIM}%2fjson`, 403, /encoded character/],
  ["double-encoded slash",
    "GET", () => `${LIVE_PATH}%252F..%252F${VICTIM}/json`, 403, /encoded character/],
  ["encoded dot segment", "GET", () => `${api}/%2e%2e/info`, 403, /encoded character/],
  ["encoded dot in upper case", "GET", () => "/%2E/_ping", 403, /encoded character/],
  ["encoded percent", "GET", () => "/_ping%25", 403, /encoded character/],
  ["encoded NUL", "GET", () => `${LIVE_PATH}%00/json`, 403, /encoded character/],
  ["encoded backslash", "GET", () => `${LIVE_PATH}%5C..%5Cinfo`, 403, /encoded character/],
  ["encoded semicolon", "GET", () => `${LIVE_PATH}%3Bx/json`, 403, /encoded character/],
  ["encoded question mark", "GET", () => "/_ping%3Fx=1", 403, /not allowed/],
  ["broken percent-encoding", "GET", () => "/_ping%g0", 403, /percent-encoding/],
  ["raw backslash", "GET", () => `${LIVE_PATH}\\..\\..\\info`, [400, 403]],
  ["raw non-ASCII byte", "GET", () => "/_p\xefng", [400, 403]],
  ["raw fragment", "GET", () => "/_ping#x", 403, /forbidden character/],
  ["dot segment", "GET", () => `${LIVE_PATH}/../../info`, 403, /dot segment/],
  ["single-dot segment", "GET", () => "/./_ping", 403, /dot segment/],
  ["empty segment", "GET", () => "//_ping", 403, /empty/],
  ["empty segment after the version", "GET", () => `${api}//_ping`, 403, /empty/],
  ["trailing slash", "GET", () => `${LIVE_PATH}/json/`, 403, /empty/],
  ["semicolon parameter in a segment", "GET", () => `${LIVE_PATH};x=1/json`, 403, /not allowed/],
  ["semicolon parameter on the version", "GET", () => "/v1.41;x/_ping", 403],
  ["version prefix with upper-case V", "GET", () => "/V1.41/_ping", 403, /version prefix/],
  ["version without a minor number", "GET", () => "/v1/_ping", 403, /version prefix/],
  ["three-part version", "GET", () => "/v1.41.1/_ping", 403, /version prefix/],
  ["version below 1.24", "POST", () => `/v1.23${LIVE_PATH}/start`, 403, /1\.23/],
  ["version 1.24 is accepted", "GET", () => "/v1.24/_ping", 200],
  // AppAPI's prefix. An engine older than API 1.44 responds 400 itself.
  ["version 1.44 is forwarded", "GET", () => "/v1.44/_ping", [200, 400], /OK|too new/],
  ["version with leading zeros is canonicalised", "GET", () => "/v01.041/_ping", 200],
  ["absolute-form target", "GET", () => "http://127.0.0.1/info", 403, /origin-form/],
  ["absolute-form target to an allowed path", "GET", () => "http://dsp/_ping", 403, /origin-form/],
  ["asterisk-form target", "OPTIONS", () => "*", [400, 403]],
  ["method in lower case", "get", () => "/_ping", 400],
  ["HEAD on a GET-only route", "HEAD", () => `${LIVE_PATH}/json`, 403],
  ["container list", "GET", () => `${api}/containers/json?all=1`, 403, /not allowed/],
  ["engine info", "GET", () => `${api}/info`, 403, /not allowed/],
  ["remote build",
    "POST", () => `${api}/build?remote=http%3A%2F%2F127.0.0.1%3A1%2Fx`, 403, /not allowed/],
  ["image import",
    "POST", () => `${api}/images/create?fromSrc=-&repo=${PREFIX}_import`, 403, /fromSrc/],
  ["fromSrc after fromImage",
    "POST", () => `${api}/images/create?fromImage=${engine.image}&fromSrc=-`, 403, /fromSrc/],
  ["fromSrc in another case",
    "POST", () => `${api}/images/create?fromImage=x&FromSrc=-`, 403, /FromSrc/],
  ["percent-encoded fromSrc name",
    "POST", () => `${api}/images/create?fromImage=x&from%53rc=-`, 403, /fromSrc/],
  ["encoded ampersand inside fromImage",
    "POST", () => `${api}/images/create?fromImage=x%26fromSrc%3D-`, 403, /not accepted/],
  ["semicolon as query separator",
    "POST", () => `${api}/images/create?fromImage=x;fromSrc=-`, 403, /semicolon/],
  ["import parameters repo and changes",
    "POST", () => `${api}/images/create?fromImage=x&repo=y&changes=CMD`, 403, /not allowed/],
  ["repeated name on create",
    "POST", () => `${api}/containers/create?name=${PREFIX}_q1&name=rt_evil`, 403, /more than once/],
  ["Name in another case on create",
    "POST", () => `${api}/containers/create?Name=${PREFIX}_q2`, 403, /Name/],
  ["encoded ampersand inside name",
    "POST", () => `${api}/containers/create?name=${PREFIX}_q3%26name%3Drt_evil`, 403,
    /not accepted/],
  ["name that is only the prefix",
    "POST", () => `${api}/containers/create?name=nc_app_`, 403, /not accepted/],
  ["name with an encoded newline",
    "POST", () => `${api}/containers/create?name=${PREFIX}_q4%0A`, 403, /control character/],
  ["unknown query parameter on start",
    "POST", () => `${LIVE_PATH}/start?checkpoint=x`, 403, /checkpoint/],
  // Paths over 512 characters are legal: image references may be that long.
  ["long image reference reaches the engine",
    "GET", () => `/images/${"a/".repeat(250)}a/json`, [400, 404]],
];

describe("path and query differentials", () => {
  for (const [name, method, target, status, message] of pathRows) {
    it(`path: ${name}`, async () => {
      await assertNoEffect(main, authed({ method, target: target() }), status, message);
    });
  }
});

// --- JSON differentials against Go's decoder --------------------------

type Endpoint = "create" | "update" | "exec" | "volume";
type BodyRow = readonly [name: string, endpoint: Endpoint, body: string | Buffer,
  status: Status, message?: RegExp];

const CMD = '"Cmd":["true"]';
/** Builds a create body with extra HostConfig and top-level members. */
function createJson(hostConfig = "", top = "", networkMode = '"NetworkMode":"none"') {
  return `{"Image":"IMAGE",${CMD},"HostConfig":{${networkMode}${hostConfig}}${top}}`;
}

function mount(fields: string) {
  return createJson(`,"Mounts":[${fields}]`);
}

function device(path: string) {
  return createJson(`,"Devices":[{"PathOnHost":"${path}","PathInContainer":"/dev/x",` +
    '"CgroupPermissions":"rwm"}]');
}

/** A device mapping of the host's first disk. */
const SDA = '{"PathOnHost":"/dev/sda","PathInContainer":"/dev/sda","CgroupPermissions":"rwm"}';

function withBytes(prefix: string, bytes: readonly number[], suffix: string) {
  return Buffer.concat([Buffer.from(prefix), Buffer.from(bytes), Buffer.from(suffix)]);
}

const bodyRows: readonly BodyRow[] = [
  ["escaped key \\u0050rivileged",
    "create", createJson(',"\\u0050rivileged":true'), 403, /Privileged/],
  ["escaped HostConfig key",
    "create", `{"Image":"IMAGE",${CMD},"Host\\u0043onfig":{"Privileged":true}}`, 403, /Privileged/],
  ["lower-case key privileged", "create", createJson(',"privileged":true'), 403, /privileged/],
  ["upper-case key PRIVILEGED", "create", createJson(',"PRIVILEGED":true'), 403, /PRIVILEGED/],
  ["long-s key for SecurityOpt, escaped",
    "create", createJson(',"\\u017fecurityOpt":["apparmor=unconfined"]'), 403, /non-ASCII/],
  ["long-s key for SecurityOpt, raw UTF-8",
    "create", createJson(',"\u017fecurityOpt":["apparmor=unconfined"]'), 403, /non-ASCII/],
  ["Kelvin-sign key", "create", createJson(',"\\u212aernelMemory":1'), 403, /non-ASCII/],
  ["second HostConfig is privileged",
    "create", `{"Image":"IMAGE",${CMD},"HostConfig":{},"HostConfig":{"Privileged":true}}`, 403,
    /more than once/],
  ["second HostConfig in another case",
    "create", `{"Image":"IMAGE",${CMD},"HostConfig":{},"hostconfig":{"Binds":["/:/h"]}}`, 403,
    /more than once/],
  ["second Source in a mount",
    "create", mount('{"Type":"volume","Source":"NAME_data","Target":"/d","Source":"/"}'), 403,
    /more than once/],
  ["second Type in a mount",
    "create", mount('{"Type":"volume","Source":"NAME_data","Target":"/d","type":"bind"}'), 403,
    /more than once/],
  ["repeated key inside a dropped zero field",
    "create", createJson(',"LogConfig":{"Type":"","type":""}'), 403, /more than once/],
  ["repeated label",
    "create", `{"Image":"IMAGE",${CMD},"Labels":{"a":"1","a":"2"}}`, 403, /more than once/],
  ["object after the value",
    "create", `${createJson()}{"HostConfig":{"Privileged":true}}`, 400, /after the JSON value/],
  ["second value after whitespace",
    "create", `${createJson()} \n${createJson(',"Privileged":true')}`, 400, /after the JSON value/],
  ["garbage after the value", "create", `${createJson()}x`, 400, /after the JSON value/],
  ["deep nesting",
    "create", `{"Image":"IMAGE","Labels":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, 400,
    /deeper/],
  ["number too large for float64", "create", createJson(',"Memory":1e400'), 403, /integer/],
  ["integer above int64", "create", createJson(',"Memory":9223372036854775808'), 403, /integer/],
  ["fraction for an integer", "create", createJson(',"Memory":1.5'), 403, /integer/],
  ["byte order mark", "create", `\ufeff${createJson()}`, 400, /byte order mark/],
  ["invalid UTF-8 in a value",
    "create", withBytes('{"Image":"IMAGE","Labels":{"a":"', [0xff, 0xfe], '"}}'), 400, /UTF-8/],
  ["invalid UTF-8 in a key",
    "create", withBytes('{"Image":"IMAGE","', [0xc0, 0xd0], 'rivileged":true}'), 400, /UTF-8/],
  ["overlong UTF-8 quote",
    "create", withBytes('{"Image":"IMAGE","a', [0xc0, 0xa2], ':1}'), 400, /UTF-8/],
  ["lone surrogate escape", "create", `{"Image":"IMAGE\\ud800",${CMD}}`, 400, /surrogate/],
  ["NUL after a key", "create", createJson(',"Privileged\\u0000":true'), 403, /not allowed/],
  ["legacy top-level Privileged",
    "create", `{"Image":"IMAGE",${CMD},"Privileged":true}`, 403, /Privileged/],
  ["legacy top-level Binds",
    "create", `{"Image":"IMAGE",${CMD},"Binds":["/:/host"]}`, 403, /Binds/],
  ["legacy top-level CapAdd",
    "create", `{"Image":"IMAGE",${CMD},"CapAdd":["SYS_ADMIN"]}`, 403, /CapAdd/],
  ["legacy top-level fields beside a null HostConfig",
    "create", `{"Image":"IMAGE",${CMD},"HostConfig":null,"Privileged":true}`, 403, /Privileged/],
  ["legacy top-level container network",
    "create", `{"Image":"IMAGE",${CMD},"NetworkMode":"container:${VICTIM}"}`, 403, /NetworkMode/],
  ["volume driver options in a mount",
    "create", mount('{"Type":"volume","Source":"NAME_data","Target":"/d","VolumeOptions":' +
      '{"DriverConfig":{"Name":"local","Options":{"type":"none","o":"bind","device":"/"}}}}'),
    403, /VolumeOptions/],
  ["bind propagation option",
    "create", mount('{"Type":"bind","Source":"MODELS","Target":"/m",' +
      '"BindOptions":{"Propagation":"rshared"}}'), 403, /BindOptions/],
  ["tmpfs with exec", "create", createJson(',"Tmpfs":{"/run":"rw,exec"}'), 403, /Tmpfs/],
  ["tmpfs mount", "create", mount('{"Type":"tmpfs","Target":"/t"}'), 403],
  ["init binary", "create", createJson(',"Init":true'), 403, /Init/],
  ["runtime", "create", createJson(',"Runtime":"runc"'), 403, /Runtime/],
  ["sysctls", "create", createJson(',"Sysctls":{"kernel.core_pattern":"|/tmp/x"}'), 403, /Sysctls/],
  ["device cgroup rules",
    "create", createJson(',"DeviceCgroupRules":["b 8:* rwm"]'), 403, /DeviceCgroupRules/],
  ["device escaping /dev/dri with ..", "create", device("/dev/dri/../sda"), 403, /ALLOWED_DEVICES/],
  ["device with a trailing slash", "create", device("/dev/dri/"), 403, /ALLOWED_DEVICES/],
  ["disk device", "create", device("/dev/sda"), 403, /ALLOWED_DEVICES/],
  ["bind source escaping ALLOWED_BIND_SOURCES with ..",
    "create", mount('{"Type":"bind","Source":"MODELS/../../etc","Target":"/m"}'), 403,
    /ALLOWED_BIND_SOURCES/],
  ["bind source below ALLOWED_BIND_SOURCES",
    "create", mount('{"Type":"bind","Source":"MODELS/sub","Target":"/m"}'), 403,
    /ALLOWED_BIND_SOURCES/],
  ["bind source with a trailing slash",
    "create", mount('{"Type":"bind","Source":"MODELS/","Target":"/m"}'), 403,
    /ALLOWED_BIND_SOURCES/],
  ["bind of the host root",
    "create", mount('{"Type":"bind","Source":"/","Target":"/host"}'), 403, /ALLOWED_BIND_SOURCES/],
  ["escaped mount type value",
    "create", mount('{"Type":"\\u0062ind","Source":"\\/","Target":"\\/host"}'), 403,
    /ALLOWED_BIND_SOURCES/],
  ["escaped colon in a network mode",
    "create", createJson("", "", `"NetworkMode":"container\\u003a${VICTIM}"`), 403, /Network mode/],
  ["mount type in upper case",
    "create", mount('{"Type":"BIND","Source":"/","Target":"/host"}'), 403],
  ["another ExApp's volume",
    "create", mount('{"Type":"volume","Source":"nc_app_other_data","Target":"/d"}'), 403, /volume/],
  ["anonymous volume mount",
    "create", mount('{"Type":"volume","Source":"","Target":"/d"}'), 403, /volume/],
  ["container network mode",
    "create", createJson("", "", `"NetworkMode":"container:${VICTIM}"`), 403, /Network mode/],
  ["host PID namespace with a lower-case key",
    "create", createJson(',"pidmode":"host"'), 403, /pidmode/],
  ["host IPC namespace", "create", createJson(',"IpcMode":"host"'), 403, /IpcMode/],
  ["host UTS namespace", "create", createJson(',"UTSMode":"host"'), 403, /UTSMode/],
  ["host user namespace", "create", createJson(',"UsernsMode":"host"'), 403, /UsernsMode/],
  ["host cgroup namespace", "create", createJson(',"CgroupnsMode":"host"'), 403, /CgroupnsMode/],
  ["cgroup parent", "create", createJson(',"CgroupParent":"/"'), 403, /CgroupParent/],
  ["unconfined seccomp",
    "create", createJson(',"SecurityOpt":["seccomp=unconfined"]'), 403, /SecurityOpt/],
  ["added capability", "create", createJson(',"CapAdd":["SYS_ADMIN"]'), 403, /CapAdd/],
  ["non-empty MaskedPaths", "create", createJson(',"MaskedPaths":["/x"]'), 403, /MaskedPaths/],
  ["port published on all interfaces",
    "create", createJson(',"PortBindings":{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}'),
    403, /loopback/],
  ["port binding without HostIp",
    "create", createJson(',"PortBindings":{"80/tcp":[{"HostPort":"8080"}]}'), 403, /HostIp/],
  ["port binding on 127.0.0.01",
    "create", createJson(',"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.01","HostPort":"8080"}]}'),
    403, /loopback/],
  ["publish all ports", "create", createJson(',"PublishAllPorts":true'), 403, /PublishAllPorts/],
  ["log driver",
    "create", createJson(',"LogConfig":{"Type":"syslog","Config":{}}'), 403, /LogConfig/],
  ["endpoint links",
    "create",
    createJson("", `,"NetworkingConfig":{"EndpointsConfig":{"none":{"Links":["${VICTIM}:v"]}}}`),
    403, /Links/],
  ["GPU driver options",
    "create", createJson(',"DeviceRequests":[{"Driver":"nvidia","Count":-1,"Options":{"x":"y"}}]'),
    403, /Options/],
  ["multipart body",
    "create", `--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n${createJson()}\r\n--b--\r\n`,
    400],
  ["empty body", "create", "", 400],
  ["array body", "create", `[${createJson()}]`, 400, /not a JSON object/],
  ["update: privileged", "update", '{"Privileged":true}', 403, /Privileged/],
  ["update: devices", "update", `{"Devices":[${SDA}]}`, 403, /Devices/],
  ["update: escaped Devices key", "update", `{"\\u0044evices":[${SDA}]}`, 403, /Devices/],
  ["update: device cgroup rules",
    "update", '{"DeviceCgroupRules":["b 8:* rwm"]}', 403, /DeviceCgroupRules/],
  ["update: cgroup parent", "update", '{"CgroupParent":"/"}', 403, /CgroupParent/],
  ["update: Memory in two cases",
    "update", '{"Memory":67108864,"memory":1}', 403, /more than once/],
  ["update: second object",
    "update", '{"Memory":67108864}{"Memory":1}', 400, /after the JSON value/],
  ["exec: privileged", "exec", '{"Cmd":["id"],"Privileged":true}', 403, /Privileged/],
  ["exec: escaped privileged", "exec", '{"Cmd":["id"],"\\u0050rivileged":true}', 403, /Privileged/],
  ["exec: lower-case privileged", "exec", '{"Cmd":["id"],"privileged":true}', 403, /privileged/],
  ["exec: privileged false, then true",
    "exec", '{"Cmd":["id"],"Privileged":false,"privileged":true}', 403, /more than once/],
  ["exec: second object", "exec", '{"Cmd":["id"]}{"Privileged":true}', 400, /after the JSON value/],
  ["exec: string body", "exec", '"id"', 400, /not a JSON object/],
  ["volume: escaped device option",
    "volume",
    `{"Name":"${PREFIX}_v1_data","DriverOpts":{"type":"none","o":"bind","\\u0064evice":"/"}}`, 403,
    /DriverOpts/],
  ["volume: tmpfs options",
    "volume", `{"Name":"${PREFIX}_v2_data","DriverOpts":{"type":"tmpfs","o":"exec"}}`, 403,
    /DriverOpts/],
  ["volume: other driver",
    "volume", `{"Name":"${PREFIX}_v3_data","Driver":"vieux/sshfs"}`, 403, /driver/],
  ["volume: Name and name",
    "volume", `{"Name":"${PREFIX}_v4_data","name":"rt_other"}`, 403, /more than once/],
  ["volume: name not nc_app_*_data", "volume", '{"name":"rt_plain"}', 403, /nc_app_/],
  ["volume: name with a path", "volume", `{"Name":"${PREFIX}_x/../../etc_data"}`, 403, /nc_app_/],
  ["volume: second object",
    "volume", `{"Name":"${PREFIX}_v5_data"}{"DriverOpts":{"device":"/"}}`, 400,
    /after the JSON value/],
  ["volume: cluster volume spec",
    "volume", `{"Name":"${PREFIX}_v6_data","ClusterVolumeSpec":{"Group":"x"}}`, 403,
    /ClusterVolumeSpec/],
];

/** Target of a body endpoint; creates get a fresh container name. */
function bodyTarget(endpoint: Endpoint, name: string): string {
  switch (endpoint) {
    case "create": return `${api}/containers/create?name=${name}`;
    case "update": return `${api}${LIVE_PATH}/update`;
    case "exec": return `${api}${LIVE_PATH}/exec`;
    case "volume": return `${api}/volumes/create`;
  }
}

function fillBody(body: string | Buffer, name: string): string | Buffer {
  if (Buffer.isBuffer(body)) {
    return Buffer.from(body.toString("latin1").replace("IMAGE", engine.image), "latin1");
  }
  return body.replaceAll("IMAGE", engine.image).replaceAll("NAME", name)
    .replaceAll("MODELS", models);
}

function postBody(endpoint: Endpoint, name: string, body: string | Buffer,
  contentType: string | undefined = "application/json"): Buffer {
  return authed({
    method: "POST",
    target: bodyTarget(endpoint, name),
    headers: contentType === undefined ? [] : [["Content-Type", contentType]],
    body: fillBody(body, name),
  });
}

describe("JSON differentials", () => {
  bodyRows.forEach(([name, endpoint, body, status, message], index) => {
    it(`body: ${name}`, async () => {
      const contentType = name === "multipart body"
        ? "multipart/form-data; boundary=b" : "application/json";
      await assertNoEffect(main, postBody(endpoint, `${PREFIX}_j${index}`, body, contentType),
        status, message);
    });
  });
});

interface AllowedBody {
  readonly name: string;
  readonly endpoint: Endpoint;
  readonly body: (name: string) => string;
  readonly contentType?: string;
  readonly status: number;
  /** Checks what the engine made of the forwarded body. */
  readonly verify: (name: string, answer: string) => Promise<void>;
}

const allowedBodies: readonly AllowedBody[] = [
  { name: "AppAPI's wire form with \\/ and \\u escapes", endpoint: "create", status: 201,
    body: (name) => phpJson(createBody({ appId: name.slice("nc_app_".length), image: engine.image,
      port: 23000, net: "none" })),
    verify: async (name) => {
      const created = await inspect(name);
      assert.equal(created.HostConfig.Privileged, false);
      assert.deepEqual(created.Mounts.map((m) => m.Name), [`${name}_data`]);
    } },
  { name: "keys in any ASCII case", endpoint: "create", status: 201,
    body: () => `{"iMAGE":"${engine.image}","cmd":["true"],` +
      '"hostconfig":{"networkmode":"none","MEMORY":67108864}}',
    verify: async (name) => {
      const created = await inspect(name);
      assert.equal(created.HostConfig.NetworkMode, "none");
      assert.equal(created.HostConfig.Memory, 67108864);
    } },
  { name: "escaped key spelling", endpoint: "create", status: 201,
    body: () => `{"\\u0049mage":"${engine.image}","\\u0043md":["true"]}`,
    verify: async (name) => assert.equal((await inspect(name)).Config.Image, engine.image) },
  { name: "text/plain content type", endpoint: "create", status: 201, contentType: "text/plain",
    body: () => `{"Image":"${engine.image}",${CMD}}`,
    verify: async (name) => assert.equal((await inspect(name)).Config.Image, engine.image) },
  { name: "no content type", endpoint: "create", status: 201, contentType: "",
    body: () => `{"Image":"${engine.image}",${CMD}}`,
    verify: async (name) => assert.equal((await inspect(name)).Config.Image, engine.image) },
  // Forwarded as sent, `"MaskedPaths":[]` would unmask /proc/kcore and more.
  { name: "zero-valued fields are dropped, not forwarded", endpoint: "create", status: 201,
    body: () => createJson(',"MaskedPaths":[],"ReadonlyPaths":[],"Privileged":false,' +
      '"Binds":[],"CapAdd":null', ',"Volumes":{"/anon":{}}').replace("IMAGE", engine.image),
    verify: async (name) => {
      const created = await inspect(name);
      assert.ok((created.HostConfig.MaskedPaths as string[]).includes("/proc/kcore"));
      assert.equal(created.Config.Volumes, null);
      assert.deepEqual(created.Mounts, []);
    } },
  { name: "bind of exactly ALLOWED_BIND_SOURCES", endpoint: "create", status: 201,
    body: () => mount(`{"Type":"bind","Source":"${models}","Target":"/m","ReadOnly":true}`)
      .replace("IMAGE", engine.image),
    verify: async (name) => {
      const created = await inspect(name);
      assert.deepEqual(created.Mounts.map((m) => [m.Type, m.Source]), [["bind", models]]);
    } },
  { name: "restart policy update", endpoint: "update", status: 200,
    body: () => '{"restartpolicy":{"name":"on-failure","MaximumRetryCount":2}}',
    verify: async () => {
      const policy = (await inspect(LIVE)).HostConfig.RestartPolicy;
      assert.deepEqual(policy, { Name: "on-failure", MaximumRetryCount: 2 });
    } },
  { name: "exec with privileged false", endpoint: "exec", status: 201,
    body: () => '{"cmd":["true"],"privileged":false,"attachstdout":true}',
    verify: async (_, answer) => {
      const { Id } = JSON.parse(answer) as { Id: string };
      const exec = JSON.parse((await engine.request("GET", `/exec/${Id}/json`)).body) as
        { ProcessConfig: { privileged: boolean } };
      assert.equal(exec.ProcessConfig.privileged, false);
    } },
  { name: "volume with a lower-case name key", endpoint: "volume", status: 201,
    body: () => `{"name":"${PREFIX}_va_data","Driver":"local","DriverOpts":{}}`,
    verify: async () => {
      const volume = JSON.parse((await engine.request("GET", `/volumes/${PREFIX}_va_data`)).body);
      assert.deepEqual((volume as { Options: unknown }).Options ?? {}, {});
    } },
];

describe("JSON bodies allowed by design", () => {
  allowedBodies.forEach((row, index) => {
    it(`body allowed: ${row.name}`, async () => {
      const name = `${PREFIX}_ok${index}`;
      const contentType = row.contentType === ""
        ? undefined
        : row.contentType ?? "application/json";
      const result = await send(main, postBody(row.endpoint, name, row.body(name), contentType));
      const answer = result.responses[0];
      assertStatus(answer?.status, row.status, describeExchange(result));
      await row.verify(name, answer?.body.toString("utf8") ?? "");
      if (row.endpoint === "create") await removeContainer(name);
    });
  });
});

// --- HTTP framing -----------------------------------------------------

interface FramingRow {
  readonly name: string;
  /** Sends the attack to the main proxy. */
  readonly run: () => Promise<RawExchange>;
  /** Statuses of the responses, in order. */
  readonly statuses: readonly Status[];
  /** True when the row cleans up after an allowed change itself. */
  readonly changes?: true;
  readonly check?: (result: RawExchange) => Promise<void> | void;
}

const volumeBody = (name: string) => `{"Name":"${PREFIX}_${name}_data"}`;
const privilegedBody = () => createJson(',"Privileged":true').replace("IMAGE", engine.image);
const upgradeHeaders: readonly Header[] = [["Connection", "Upgrade"], ["Upgrade", "tcp"]];

/** Sends `head` and `body` as given, once the proxy and engine are known. */
function framed(
  head: () => string,
  body: () => string | Buffer = () => "",
): () => Promise<RawExchange> {
  return () => send(main, Buffer.concat([
    Buffer.from(head().replaceAll("AUTH", main.authHeader), "latin1"), Buffer.from(body())]));
}

/** Builds a volume create with `extra` header lines; LENGTH is the body length. */
function volumeRequest(extra: string, body: string): () => Promise<RawExchange> {
  const head = () => createVolumeHead(extra.replaceAll("LENGTH", String(body.length)));
  return framed(head, () => body);
}

function createVolumeHead(extra: string) {
  return `POST ${api}/volumes/create HTTP/1.1\r\nHost: dsp\r\nAuthorization: AUTH\r\n` +
    `Content-Type: application/json\r\n${extra}Connection: close\r\n\r\n`;
}

let smuggleExec = "";

/** Waits until `cat` has seen its stdin close, so later snapshots agree. */
async function waitForExecEnd(exec: string) {
  for (let i = 0; i < 50; i++) {
    const answer = await engine.request("GET", `/exec/${exec}/json`);
    if (!(JSON.parse(answer.body) as { Running: boolean }).Running) return;
    await sleep(100);
  }
  assert.fail(`exec ${exec} still runs`);
}

const JSON_TYPE: Header = ["Content-Type", "application/json"];
const TAR_TYPE: Header = ["Content-Type", "application/x-tar"];
const CHUNKED: Header = ["Transfer-Encoding", "chunked"];
const createTarget = (id: string) => `${api}/containers/create?name=${PREFIX}_${id}`;
const keepAlivePing = () => rawHttp({ method: "GET", target: "/_ping", auth: main.authHeader });
const execStart = () => `/exec/${ids.liveExec}/start`;
const bigEnv = () => `{"Image":"x","Env":["${"a".repeat(1_100_000)}"]}`;

/** Sends a volume create head, waits for `100 Continue`, then sends `body`. */
function expectContinue(body: string): () => Promise<RawExchange> {
  return () => send(main, undefined, { write: (socket) => {
    const head = createVolumeHead(`Expect: 100-continue\r\nContent-Length: ${body.length}\r\n`);
    socket.write(head.replace("AUTH", main.authHeader));
    socket.once("data", () => socket.write(body));
  } });
}

const framingRows: readonly FramingRow[] = [
  { name: "chunked body is checked like a framed one", statuses: [403],
    run: framed(() => createVolumeHead("Transfer-Encoding: chunked\r\n"), () => chunked(
      `{"Name":"${PREFIX}_f1_data","DriverOpts":{"device":"/","o":"bind","type":"none"}}`, [5])) },
  { name: "chunked body split inside a key", statuses: [403],
    run: () => send(main, authed({ method: "POST", target: createTarget("f2"),
      headers: [JSON_TYPE, CHUNKED], body: chunked(privilegedBody(), [61, 3, 1]) })) },
  { name: "chunk extensions and a trailer", statuses: [403],
    run: () => send(main, authed({ method: "POST", target: createTarget("f3"),
      headers: [JSON_TYPE, CHUNKED],
      body: `${Buffer.byteLength(privilegedBody()).toString(16)};x=1\r\n${privilegedBody()}\r\n` +
        "0\r\nX-Trailer: 1\r\n\r\n" })) },
  { name: "Content-Length 0 followed by a body", statuses: [400],
    run: volumeRequest("Content-Length: 0\r\n", volumeBody("f4")),
    check: (result) => assert.ok(result.responses.every((r) => r.status >= 400)) },
  { name: "Content-Length with Transfer-Encoding", statuses: [400],
    run: framed(() => createVolumeHead("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n"),
      () => chunked(volumeBody("f5"), [100])) },
  { name: "two equal Content-Length headers", statuses: [400],
    run: volumeRequest("Content-Length: LENGTH\r\nContent-Length: LENGTH\r\n", volumeBody("f6")) },
  { name: "two different Content-Length headers", statuses: [400],
    run: volumeRequest("Content-Length: 2\r\nContent-Length: LENGTH\r\n", volumeBody("f7")) },
  { name: "Content-Length with a plus sign", statuses: [400],
    run: volumeRequest("Content-Length: +LENGTH\r\n", volumeBody("f8")) },
  { name: "Transfer-Encoding chunked then gzip", statuses: [400],
    run: framed(() => createVolumeHead("Transfer-Encoding: chunked, gzip\r\n"),
      () => chunked(volumeBody("f9"), [100])) },
  { name: "Transfer-Encoding identity", statuses: [400],
    run: volumeRequest("Transfer-Encoding: identity\r\nContent-Length: LENGTH\r\n",
      volumeBody("fa")) },
  { name: "obsolete line folding", statuses: [400],
    run: volumeRequest("X-Fold: a\r\n Transfer-Encoding: chunked\r\nContent-Length: LENGTH\r\n",
      volumeBody("fb")) },
  { name: "bare LF line ends", statuses: [400],
    run: framed(() => "GET /_ping HTTP/1.1\nHost: dsp\nAuthorization: AUTH\n\n") },
  { name: "space before a header colon", statuses: [400],
    run: volumeRequest("Content-Length : LENGTH\r\n", volumeBody("fc")) },
  { name: "HTTP/1.0 request", statuses: [200],
    run: () => send(main, rawHttp({ method: "GET", target: "/_ping", version: "HTTP/1.0",
      auth: main.authHeader })) },
  { name: "HTTP/1.0 request without Host", statuses: [200],
    run: framed(() => "GET /_ping HTTP/1.0\r\nAuthorization: AUTH\r\n\r\n") },
  { name: "HTTP/0.9 request line", statuses: [400], run: framed(() => "GET /_ping\r\n\r\n") },
  { name: "pipelined refused, then allowed", statuses: [403, 200],
    run: () => send(main, Buffer.concat([
      rawHttp({ method: "GET", target: `${api}/info`, auth: main.authHeader }),
      authed({ method: "GET", target: "/_ping" })])) },
  { name: "pipelined allowed, then privileged create", statuses: [200, 403],
    run: () => send(main, Buffer.concat([keepAlivePing(), authed({ method: "POST",
      target: createTarget("fd"), headers: [JSON_TYPE], body: privilegedBody() })])) },
  { name: "keep-alive request without credentials", statuses: [200, 401],
    run: () => send(main, Buffer.concat([keepAlivePing(),
      rawHttp({ method: "POST", target: `${api}/volumes/create`, close: true,
        headers: [JSON_TYPE], body: volumeBody("fe") })]), { localAddress: "127.0.0.40" }) },
  { name: "Expect: 100-continue with a refused body", statuses: [100, 403],
    run: expectContinue(`{"Name":"${PREFIX}_ff_data","DriverOpts":{"device":"/"}}`) },
  { name: "Expect: 100-continue with an allowed body", statuses: [100, 201], changes: true,
    run: expectContinue(volumeBody("fg")),
    check: async () => {
      assert.ok((await engine.volumeNames()).includes(`${PREFIX}_fg_data`));
      await engine.request("DELETE", `/volumes/${PREFIX}_fg_data`);
    } },
  { name: "body over 1 MiB with Content-Length", statuses: [413],
    run: () => send(main, authed({ method: "POST", target: createTarget("fh"),
      headers: [JSON_TYPE], body: bigEnv() })) },
  { name: "body over 1 MiB in chunks", statuses: [413],
    run: () => send(main, authed({ method: "POST", target: createTarget("fi"),
      headers: [JSON_TYPE, CHUNKED], body: chunked(bigEnv(), [65_536]) })) },
  { name: "body over 1 MiB on a route without a body", statuses: [413],
    run: () => send(main, authed({ method: "POST", target: `${LIVE_PATH}/stop`,
      body: Buffer.alloc(1_100_000, 0x20) })) },
  { name: "Upgrade on container create is not forwarded", statuses: [403],
    run: () => send(main, authed({ method: "POST", target: createTarget("fj"),
      headers: [...upgradeHeaders, JSON_TYPE], body: privilegedBody() })) },
  { name: "Upgrade on _ping does not become a tunnel", statuses: [403],
    run: () => send(main, Buffer.concat([
      rawHttp({ method: "GET", target: "/_ping", auth: main.authHeader, headers: upgradeHeaders }),
      Buffer.from(`DELETE /containers/${LIVE}?force=1 HTTP/1.1\r\nHost: docker\r\n\r\n`)])) },
  { name: "Upgrade: websocket on exec start", statuses: [400],
    run: () => send(main, authed({ method: "POST", target: execStart(),
      headers: [["Connection", "Upgrade"], ["Upgrade", "websocket"]], body: "{}" })) },
  { name: "Upgrade with a chunked body on exec start", statuses: [400],
    run: () => send(main, authed({ method: "POST", target: execStart(),
      headers: [...upgradeHeaders, CHUNKED], body: chunked("{}", [2]) })) },
  { name: "Upgrade with a body over 64 KiB on exec start", statuses: [400],
    run: () => send(main, authed({ method: "POST", target: execStart(),
      headers: upgradeHeaders, body: " ".repeat(70_000) })) },
  { name: "request pipelined before the 101", statuses: [101], changes: true,
    run: async () => {
      smuggleExec = await createExec(LIVE, { Cmd: ["cat"], AttachStdin: true, AttachStdout: true });
      const smuggled = `POST /containers/create?name=${PREFIX}_smuggled HTTP/1.1\r\n` +
        "Host: docker\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n" +
        `{"Image":"${engine.image}"}`;
      const start = rawHttp({ method: "POST", target: `/exec/${smuggleExec}/start`,
        auth: main.authHeader, headers: [...upgradeHeaders, JSON_TYPE],
        body: '{"Detach":false,"Tty":false}' });
      return send(main, Buffer.concat([start, Buffer.from(smuggled)]), { timeoutMs: 1_500 });
    },
    check: async (result) => {
      const stream = result.responses[0]?.body.toString("latin1") ?? "";
      assert.match(stream, /POST \/containers\/create/);
      assert.ok(!(await engine.containerNames()).includes(`${PREFIX}_smuggled`));
      await waitForExecEnd(smuggleExec);
    } },
];

describe("HTTP framing", () => {
  for (const row of framingRows) {
    it(`framing: ${row.name}`, async () => {
      const before = await engineState(engine);
      const result = await row.run();
      const statuses = result.responses.map((response) => response.status);
      row.statuses.forEach((status, index) =>
        assertStatus(statuses[index], status, describeExchange(result)));
      await row.check?.(result);
      if (row.changes !== true) assert.deepEqual(await engineState(engine), before);
    });
  }
});

// --- Containers and exec instances that are not ExApps -----------------

type OwnerRow = readonly [name: string, request: () => Buffer, status: Status, message?: RegExp];

const prefixOf = (id: string) => id.slice(0, 6);
const foreign = (suffix: string) => `/containers/${ids.victim}${suffix}`;
const foreignExec = (suffix: string) => `/exec/${ids.victimExec}${suffix}`;
const execBody = '{"Detach":false,"Tty":false}';
const NOT_EXAPP = /not an ExApp/;
const ownerRows: readonly OwnerRow[] = [
  ["inspect a foreign container by full ID",
    () => authed({ method: "GET", target: foreign("/json") }), 403, NOT_EXAPP],
  ["inspect a foreign container by ID prefix",
    () => authed({ method: "GET", target: `/containers/${prefixOf(ids.victim)}/json` }),
    403, NOT_EXAPP],
  ["inspect a foreign container by name",
    () => authed({ method: "GET", target: `/containers/${VICTIM}/json` }), 403, NOT_EXAPP],
  ["inspect a foreign container named like an ID",
    () => authed({ method: "GET", target: `/containers/${HEX_VICTIM}/json` }), 403, NOT_EXAPP],
  ["exec create in a foreign container by ID prefix",
    () => authed({ method: "POST", target: `/containers/${prefixOf(ids.victim)}/exec`,
      headers: [JSON_TYPE], body: '{"Cmd":["id"]}' }), 403, NOT_EXAPP],
  ["stop a foreign container by ID",
    () => authed({ method: "POST", target: foreign("/stop?t=0") }), 403, NOT_EXAPP],
  ["remove a foreign container by ID prefix",
    () => authed({ method: "DELETE", target: `/containers/${prefixOf(ids.victim)}?force=1` }),
    403, NOT_EXAPP],
  ["archive into a foreign container",
    () => authed({ method: "PUT", target: foreign("/archive?path=%2Ftmp"),
      headers: [TAR_TYPE], body: tarArchive({ "rt-owner.txt": "x" }) }), 403, NOT_EXAPP],
  ["logs of a foreign container",
    () => authed({ method: "GET", target: foreign("/logs?stdout=1") }), 403, NOT_EXAPP],
  ["attach to a foreign container with Upgrade",
    () => authed({ method: "POST", target: foreign("/attach?stream=1&stdin=1"),
      headers: upgradeHeaders }), 403, NOT_EXAPP],
  ["start a foreign exec",
    () => authed({ method: "POST", target: foreignExec("/start"), headers: [JSON_TYPE],
      body: execBody }), 403, NOT_EXAPP],
  ["start a foreign exec with Upgrade",
    () => authed({ method: "POST", target: foreignExec("/start"),
      headers: [...upgradeHeaders, JSON_TYPE], body: execBody }), 403, NOT_EXAPP],
  ["inspect a foreign exec",
    () => authed({ method: "GET", target: foreignExec("/json") }), 403, NOT_EXAPP],
  ["resize a foreign exec",
    () => authed({ method: "POST", target: foreignExec("/resize?h=1&w=1") }), 403, NOT_EXAPP],
  ["exec ID prefix",
    () => authed({ method: "POST", target: `/exec/${prefixOf(ids.victimExec)}/start`, body: "{}" }),
    403, /exec/],
  ["container ID longer than 64 digits",
    () => authed({ method: "GET", target: foreign("0/json") }), 403, /not an ExApp container/],
  ["ExApp container by ID prefix is allowed",
    () => authed({ method: "GET", target: `/containers/${prefixOf(ids.live)}/json` }), 200],
];

describe("containers and exec instances that are not ExApps", () => {
  for (const [name, request, status, message] of ownerRows) {
    it(`owner: ${name}`, async () => {
      await assertNoEffect(main, request(), status, message);
    });
  }
});

// --- Archive uploads ----------------------------------------------------

/** Name, body built from the file name it would unpack, chunk size. */
type ArchiveRow = readonly [name: string, body: (file: string) => Buffer, chunks?: number];

/** Magic bytes followed by zeros. */
const magic = (bytes: readonly number[] | string) => Buffer.concat([
  typeof bytes === "string" ? Buffer.from(bytes) : Buffer.from(bytes), Buffer.alloc(64)]);
/**
 * A zstd skippable frame (magic 0x184D2A50 to 0x184D2A5F, here 0x5F),
 * then a zstd frame. Since Docker 23 the engine's DetectCompression
 * (moby pkg/archive) takes a skippable frame as zstd too.
 */
const zstdSkippable = () => Buffer.concat([
  Buffer.from([0x5f, 0x2a, 0x4d, 0x18, 4, 0, 0, 0, 0, 0, 0, 0]), magic([0x28, 0xb5, 0x2f, 0xfd])]);
const archiveRows: readonly ArchiveRow[] = [
  ["gzip tar", (file) => gzipSync(tarArchive({ [file]: "gzip" }))],
  ["gzip tar sent one byte per chunk", (file) => gzipSync(tarArchive({ [file]: "gzip" })), 1],
  ["bzip2 magic", () => magic("BZh91AY&SY")],
  ["xz magic", () => magic([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])],
  ["zstd frame magic", () => magic([0x28, 0xb5, 0x2f, 0xfd])],
  ["zstd skippable frame first", zstdSkippable],
];

function putArchive(body: Buffer, framing: readonly Header[] = []): Buffer {
  return authed({ method: "PUT", target: `${api}${LIVE_PATH}/archive?path=%2F`,
    headers: [TAR_TYPE, ...framing], body });
}

async function archivedFileStatus(file: string): Promise<number> {
  const path = encodeURIComponent(`/${file}`);
  return (await engine.request("GET", `/containers/${LIVE}/archive?path=${path}`)).status;
}

describe("archive uploads", () => {
  archiveRows.forEach(([name, body, chunkSize], index) => {
    it(`archive: ${name} is refused`, async () => {
      const file = `tmp/rt-archive-${index}.txt`;
      const request = chunkSize === undefined
        ? putArchive(body(file))
        : putArchive(chunked(body(file), [chunkSize]), [CHUNKED]);
      await assertNoEffect(main, request, 403, /compressed/);
      assert.equal(await archivedFileStatus(file), 404);
    });
  });

  it("archive: plain tar is extracted", async () => {
    const file = "tmp/rt-plain.txt";
    const result = await send(main, putArchive(tarArchive({ [file]: "plain" })));
    assertStatus(result.responses[0]?.status, 200, describeExchange(result));
    assert.equal(await archivedFileStatus(file), 200);
  });
});

// --- Authentication and bans -------------------------------------------

describe("authentication and bans", () => {
  let bans: Proxy;
  let mapped: Proxy;
  let token: string;

  before(async () => {
    bans = await startProxy({ socketPath: engine.socketPath, env: {
      TIMEOUT_CLIENT: `${CLIENT_TIMEOUT_MS}ms`, BAN_MAX_HELD: "3", LOG_FORMAT: "json" } });
    mapped = await startProxy({ socketPath: engine.socketPath, env: {
      BIND_ADDRESS: "::ffff:127.0.0.1", BAN_EXEMPT: "127.0.3.2",
      TIMEOUT_CLIENT: `${CLIENT_TIMEOUT_MS}ms`, LOG_FORMAT: "json" } });
    proxies.push(bans, mapped);
    token = bans.authHeader.slice("Basic ".length);
  });

  const ping = (authorizations: readonly string[], extra: readonly Header[] = []) =>
    rawHttp({ method: "GET", target: "/_ping", close: true,
      headers: [...authorizations.map((value): Header => ["Authorization", value]), ...extra] });
  const upperCaseUser = () => {
    const password = Buffer.from(token, "base64").toString().split(":")[1];
    return `Basic ${Buffer.from(`APP_API_HAPROXY_USER:${password}`).toString("base64")}`;
  };

  type AuthRow = readonly [name: string, request: () => Buffer, status: number];
  const authRows: readonly AuthRow[] = [
    ["lower-case scheme", () => ping([`basic ${token}`]), 200],
    ["upper-case scheme", () => ping([`BASIC ${token}`]), 200],
    ["spaces around the token", () => ping([`Basic   ${token}  `]), 200],
    ["tab after the scheme", () => ping([`Basic\t${token}`]), 401],
    ["right and wrong Authorization headers", () => ping([bans.authHeader, WRONG]), 401],
    ["wrong and right Authorization headers", () => ping([WRONG, bans.authHeader]), 401],
    ["Proxy-Authorization only", () => ping([], [["Proxy-Authorization", bans.authHeader]]), 401],
    ["user name in upper case", () => ping([upperCaseUser()]), 401],
    ["Bearer scheme with the token", () => ping([`Bearer ${token}`]), 401],
    ["token with a trailing comma", () => ping([`Basic ${token},`]), 401],
    ["two Authorization headers on an exec-start upgrade", () => rawHttp({
      method: "POST", target: `/exec/${"0".repeat(64)}/start`, close: true, body: "{}",
      headers: [["Authorization", bans.authHeader], ["Authorization", WRONG], ...upgradeHeaders] }),
    401],
  ];

  authRows.forEach(([name, request, status], index) => {
    it(`auth: ${name}`, async () => {
      const result = await send(bans, request(), { localAddress: `127.0.1.${index + 1}` });
      assertStatus(result.responses[0]?.status, status, describeExchange(result));
      if (status === 401) {
        assert.equal(result.responses[0]?.headers["www-authenticate"], 'Basic realm="AppAPI"');
      }
    });
  });

  const BANNED = "127.0.2.1";
  const silent = (result: RawExchange) => {
    assert.equal(result.end, "timeout", describeExchange(result));
    assert.equal(result.data.length, 0);
  };
  async function failFiveTimes(proxy: Proxy, source: string, extra: readonly Header[] = []) {
    for (let i = 0; i < 5; i++) {
      const result = await send(proxy, ping([WRONG], extra), { localAddress: source });
      assertStatus(result.responses[0]?.status, 401, describeExchange(result));
    }
  }

  it("ban: sixth failure gets no response", async () => {
    await failFiveTimes(bans, BANNED);
    silent(await send(bans, ping([WRONG]), { localAddress: BANNED, timeoutMs: 700 }));
  });

  it("ban: right password gets no response", async () => {
    silent(await send(bans, ping([bans.authHeader]), { localAddress: BANNED, timeoutMs: 700 }));
  });

  it("ban: held connection closes silently, not reset", async () => {
    const result = await send(bans, ping([bans.authHeader]),
      { localAddress: BANNED, timeoutMs: 6_000 });
    assert.equal(result.end, "closed", describeExchange(result));
    assert.equal(result.data.length, 0);
    assert.ok(result.elapsedMs >= CLIENT_TIMEOUT_MS - 500, `closed after ${result.elapsedMs} ms`);
  });

  it("ban: X-Forwarded-For does not lift a ban", async () => {
    const forwarded: Header[] = [["X-Forwarded-For", "127.0.0.1"], ["X-Real-IP", "127.0.0.1"]];
    silent(await send(bans, ping([bans.authHeader], forwarded),
      { localAddress: BANNED, timeoutMs: 700 }));
  });

  it("ban: failures count against the peer", async () => {
    await failFiveTimes(bans, "127.0.2.3", [["X-Forwarded-For", "127.0.2.4"]]);
    silent(await send(bans, ping([WRONG]), { localAddress: "127.0.2.3", timeoutMs: 700 }));
    const other = await send(bans, ping([bans.authHeader]), { localAddress: "127.0.2.4" });
    assertStatus(other.responses[0]?.status, 200, describeExchange(other));
  });

  /**
   * Opens a keep-alive connection, gets a source banned over other
   * connections, then sends `request` on the old one: nothing may come back.
   */
  async function assertSilentAfterBan(source: string, request: Buffer) {
    const socket = connect({ port: bans.port, host: "127.0.0.1", localAddress: source });
    const received: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    await once(socket, "connect");
    socket.write(rawHttp({ method: "GET", target: "/_ping", auth: bans.authHeader }));
    await once(socket, "data");
    await failFiveTimes(bans, source);
    silent(await send(bans, ping([WRONG]), { localAddress: source, timeoutMs: 300 }));
    const answered = Buffer.concat(received).length;
    socket.write(request);
    await sleep(700);
    const later = Buffer.concat(received);
    socket.destroy();
    const extra = later.subarray(answered).toString("latin1");
    assert.equal(later.length, answered, JSON.stringify(extra));
  }

  it("ban: old keep-alive connection is held", async () => {
    await assertSilentAfterBan("127.0.2.5",
      rawHttp({ method: "GET", target: "/_ping", auth: bans.authHeader }));
  });

  it("ban: invalid Host on an old connection", async () => {
    await assertSilentAfterBan("127.0.2.7", rawHttp({ method: "GET", target: "/_ping",
      auth: bans.authHeader, headers: [["Host", "a b"]] }));
  });

  it("ban: malformed request on an old connection", async () => {
    await assertSilentAfterBan("127.0.2.8",
      Buffer.from("GET /_ping HTTP/1.1\r\nBad Header\r\n\r\n"));
  });

  it("ban: sixth failure on an upgrade", async () => {
    const source = "127.0.2.6";
    const upgrade = (authorization: string) => rawHttp({ method: "POST", target: execStart(),
      auth: authorization, headers: upgradeHeaders, body: "{}" });
    for (let i = 0; i < 5; i++) {
      const result = await send(bans, upgrade(WRONG), { localAddress: source });
      assertStatus(result.responses[0]?.status, 401, describeExchange(result));
    }
    silent(await send(bans, upgrade(WRONG), { localAddress: source, timeoutMs: 700 }));
    silent(await send(bans, upgrade(bans.authHeader), { localAddress: source, timeoutMs: 700 }));
  });

  it("ban: BAN_MAX_HELD caps the held connections", async () => {
    const attempts = await Promise.all([1, 2, 3, 4, 5].map(() =>
      send(bans, ping([bans.authHeader]), { localAddress: BANNED, timeoutMs: 1_200 })));
    assert.equal(attempts.filter((result) => result.end === "timeout").length, 3);
    assert.equal(attempts.filter((result) => result.end !== "timeout").length, 2);
    assert.ok(attempts.every((result) => result.data.length === 0));
  });

  it("ban: each ban is logged once", () => {
    const starts = logLines(bans).filter((line) => line.event === "ban started");
    assert.equal(starts.filter((line) => line.source === BANNED).length, 1);
  });

  it("ban: IPv4-mapped source keyed as IPv4", async () => {
    const source = "127.0.3.1";
    await failFiveTimes(mapped, source);
    silent(await send(mapped, ping([WRONG]), { localAddress: source, timeoutMs: 700 }));
    silent(await send(mapped, ping([mapped.authHeader]), { localAddress: source, timeoutMs: 700 }));
    const starts = logLines(mapped).filter((line) => line.event === "ban started");
    assert.deepEqual(starts.map((line) => line.source), [source]);
  });

  it("ban: IPv4 exemption covers mapped source", async () => {
    for (let i = 0; i < 8; i++) {
      const result = await send(mapped, ping([WRONG]), { localAddress: "127.0.3.2" });
      assertStatus(result.responses[0]?.status, 401, describeExchange(result));
    }
  });
});

function logLines(proxy: Proxy): Record<string, unknown>[] {
  return proxy.readLog().split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// --- Resource limits ----------------------------------------------------

describe("resource limits", { concurrency: true }, () => {
  let limited: Proxy;
  const SLOW_LIMIT = 30;

  before(async () => {
    limited = await startProxy({ socketPath: engine.socketPath, env: {
      MAX_CONNECTIONS: String(SLOW_LIMIT), TIMEOUT_CLIENT: `${CLIENT_TIMEOUT_MS}ms` } });
    proxies.push(limited);
  });

  const slowHead = () => rawHttp({ method: "GET", target: "/_ping",
    headers: [["X-Pad", "p".repeat(400)]] });

  it("limits: slow headers are cut at TIMEOUT_CLIENT", async () => {
    const result = await send(main, undefined, { localAddress: "127.0.4.1", timeoutMs: 6_000,
      write: (socket) => trickle(socket, slowHead(), CLIENT_TIMEOUT_MS / 4) });
    assert.notEqual(result.end, "timeout", describeExchange(result));
    assert.ok(result.elapsedMs <= 2 * CLIENT_TIMEOUT_MS + 500, `cut after ${result.elapsedMs} ms`);
  });

  it("limits: slow headers cannot fill MAX_CONNECTIONS", async () => {
    const slow = Array.from({ length: SLOW_LIMIT }, () => send(limited, undefined, {
      localAddress: "127.0.4.2", timeoutMs: 8_000,
      write: (socket) => trickle(socket, slowHead(), CLIENT_TIMEOUT_MS / 4) }));
    await sleep(2 * CLIENT_TIMEOUT_MS + 500);
    const result = await send(limited, rawHttp({ method: "GET", target: "/_ping",
      auth: limited.authHeader, close: true }), { localAddress: "127.0.4.3" });
    assertStatus(result.responses[0]?.status, 200, describeExchange(result));
    await Promise.all(slow);
  });

  // A checked body is held in memory, up to 1 MiB per connection, so its
  // read needs a deadline and not only an inactivity timer.
  it("limits: trickled JSON body is cut", async () => {
    const body = Buffer.from(`${volumeBody("slow")}${" ".repeat(40)}`);
    const head = authed({ method: "POST", target: `${api}/volumes/create`,
      headers: [["Content-Type", "application/json"], ["Content-Length", String(body.length)]] });
    const result = await send(main, undefined, { localAddress: "127.0.4.4", timeoutMs: 6_000,
      write: (socket) => {
        socket.write(head);
        trickle(socket, body, CLIENT_TIMEOUT_MS / 4);
      } });
    assert.notEqual(result.end, "timeout", describeExchange(result));
    assert.ok(result.elapsedMs <= 2 * CLIENT_TIMEOUT_MS + 500, `cut after ${result.elapsedMs} ms`);
    assert.ok(!(await engine.volumeNames()).includes(`${PREFIX}_slow_data`));
  });

  it("limits: stalled body is cut", async () => {
    const head = authed({ method: "POST", target: `${api}/volumes/create`,
      headers: [JSON_TYPE, ["Content-Length", "100"]] });
    const result = await send(main, head, { localAddress: "127.0.4.5", timeoutMs: 6_000 });
    assert.equal(result.end, "closed", describeExchange(result));
    assert.ok(result.elapsedMs < 2 * CLIENT_TIMEOUT_MS, `cut after ${result.elapsedMs} ms`);
  });

  it("limits: idle connection is closed", async () => {
    const result = await send(main, Buffer.alloc(0),
      { localAddress: "127.0.4.6", timeoutMs: 6_000 });
    assert.equal(result.end, "closed", describeExchange(result));
    assert.equal(result.data.length, 0);
    assert.ok(result.elapsedMs >= CLIENT_TIMEOUT_MS - 500, `closed after ${result.elapsedMs} ms`);
  });

  it("limits: 2,000 idle connections, requests served", async () => {
    // Opened in batches, so that the kernel's accept queue does not drop
    // SYNs, which would only measure the backlog.
    const idle: Promise<RawExchange>[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const connected = Array.from({ length: 200 }, (_, index) =>
        new Promise<void>((resolve) => {
          idle.push(send(main, undefined, { localAddress: `127.0.5.${1 + (index % 8)}`,
            timeoutMs: 8_000, write: () => resolve() }));
        }));
      await Promise.all(connected);
    }
    const answers = await Promise.all(Array.from({ length: 20 }, () =>
      send(main, authed({ method: "GET", target: "/_ping" }), { localAddress: "127.0.5.100" })));
    for (const answer of answers) {
      assertStatus(answer.responses[0]?.status, 200, describeExchange(answer));
    }
    const ends = await Promise.all(idle);
    const kinds = ends.map((result) =>
      `${result.end}${result.data.length > 0 ? " with data" : ""}`);
    assert.deepEqual([...new Set(kinds)], ["closed"]);
  });
});

// Runs alone: under the load of the rows above, the client's own event
// loop would lag and blur the timings.
describe("source flood", () => {
  let flood: Proxy;

  before(async () => {
    flood = await startProxy({ socketPath: engine.socketPath, env: {
      TIMEOUT_CLIENT: `${CLIENT_TIMEOUT_MS}ms`, LOG_FORMAT: "json" } });
    proxies.push(flood);
  });

  it("limits: flood of distinct sources", async () => {
    // One connection per source carries its six failed logins, pipelined.
    const sources = 1_500;
    const failures = ping6();
    let next = 0;
    const worker = async () => {
      while (next < sources) {
        const index = next++;
        const result = await send(flood, failures, {
          localAddress: `127.10.${Math.floor(index / 250)}.${1 + (index % 250)}`, timeoutMs: 10_000,
          stopWhen: (data) => data.toString("latin1").split("HTTP/1.1 401").length > 5 });
        assert.equal(result.end, "stopped", describeExchange(result));
      }
    };
    await Promise.all(Array.from({ length: 100 }, worker));
    const result = await send(flood, rawHttp({ method: "GET", target: "/_ping",
      auth: flood.authHeader, close: true }), { localAddress: "127.11.0.1" });
    assertStatus(result.responses[0]?.status, 200, describeExchange(result));
    const starts = logLines(flood).filter((line) => line.event === "ban started");
    assert.equal(starts.length, sources);
    const status = readFileSync(`/proc/${flood.child.pid}/status`, "utf8");
    const residentKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    assert.ok(residentKb < 400_000, `resident memory ${residentKb} kB`);
  });

  function ping6() {
    return Buffer.concat(Array.from({ length: 6 }, () =>
      rawHttp({ method: "GET", target: "/_ping", auth: WRONG })));
  }
});

// --- Crashes: clients that vanish mid-exchange ------------------------------

type AbortRow = readonly [name: string, request: () => Buffer, afterMs: number];

const abortRows: readonly AbortRow[] = [
  ["during a JSON body", () => authed({ method: "POST", target: `${api}/volumes/create`,
    headers: [JSON_TYPE, ["Content-Length", "1000"]], body: "{" }), 20],
  ["during a streamed archive upload",
    () => authed({ method: "PUT", target: `${LIVE_PATH}/archive?path=%2Ftmp`,
      headers: [TAR_TYPE, ["Content-Length", "100000"]], body: Buffer.alloc(512) }), 20],
  ["while the engine inspects a container",
    () => authed({ method: "GET", target: `${LIVE_PATH}/json` }), 1],
  ["during followed logs",
    () => authed({ method: "GET", target: `${LIVE_PATH}/logs?stdout=1&follow=1` }), 50],
  ["before the 101 of an exec start",
    () => rawHttp({ method: "POST", target: execStart(), auth: main.authHeader,
      headers: upgradeHeaders, body: "{}" }), 0],
  ["during an exec start upgrade body",
    () => rawHttp({ method: "POST", target: execStart(), auth: main.authHeader,
      headers: [...upgradeHeaders, ["Content-Length", "10"]], body: "{" }), 5],
  ["during a plain exec start stream",
    () => authed({ method: "POST", target: execStart(), headers: [JSON_TYPE],
      body: '{"Detach":false,"Tty":false}' }), 5],
];

describe("clients that vanish mid-exchange", () => {
  abortRows.forEach(([name, request, afterMs]) => {
    it(`crash: reset ${name}`, async () => {
      const socket = connect({ port: main.port, host: "127.0.0.1" });
      socket.on("error", () => {});
      await once(socket, "connect");
      socket.write(request());
      await sleep(afterMs);
      socket.resetAndDestroy();
      await sleep(50);
      assert.equal(main.hasExited(), false);
      const result = await send(main, authed({ method: "GET", target: "/_ping" }));
      assertStatus(result.responses[0]?.status, 200, describeExchange(result));
    });
  });
});

// --- Leaks ----------------------------------------------------------------

describe("leaks", () => {
  let recorder: RecordingEngine;
  let recorded: Proxy;

  before(async () => {
    recorder = await startRecordingEngine();
    recorded = await startProxy({ socketPath: recorder.socketPath, env: { LOG_FORMAT: "json" } });
    proxies.push(recorded);
  });

  after(async () => {
    await recorder?.close();
  });

  it("leak: credentials and hop-by-hop headers stripped", async () => {
    recorder.requests.length = 0;
    const result = await send(recorded, rawHttp({ method: "GET", target: "/_ping",
      auth: recorded.authHeader, close: true, headers: [
        ["Proxy-Authorization", recorded.authHeader],
        ["X-Original-Authorization", "Basic c2VjcmV0"], ["Connection", "X-Secret"],
        ["X-Secret", "hop"], ["Keep-Alive", "timeout=5"], ["TE", "trailers"]] }));
    assertStatus(result.responses[0]?.status, 200, describeExchange(result));
    const headers = recorder.requests.at(-1)?.headers ?? {};
    for (const name of ["authorization", "proxy-authorization", "x-original-authorization",
      "x-secret", "keep-alive", "te"]) {
      assert.equal(headers[name], undefined, `${name} reached the engine`);
    }
  });

  it("leak: engine receives the checked body", async () => {
    recorder.requests.length = 0;
    const body = '{"\\u0049mage":"x","Privileged":false,' +
      '"hostconfig":{"NetworkMode":"none","MaskedPaths":[]},"Volumes":{"/anon":{}}}';
    const result = await send(recorded, rawHttp({ method: "POST",
      target: `/containers/create?name=${PREFIX}_rec`, auth: recorded.authHeader, close: true,
      headers: [["Content-Type", "text/plain"]], body }));
    assertStatus(result.responses[0]?.status, 201, describeExchange(result));
    const forwarded = recorder.requests.at(-1);
    assert.equal(forwarded?.body.toString("utf8"),
      '{"Image":"x","HostConfig":{"NetworkMode":"none"}}');
    assert.equal(forwarded?.headers["content-type"], "application/json");
  });

  it("leak: refusal messages and log lines stay short", async () => {
    const key = "k".repeat(200_000);
    const result = await send(main, authed({ method: "POST", target: createTarget("long"),
      headers: [JSON_TYPE], body: `{"Image":"x","${key}":1}` }));
    const response = result.responses[0];
    assertStatus(response?.status, 403, describeExchange(result));
    assert.ok((response?.body.length ?? 0) <= 4_096, `response of ${response?.body.length} bytes`);
    const longest = Math.max(...main.readLog().split("\n").map((line) => line.length));
    assert.ok(longest <= 8_192, `log line of ${longest} bytes`);
  });

  it("leak: a 401 carries nothing from the engine", async () => {
    const result = await send(main, rawHttp({ method: "GET", target: "/version", close: true }),
      { localAddress: "127.0.6.1" });
    const answer = result.responses[0];
    assertStatus(answer?.status, 401, describeExchange(result));
    assert.equal(answer?.headers["api-version"], undefined);
    assert.doesNotMatch(answer?.body.toString("utf8") ?? "", /ApiVersion|GoVersion/);
  });

  it("leak: 502 omits the socket path", async () => {
    await recorder.close();
    const result = await send(recorded, rawHttp({ method: "GET", target: "/_ping",
      auth: recorded.authHeader, close: true }));
    assertStatus(result.responses[0]?.status, 502, describeExchange(result));
    assert.ok(!result.data.toString("latin1").includes(recorder.socketPath),
      describeExchange(result));
  });
});

// --- The docker CLI as the attacker's client --------------------------

describe("docker CLI", () => {
  let configDir: string;
  let context: string;

  before(() => {
    configDir = mkdtempSync(join(tmpdir(), "dsp-rt-cli-"));
    writeFileSync(join(configDir, "config.json"),
      JSON.stringify({ HttpHeaders: { Authorization: main.authHeader } }));
    context = mkdtempSync(join(tmpdir(), "dsp-rt-build-"));
    writeFileSync(join(context, "Dockerfile"), `FROM ${engine.image}\nRUN id\n`);
    writeFileSync(join(context, "rootfs.tar"), tarArchive({ "rt.txt": "x" }));
  });

  after(() => {
    rmSync(configDir, { recursive: true, force: true });
    rmSync(context, { recursive: true, force: true });
  });

  type CliRow = readonly [name: string, args: () => string[], stderr: RegExp];
  const cliRows: readonly CliRow[] = [
    ["run --privileged", () => ["run", "--rm", "--name", `${PREFIX}_c1`, "--network", "none",
      "--privileged", engine.image, "id"], /Privileged/],
    ["create with the host root bound",
      () => ["create", "--name", `${PREFIX}_c2`, "-v", "/:/host", engine.image], /Binds/],
    ["create with an added capability",
      () => ["create", "--name", `${PREFIX}_c3`, "--cap-add", "SYS_ADMIN", engine.image], /CapAdd/],
    ["create with the host PID namespace",
      () => ["create", "--name", `${PREFIX}_c4`, "--pid", "host", engine.image], /PidMode/],
    ["exec in a foreign container", () => ["exec", VICTIM, "id"], /not an ExApp|not allowed/],
    // The CLI first stats the target with a HEAD, whose 403 has no body.
    ["copy into a foreign container",
      () => ["cp", join(context, "Dockerfile"), `${VICTIM}:/tmp/`],
      /no such directory|not an ExApp/],
    ["import a root file system",
      () => ["import", join(context, "rootfs.tar"), `${PREFIX}_imported`], /fromSrc|not allowed/],
    ["build an image", () => ["build", "-q", "-t", `${PREFIX}_built`, context], /not allowed/],
    ["volume bound to the host root", () => ["volume", "create", "-o", "type=none",
      "-o", "o=bind", "-o", "device=/", `${PREFIX}_c5_data`], /DriverOpts/],
    ["list containers", () => ["ps", "-a"], /not allowed/],
  ];

  for (const [name, args, stderr] of cliRows) {
    it(`cli: ${name} fails`, async () => {
      const before = await engineState(engine);
      const result = await engine.dockerCli(args(), {
        host: `tcp://127.0.0.1:${main.port}`,
        configDir,
        timeoutMs: 30_000,
        env: { DOCKER_BUILDKIT: "0" },
      });
      assert.notEqual(result.code, 0, result.stdout);
      assert.match(result.stderr, stderr);
      assert.deepEqual(await engineState(engine), before);
    });
  }
});

// --- Last: nothing secret reached a log -----------------------------------

describe("logs", () => {
  it("log: no password or credentials logged", () => {
    for (const proxy of proxies) {
      const log = proxy.readLog();
      const token = proxy.authHeader.slice("Basic ".length);
      const password = Buffer.from(token, "base64").toString("utf8").split(":")[1] ?? "";
      assert.ok(password.length > 0);
      assert.ok(!log.includes(password), `${proxy.logFile} holds the password`);
      assert.ok(!log.includes(token), `${proxy.logFile} holds the credentials`);
    }
  });
});
