import assert from "node:assert/strict";
import { test } from "node:test";
import { createBodyChecker } from "../../../src/policy/body/check-body.ts";
import { assertAccepted, assertRejected } from "./assert-verdict.ts";
import { checkBody, encode } from "./fixtures.ts";

const CONTAINER = "nc_app_x";
const VOLUME =
  '{"Type":"volume","Source":"nc_app_x_data","Target":"/nc_app_x_data"}';

/** Builds a minimal create body with `fragment` inside `HostConfig`. */
function inHost(fragment: string): string {
  return `{"Image":"img","HostConfig":{"Mounts":[${VOLUME}],${fragment}}}`;
}

/** Builds a minimal create body with `fragment` at the top level. */
function atTop(fragment: string): string {
  return `{"Image":"img","HostConfig":{"Mounts":[${VOLUME}]},${fragment}}`;
}

/** Builds a create body whose mounts are the data volume and `mount`. */
function withMount(mount: string): string {
  return inHost(`"NetworkMode":"bridge","Mounts":[${VOLUME},${mount}]`)
    .replace(`"Mounts":[${VOLUME}],`, "");
}

function bind(source: string, extra = ""): string {
  return `{"Type":"bind","Source":"${source}","Target":"/m"${extra}}`;
}

function device(path: string, permissions = "rwm"): string {
  return `"Devices":[{"PathOnHost":"${path}","PathInContainer":"/dev/x",` +
    `"CgroupPermissions":"${permissions}"}]`;
}

function portBinding(binding: string, port = "80/tcp"): string {
  return `"PortBindings":{"${port}":[${binding}]}`;
}

type Case = readonly [name: string, body: string, rule: string];

const privilegeAttacks: readonly Case[] = [
  ["Privileged", inHost('"Privileged":true'), "body.field-not-allowed"],
  ["lowercase privileged", inHost('"privileged":true'),
    "body.field-not-allowed"],
  ["escaped first letter", inHost(String.raw`"\u0050rivileged":true`),
    "body.field-not-allowed"],
  ["escaped last letter", inHost(String.raw`"Privileg\u0065d":true`),
    "body.field-not-allowed"],
  ["Privileged at top level", atTop('"Privileged":true'),
    "body.field-not-allowed"],
  ["Privileged as 1", inHost('"Privileged":1'), "body.field-not-allowed"],
  ["CapAdd", inHost('"CapAdd":["SYS_ADMIN"]'), "body.field-not-allowed"],
  ["CapAdd as string", inHost('"CapAdd":"ALL"'), "body.field-not-allowed"],
  ["CapAdd at top level", atTop('"CapAdd":["ALL"]'),
    "body.field-not-allowed"],
  ["apparmor unconfined", inHost('"SecurityOpt":["apparmor=unconfined"]'),
    "body.field-not-allowed"],
  ["seccomp unconfined", inHost('"SecurityOpt":["seccomp=unconfined"]'),
    "body.field-not-allowed"],
  ["PidMode host", inHost('"PidMode":"host"'), "body.field-not-allowed"],
  ["IpcMode host", inHost('"IpcMode":"host"'), "body.field-not-allowed"],
  ["UTSMode host", inHost('"UTSMode":"host"'), "body.field-not-allowed"],
  ["UsernsMode host", inHost('"UsernsMode":"host"'),
    "body.field-not-allowed"],
  ["CgroupnsMode host", inHost('"CgroupnsMode":"host"'),
    "body.field-not-allowed"],
  ["PidMode container", inHost('"PidMode":"container:x"'),
    "body.field-not-allowed"],
  ["NetworkMode container", inHost('"NetworkMode":"container:x"'),
    "body.network-mode"],
  ["NetworkMode with slash", inHost('"NetworkMode":"ns/x"'),
    "body.network-mode"],
  ["Sysctls", inHost('"Sysctls":{"kernel.core_pattern":"|/x"}'),
    "body.field-not-allowed"],
  ["CgroupParent", inHost('"CgroupParent":"/"'), "body.field-not-allowed"],
  ["Cgroup", inHost('"Cgroup":"host"'), "body.field-not-allowed"],
  ["DeviceCgroupRules", inHost('"DeviceCgroupRules":["b *:* rwm"]'),
    "body.field-not-allowed"],
  ["Runtime", inHost('"Runtime":"runc-unsafe"'), "body.field-not-allowed"],
  ["Init", inHost('"Init":true'), "body.field-not-allowed"],
  ["OomKillDisable", inHost('"OomKillDisable":true'),
    "body.field-not-allowed"],
  ["Ulimits", inHost('"Ulimits":[{"Name":"nofile","Soft":1,"Hard":1}]'),
    "body.field-not-allowed"],
  ["MaskedPaths unmasked", inHost('"MaskedPaths":["/x"]'),
    "body.field-not-allowed"],
  ["ReadonlyPaths changed", inHost('"ReadonlyPaths":["/x"]'),
    "body.field-not-allowed"],
  ["ExtraHosts", inHost('"ExtraHosts":["a:1.2.3.4"]'),
    "body.field-not-allowed"],
  ["Links", inHost('"Links":["other:o"]'), "body.field-not-allowed"],
  ["LogConfig", inHost('"LogConfig":{"Type":"syslog","Config":{}}'),
    "body.field-not-allowed"],
  ["Annotations", inHost('"Annotations":{"run.oci.x":"1"}'),
    "body.field-not-allowed"],
  ["PublishAllPorts", inHost('"PublishAllPorts":true'),
    "body.field-not-allowed"],
  ["User", atTop('"User":"root"'), "body.field-not-allowed"],
  ["Healthcheck", atTop('"Healthcheck":{"Test":["CMD","x"]}'),
    "body.field-not-allowed"],
];

const keyTricks: readonly Case[] = [
  ["long s key", inHost('"ſecurityOpt":["seccomp=unconfined"]'),
    "body.non-ascii-key"],
  ["escaped long s key", inHost(String.raw`"\u017fecurityOpt":[]`),
    "body.non-ascii-key"],
  ["Kelvin sign key", inHost(String.raw`"Lin\u212as":["a:b"]`),
    "body.non-ascii-key"],
  ["non-ASCII key with zero value", inHost('"Privilegéd":false'),
    "body.non-ascii-key"],
  ["duplicate Mounts", inHost(`"Mounts":[${VOLUME}]`), "body.duplicate-key"],
  ["duplicate mounts by case", inHost(`"mounts":[${bind("/")}]`),
    "body.duplicate-key"],
  ["duplicate Mounts by escape", inHost(String.raw`"\u004dounts":[]`),
    "body.duplicate-key"],
  ["duplicate HostConfig", atTop('"hostconfig":{"Privileged":true}'),
    "body.duplicate-key"],
  ["duplicate Type in a mount",
    withMount('{"Type":"volume","type":"bind","Source":"nc_app_x_data",' +
      '"Target":"/d"}'), "body.duplicate-key"],
  ["duplicate Source in a mount",
    withMount('{"Type":"bind","Source":"/srv/models","source":"/",' +
      '"Target":"/d"}'), "body.duplicate-key"],
  ["duplicate zero fields", inHost('"Privileged":false,"privileged":false'),
    "body.duplicate-key"],
  ["duplicate inside a dropped field",
    inHost('"LogConfig":{"Type":"","type":""}'), "body.duplicate-key"],
  ["duplicate label", atTop('"Labels":{"a":"1","a":"2"}'),
    "body.duplicate-key"],
  ["duplicate port binding key",
    inHost('"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1"}],' +
      '"80/tcp":[{"HostIp":"0.0.0.0"}]}'), "body.duplicate-key"],
  ["duplicate network", '{"Image":"i","NetworkingConfig":{"EndpointsConfig"' +
    ':{"n":{},"n":{"IPAMConfig":{"IPv4Address":"1.2.3.4"}}}}}',
    "body.duplicate-key"],
  ["reserved label key", atTop('"Labels":{"__proto__":"x"}'),
    "body.reserved-key"],
];

const mountAttacks: readonly Case[] = [
  ["Binds", inHost('"Binds":["/:/host"]'), "body.field-not-allowed"],
  ["Binds at top level", atTop('"Binds":["/:/host"]'),
    "body.field-not-allowed"],
  ["bind of /etc", withMount(bind("/etc")), "body.bind-source"],
  ["bind of root", withMount(bind("/")), "body.bind-source"],
  ["bind of a sibling prefix", withMount(bind("/srv/models2")),
    "body.bind-source"],
  // A container could plant a link below an allowed source, so only the
  // allowed path itself may be bound.
  ["bind below an allowed source", withMount(bind("/srv/models/x")),
    "body.bind-source"],
  ["bind with dot-dot", withMount(bind("/srv/models/../../etc")),
    "body.bind-source"],
  ["bind with dot", withMount(bind("/srv/./models")), "body.bind-source"],
  ["bind with double slash", withMount(bind("/srv//models")),
    "body.bind-source"],
  ["bind with trailing slash", withMount(bind("/srv/models/")),
    "body.bind-source"],
  ["bind with relative path", withMount(bind("srv/models")),
    "body.bind-source"],
  ["bind with NUL", withMount(bind(String.raw`/srv/models\u0000`)),
    "body.bind-source"],
  ["bind with propagation",
    withMount(bind("/srv/models", ',"BindOptions":{"Propagation":"rshared"}')),
    "body.field-not-allowed"],
  ["bind creating its source",
    withMount(bind("/srv/models", ',"BindOptions":{"CreateMountpoint":true}')),
    "body.field-not-allowed"],
  ["volume of another app",
    withMount('{"Type":"volume","Source":"nc_app_y_data","Target":"/y"}'),
    "body.volume-source"],
  ["anonymous volume",
    withMount('{"Type":"volume","Source":"","Target":"/y"}'),
    "body.volume-source"],
  ["volume with a driver config",
    withMount('{"Type":"volume","Source":"nc_app_x_data","Target":"/y",' +
      '"VolumeOptions":{"DriverConfig":{"Name":"local","Options":' +
      '{"device":"/","o":"bind","type":"none"}}}}'),
    "body.field-not-allowed"],
  ["volume with labels",
    withMount('{"Type":"volume","Source":"nc_app_x_data","Target":"/y",' +
      '"VolumeOptions":{"Labels":{"a":"b"}}}'), "body.field-not-allowed"],
  ["volume with NoCopy",
    withMount('{"Type":"volume","Source":"nc_app_x_data","Target":"/y",' +
      '"VolumeOptions":{"NoCopy":true}}'), "body.field-not-allowed"],
  ["tmpfs mount", withMount('{"Type":"tmpfs","Target":"/t"}'),
    "body.invalid-value"],
  ["npipe mount", withMount('{"Type":"npipe","Source":"x","Target":"/t"}'),
    "body.invalid-value"],
  ["cluster mount", withMount('{"Type":"cluster","Source":"x","Target":"/t"}'),
    "body.invalid-value"],
  ["image mount", withMount('{"Type":"image","Source":"x","Target":"/t"}'),
    "body.invalid-value"],
  ["uppercase mount type", withMount(bind("/srv/models").replace("bind",
    "BIND")), "body.invalid-value"],
  ["mount without type", withMount('{"Source":"/srv/models","Target":"/t"}'),
    "body.missing-field"],
  ["relative target",
    withMount('{"Type":"bind","Source":"/srv/models","Target":"m"}'),
    "body.invalid-path"],
  ["target with dot-dot",
    withMount('{"Type":"bind","Source":"/srv/models","Target":"/a/../.."}'),
    "body.invalid-path"],
  ["mount consistency", withMount(bind("/srv/models", ',"Consistency":"x"')),
    "body.field-not-allowed"],
  ["VolumesFrom", inHost('"VolumesFrom":["other"]'),
    "body.field-not-allowed"],
  ["VolumeDriver", inHost('"VolumeDriver":"x"'), "body.field-not-allowed"],
  ["Tmpfs", inHost('"Tmpfs":{"/t":"exec"}'), "body.field-not-allowed"],
];

const deviceAttacks: readonly Case[] = [
  ["disk device", inHost(device("/dev/sda")), "body.device"],
  ["escape from dri", inHost(device("/dev/dri/../sda")), "body.device"],
  ["sibling prefix of dri", inHost(device("/dev/dri2")), "body.device"],
  ["trailing slash", inHost(device("/dev/kfd/")), "body.device"],
  ["relative device", inHost(device("dev/kfd")), "body.device"],
  ["unknown permission", inHost(device("/dev/kfd", "rwmx")),
    "body.invalid-value"],
  ["empty permissions", inHost(device("/dev/kfd", "")), "body.invalid-value"],
  ["repeated permission", inHost(device("/dev/kfd", "rr")),
    "body.invalid-value"],
  ["unknown GPU driver",
    inHost('"DeviceRequests":[{"Driver":"other","Count":-1}]'),
    "body.invalid-value"],
  ["GPU driver options",
    inHost('"DeviceRequests":[{"Driver":"nvidia","Options":{"a":"b"}}]'),
    "body.field-not-allowed"],
  ["unknown GPU capability",
    inHost('"DeviceRequests":[{"Driver":"nvidia",' +
      '"Capabilities":[["sys_admin"]]}]'), "body.invalid-value"],
  ["GPU count below -1",
    inHost('"DeviceRequests":[{"Driver":"nvidia","Count":-2}]'),
    "body.invalid-value"],
  ["CDI name with a path",
    inHost('"DeviceRequests":[{"Driver":"cdi","DeviceIDs":["../x"]}]'),
    "body.invalid-value"],
  ["CDI with a count",
    inHost('"DeviceRequests":[{"Driver":"cdi","Count":1,' +
      '"DeviceIDs":["nvidia.com/gpu=all"]}]'), "body.field-not-allowed"],
  ["CDI without devices", inHost('"DeviceRequests":[{"Driver":"cdi"}]'),
    "body.missing-field"],
];

const networkAttacks: readonly Case[] = [
  ["IPAM config", '{"Image":"i","NetworkingConfig":{"EndpointsConfig":' +
    '{"n":{"IPAMConfig":{"IPv4Address":"10.0.0.1"}}}}}',
    "body.field-not-allowed"],
  ["endpoint links", '{"Image":"i","NetworkingConfig":{"EndpointsConfig":' +
    '{"n":{"Links":["a:b"]}}}}', "body.field-not-allowed"],
  ["endpoint driver options", '{"Image":"i","NetworkingConfig":' +
    '{"EndpointsConfig":{"n":{"DriverOpts":{"a":"b"}}}}}',
    "body.field-not-allowed"],
  ["endpoint MAC address", '{"Image":"i","NetworkingConfig":' +
    '{"EndpointsConfig":{"n":{"MacAddress":"02:00:00:00:00:01"}}}}',
    "body.field-not-allowed"],
  ["container network key", '{"Image":"i","NetworkingConfig":' +
    '{"EndpointsConfig":{"container:x":{}}}}', "body.network-mode"],
  ["alias with a colon", '{"Image":"i","NetworkingConfig":' +
    '{"EndpointsConfig":{"n":{"Aliases":["a:b"]}}}}', "body.invalid-value"],
];

const portAttacks: readonly Case[] = [
  ["all interfaces by empty HostIp", inHost(portBinding('{"HostIp":""}')),
    "body.port-binding-address"],
  ["missing HostIp", inHost(portBinding('{"HostPort":"80"}')),
    "body.missing-field"],
  ["null HostIp", inHost(portBinding('{"HostIp":null}')),
    "body.missing-field"],
  ["any IPv4", inHost(portBinding('{"HostIp":"0.0.0.0"}')),
    "body.port-binding-address"],
  ["any IPv6", inHost(portBinding('{"HostIp":"::"}')),
    "body.port-binding-address"],
  ["LAN address", inHost(portBinding('{"HostIp":"192.168.1.5"}')),
    "body.port-binding-address"],
  ["loopback with leading zero", inHost(portBinding('{"HostIp":"127.0.0.01"}')),
    "body.port-binding-address"],
  ["mapped loopback", inHost(portBinding('{"HostIp":"::ffff:127.0.0.1"}')),
    "body.port-binding-address"],
  ["loopback with space", inHost(portBinding('{"HostIp":"127.0.0.1 "}')),
    "body.port-binding-address"],
  ["host port zero", inHost(portBinding('{"HostIp":"::1","HostPort":"0"}')),
    "body.port"],
  ["host port range",
    inHost(portBinding('{"HostIp":"::1","HostPort":"1-100"}')), "body.port"],
  ["host port too large",
    inHost(portBinding('{"HostIp":"::1","HostPort":"65536"}')), "body.port"],
  ["port without protocol", inHost(portBinding('{"HostIp":"::1"}', "80")),
    "body.port"],
  ["port zero", inHost(portBinding('{"HostIp":"::1"}', "0/tcp")),
    "body.port"],
  ["no bindings", inHost('"PortBindings":{"80/tcp":[]}'),
    "body.invalid-value"],
  ["exposed port range", atTop('"ExposedPorts":{"1-9/tcp":{}}'),
    "body.port"],
];

const legacyAndValueAttacks: readonly Case[] = [
  ["Memory at top level", atTop('"Memory":1'), "body.field-not-allowed"],
  ["Cpuset at top level", atTop('"Cpuset":"0"'), "body.field-not-allowed"],
  ["NetworkMode at top level", atTop('"NetworkMode":"host"'),
    "body.field-not-allowed"],
  ["Memory with exponent", inHost('"Memory":1e3'), "body.invalid-value"],
  ["Memory with fraction", inHost('"Memory":1.5'), "body.invalid-value"],
  ["Memory beyond float range", inHost('"Memory":1e400'),
    "body.invalid-value"],
  ["Memory beyond int64", inHost('"Memory":9223372036854775808'),
    "body.invalid-value"],
  ["negative Memory", inHost('"Memory":-1'), "body.invalid-value"],
  ["swappiness above 100", inHost('"MemorySwappiness":101'),
    "body.invalid-value"],
  ["Memory as string", inHost('"Memory":"1"'), "body.invalid-value"],
  ["MemorySwap below -1", inHost('"MemorySwap":-2'), "body.invalid-value"],
  ["unknown restart policy", inHost('"RestartPolicy":{"Name":"sometimes"}'),
    "body.invalid-value"],
  ["missing Image", '{"HostConfig":{}}', "body.missing-field"],
  ["empty Image", '{"Image":""}', "body.invalid-value"],
  ["null Image", '{"Image":null}', "body.missing-field"],
  ["number in Cmd", '{"Image":"i","Cmd":["a",1]}', "body.invalid-value"],
  ["null in Env", '{"Image":"i","Env":[null]}', "body.invalid-value"],
  ["number label", '{"Image":"i","Labels":{"a":1}}', "body.invalid-value"],
  ["HostConfig as array", '{"Image":"i","HostConfig":[]}',
    "body.invalid-value"],
  ["Labels as array", '{"Image":"i","Labels":["a=b"]}', "body.invalid-value"],
  ["mount as array", withMount("[]"), "body.invalid-value"],
];

const attackTables = {
  "privilege": privilegeAttacks,
  "key trick": keyTricks,
  "mount": mountAttacks,
  "device": deviceAttacks,
  "network": networkAttacks,
  "port": portAttacks,
  "value": legacyAndValueAttacks,
};

for (const [table, cases] of Object.entries(attackTables)) {
  for (const [name, body, rule] of cases) {
    test(`container create rejects ${table} attack: ${name}`, () => {
      const verdict = checkBody("containerCreate", encode(body), {
        containerName: CONTAINER,
      });
      assertRejected(verdict, rule);
    });
  }
}

/** Bodies that must pass, with a fragment of the JSON forwarded. */
const accepted: readonly (readonly [string, string, string])[] = [
  ["allowed bind", withMount(bind("/srv/models")), '"Source":"/srv/models"'],
  ["device below dri", inHost(device("/dev/dri/renderD128", "rw")),
    '"PathOnHost":"/dev/dri/renderD128"'],
  ["IPv4 loopback range", inHost(portBinding('{"HostIp":"127.1.2.3"}')),
    '"HostIp":"127.1.2.3"'],
  ["empty host port", inHost(portBinding('{"HostIp":"::1","HostPort":""}')),
    '"HostPort":""'],
  ["Cmd as string", '{"Image":"i","Cmd":"sh -c x"}', '"Cmd":["sh -c x"]'],
  ["CapDrop", inHost('"CapDrop":["ALL"]'), '"CapDrop":["ALL"]'],
  ["negative zero", inHost('"Memory":-0'), '"Memory":0'],
  ["largest int64", inHost('"Memory":9223372036854775807'),
    '"Memory":9223372036854775807'],
  ["NVIDIA by device id", inHost('"DeviceRequests":[{"Driver":"nvidia",' +
    '"DeviceIDs":["0","GPU-3a1b"],"Capabilities":[["gpu"]]}]'),
    '"DeviceIDs":["0","GPU-3a1b"]'],
  ["lowercase keys", '{"image":"i","hostconfig":{"networkmode":"none"}}',
    '{"Image":"i","HostConfig":{"NetworkMode":"none"}}'],
  ["empty network mode", inHost('"NetworkMode":""'), '"NetworkMode":""'],
  ["the docker CLI's default swappiness", inHost('"MemorySwappiness":-1'),
    '"MemorySwappiness":-1'],
  ["zero unmask list dropped", inHost('"MaskedPaths":[]'),
    `{"Image":"img","HostConfig":{"Mounts":[${VOLUME}]}}`],
  ["zero security options dropped",
    inHost('"SecurityOpt":[],"CapAdd":null,"Privileged":false'),
    `{"Image":"img","HostConfig":{"Mounts":[${VOLUME}]}}`],
  ["zero mount options dropped",
    withMount(bind("/srv/models", ',"BindOptions":{},"VolumeOptions":null')),
    bind("/srv/models")],
  ["zero legacy fields dropped", atTop('"Binds":[],"Cpuset":""'),
    `{"Image":"img","HostConfig":{"Mounts":[${VOLUME}]}}`],
];

for (const [name, body, fragment] of accepted) {
  test(`container create accepts ${name}`, () => {
    const json = assertAccepted(
      checkBody("containerCreate", encode(body), { containerName: CONTAINER }),
    );
    assert.ok(json.includes(fragment), json);
  });
}

test("container create rejects a volume mount without a container name", () => {
  assertRejected(
    checkBody("containerCreate", encode(inHost('"NetworkMode":"host"')), {}),
    "body.volume-source",
  );
});

test("container create rejects a bind when no source is allowed", () => {
  // The default configuration allows no bind source at all.
  const json = withMount(bind("/srv/models"));
  const check = createBodyChecker({
    allowedBindSources: [],
    allowedDevices: ["/dev/kfd", "/dev/dri"],
  });
  assertRejected(
    check("containerCreate", encode(json), { containerName: CONTAINER }),
    "body.bind-source",
  );
});
