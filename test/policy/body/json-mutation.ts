// Rewrites JSON bodies the ways a client may spell them without changing
// what Go decodes, and checks what the proxy forwards. Used by the
// property tests of the body policy.
import assert from "node:assert/strict";

/** Fields whose value is a Go map, so their keys are data, not names. */
export const MAP_FIELDS = new Set([
  "Labels",
  "ExposedPorts",
  "PortBindings",
  "EndpointsConfig",
]);

/** Creates a seeded random generator (mulberry32), so failures replay. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

function whitespace(random: () => number): string {
  return random() < 0.1 ? [" ", "\n", "\t", "\r\n"][Math.floor(random() * 4)]!
    : "";
}

function escapeUnit(unit: number, random: () => number): string {
  const hex = unit.toString(16).padStart(4, "0");
  return `\\u${random() < 0.5 ? hex : hex.toUpperCase()}`;
}

/** Writes a string with random `\uXXXX` and `\/` escapes. */
export function spellString(text: string, random: () => number): string {
  let result = '"';
  for (const char of text) {
    if (random() < 0.1) {
      for (let i = 0; i < char.length; i++) {
        result += escapeUnit(char.charCodeAt(i), random);
      }
    } else if (char === "/" && random() < 0.5) {
      result += "\\/";
    } else {
      result += JSON.stringify(char).slice(1, -1);
    }
  }
  return `${result}"`;
}

/** Flips the ASCII case of random letters. */
export function flipCase(text: string, random: () => number): string {
  return [...text].map((char) =>
    random() < 0.3
      ? (char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase())
      : char
  ).join("");
}

/**
 * Writes `value` as JSON that Go decodes to the same thing: struct keys in
 * random case, random escapes, random whitespace. Map keys keep their case.
 */
export function spellJson(
  value: unknown,
  random: () => number,
  keysAreData = false,
): string {
  const space = whitespace(random);
  if (typeof value === "string") return space + spellString(value, random);
  if (Array.isArray(value)) {
    const items = value.map((item) => spellJson(item, random));
    return `${space}[${items.join(",")}${whitespace(random)}]`;
  }
  if (value !== null && typeof value === "object") {
    const members = Object.entries(value).map(([key, member]) => {
      const name = keysAreData ? key : flipCase(key, random);
      return `${whitespace(random)}${spellString(name, random)}:` +
        spellJson(member, random, MAP_FIELDS.has(key));
    });
    return `${space}{${members.join(",")}${whitespace(random)}}`;
  }
  return space + JSON.stringify(value);
}

const TOP_FIELDS = new Set([
  "Image", "Hostname", "Domainname", "Env", "Cmd", "Entrypoint", "Labels",
  "ExposedPorts", "WorkingDir", "Tty", "OpenStdin", "StdinOnce",
  "AttachStdin", "AttachStdout", "AttachStderr", "HostConfig",
  "NetworkingConfig",
]);
const HOST_FIELDS = new Set([
  "NetworkMode", "Mounts", "RestartPolicy", "PortBindings", "DeviceRequests",
  "Devices", "Memory", "MemoryReservation", "MemorySwap", "NanoCpus",
  "CpuShares", "CpuPeriod", "CpuQuota", "CpusetCpus", "CpusetMems",
  "PidsLimit", "AutoRemove", "CapDrop", "ConsoleSize",
]);
/** Keys that must never reach the engine, folded to lower case. */
const FORBIDDEN_KEYS = new Set([
  "privileged", "capadd", "securityopt", "pidmode", "ipcmode", "utsmode",
  "usernsmode", "cgroupnsmode", "cgroup", "binds", "volumesfrom", "sysctls",
  "cgroupparent", "devicecgrouprules", "runtime", "init", "tmpfs",
  "volumedriver", "driveropts", "volumeoptions", "bindoptions",
  "tmpfsoptions", "ipamconfig", "links", "maskedpaths", "readonlypaths",
  "oomkilldisable", "ulimits", "logconfig", "annotations", "options",
  "publishallports", "user", "extrahosts",
]);

type Json = Record<string, unknown>;

function collectKeys(value: unknown, keys: string[]): void {
  if (Array.isArray(value)) {
    for (const item of value) collectKeys(item, keys);
  } else if (value !== null && typeof value === "object") {
    for (const [key, member] of Object.entries(value)) {
      keys.push(key);
      if (MAP_FIELDS.has(key)) {
        for (const entry of Object.values(member as Json)) {
          collectKeys(entry, keys);
        }
      } else {
        collectKeys(member, keys);
      }
    }
  }
}

/**
 * Asserts the invariants of a forwarded container create body: only
 * listed fields, no forbidden key anywhere, volume mounts of the
 * container's own volume only, binds of allowed sources only, devices
 * under the allowed ones, loopback port bindings, no `container:` mode.
 */
export function assertSafeCreateBody(
  json: string,
  containerName: string,
  allowedBindSources: readonly string[],
): void {
  const body = JSON.parse(json) as Json;
  const keys: string[] = [];
  collectKeys(body, keys);
  for (const key of keys) {
    assert.ok(!FORBIDDEN_KEYS.has(key.toLowerCase()), `forwarded ${key}`);
  }

  for (const key of Object.keys(body)) assert.ok(TOP_FIELDS.has(key), key);
  const host = (body.HostConfig ?? {}) as Json;
  for (const key of Object.keys(host)) assert.ok(HOST_FIELDS.has(key), key);
  assert.ok(!String(host.NetworkMode ?? "").includes(":"));

  for (const mount of (host.Mounts ?? []) as Json[]) {
    if (mount.Type === "volume") {
      assert.equal(mount.Source, `${containerName}_data`);
    } else {
      assert.equal(mount.Type, "bind");
      assert.ok(allowedBindSources.includes(String(mount.Source)));
    }
  }

  for (const device of (host.Devices ?? []) as Json[]) {
    assert.match(String(device.PathOnHost), /^\/dev\/(?:kfd|dri)(?:\/|$)/);
    assert.ok(!String(device.PathOnHost).includes(".."));
  }
  const bindings = (host.PortBindings ?? {}) as Record<string, Json[]>;
  for (const list of Object.values(bindings)) {
    for (const binding of list) {
      assert.match(String(binding.HostIp), /^(?:127\.[0-9.]+|::1)$/);
    }
  }
  for (const request of (host.DeviceRequests ?? []) as Json[]) {
    assert.ok(request.Driver === "nvidia" || request.Driver === "cdi");
  }
}
