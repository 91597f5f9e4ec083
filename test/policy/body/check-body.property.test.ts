import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { assertAccepted } from "./assert-verdict.ts";
import {
  appApiCreateSamples,
  checkBody,
  encode,
  TEST_RULES,
} from "./fixtures.ts";
import {
  assertSafeCreateBody,
  flipCase,
  MAP_FIELDS,
  seededRandom,
  spellJson,
} from "./json-mutation.ts";

type Json = Record<string, unknown>;

const samples = appApiCreateSamples.map((sample) => ({
  value: JSON.parse(sample.body) as Json,
  container: sample.container,
  canonical: assertAccepted(
    checkBody("containerCreate", encode(sample.body), {
      containerName: sample.container,
    }),
  ),
}));

/** Fields that must be rejected wherever they are added. */
const DANGEROUS_FIELDS: readonly (readonly [string, unknown])[] = [
  ["Privileged", true],
  ["CapAdd", ["SYS_ADMIN"]],
  ["CapAdd", "ALL"],
  ["SecurityOpt", ["apparmor=unconfined"]],
  ["SecurityOpt", ["seccomp=unconfined"]],
  ["PidMode", "host"],
  ["IpcMode", "host"],
  ["UTSMode", "host"],
  ["UsernsMode", "host"],
  ["CgroupnsMode", "host"],
  ["NetworkMode", "container:x"],
  ["Binds", ["/:/host"]],
  ["VolumesFrom", ["other"]],
  ["Sysctls", { "kernel.core_pattern": "|/x" }],
  ["CgroupParent", "/"],
  ["DeviceCgroupRules", ["a *:* rwm"]],
  ["Runtime", "other"],
  ["Devices", [{ PathOnHost: "/dev/sda", PathInContainer: "/dev/sda",
    CgroupPermissions: "rwm" }]],
  ["Mounts", [{ Type: "bind", Source: "/", Target: "/host" }]],
  ["Mounts", [{ Type: "volume", Source: "nc_app_other_data",
    Target: "/o" }]],
  ["VolumeOptions", { DriverConfig: { Name: "local",
    Options: { device: "/" } } }],
  ["BindOptions", { Propagation: "rshared" }],
  ["Tmpfs", { "/t": "exec" }],
  ["MaskedPaths", ["/x"]],
  ["DriverOpts", { device: "/" }],
];

/** Collects every object in `value` that is a Go struct, not a map. */
function structNodes(value: unknown, nodes: Json[] = []): Json[] {
  if (Array.isArray(value)) {
    for (const item of value) structNodes(item, nodes);
  } else if (value !== null && typeof value === "object") {
    nodes.push(value as Json);
    for (const [key, member] of Object.entries(value)) {
      if (!MAP_FIELDS.has(key)) {
        structNodes(member, nodes);
      } else {
        for (const entry of Object.values(member as Json)) {
          structNodes(entry, nodes);
        }
      }
    }
  }
  return nodes;
}

/** Picks an item of a non-empty list with a seeded generator. */
function pick<T>(items: readonly T[], random: () => number): T {
  const item = items[Math.floor(random() * items.length)];
  assert.ok(item !== undefined);
  return item;
}

/** Inserts a raw member into an object's JSON text at a random place. */
function insertMember(
  node: Json,
  member: string,
  random: () => number,
): string {
  const members = Object.entries(node).map(([key, value]) =>
    `${JSON.stringify(key)}:${JSON.stringify(value)}`
  );
  members.splice(Math.floor(random() * (members.length + 1)), 0, member);
  return `{${members.join(",")}}`;
}

/**
 * Replaces `node` inside `root`'s JSON with `replacement`. The marker is
 * a unique string that JSON.stringify cannot produce on its own.
 */
function replaceNode(root: Json, node: Json, replacement: string): string {
  const marker = "\u0000node\u0000";
  const text = JSON.stringify(root, (_key, value) =>
    value === node ? marker : value
  );
  return text.replace(JSON.stringify(marker), replacement);
}

const seed = fc.integer();
const sampleIndex = fc.nat({ max: samples.length - 1 });

test("spelling of keys, escapes and whitespace keeps the output", () => {
  fc.assert(
    fc.property(sampleIndex, seed, (index, seedValue) => {
      const sample = samples[index]!;
      const body = spellJson(sample.value, seededRandom(seedValue));
      const verdict = checkBody("containerCreate", encode(body), {
        containerName: sample.container,
      });
      assert.equal(assertAccepted(verdict), sample.canonical);
    }),
    { numRuns: 2500 },
  );
});

test("an added dangerous field is rejected anywhere", () => {
  fc.assert(
    fc.property(sampleIndex, seed, (index, seedValue) => {
      const random = seededRandom(seedValue);
      const sample = samples[index]!;
      const node = pick(structNodes(sample.value), random);
      const [name, value] = pick(DANGEROUS_FIELDS, random);
      const member = spellJson({ [name]: value }, random).trim().slice(1, -1);
      const body = replaceNode(
        sample.value,
        node,
        insertMember(node, member, random),
      );
      const verdict = checkBody("containerCreate", encode(body), {
        containerName: sample.container,
      });
      assert.equal(verdict.ok, false, body);
    }),
    { numRuns: 2500 },
  );
});

test("a repeated key is rejected at any depth", () => {
  fc.assert(
    fc.property(sampleIndex, seed, fc.boolean(), (index, seedValue, same) => {
      const random = seededRandom(seedValue);
      const sample = samples[index]!;
      const node = pick(
        structNodes(sample.value).filter((n) => Object.keys(n).length > 0),
        random,
      );
      const [key, value] = pick(Object.entries(node), random);
      const repeated = same ? value : pick(DANGEROUS_FIELDS, random)[1];
      const member = `${JSON.stringify(flipCase(key, random))}:` +
        JSON.stringify(repeated);
      const body = replaceNode(
        sample.value,
        node,
        insertMember(node, member, random),
      );
      const verdict = checkBody("containerCreate", encode(body), {
        containerName: sample.container,
      });
      assert.equal(verdict.ok, false, body);
      // A changed value placed first may fail its own check before the
      // repeat is seen; an unchanged one can only fail as a repeat.
      if (same) {
        assert.equal(verdict.ok || verdict.refusal.rule, "body.duplicate-key");
      }
    }),
    { numRuns: 2000 },
  );
});

const FIELD_NAMES = [
  "Type", "Source", "Target", "ReadOnly", "Driver", "Count", "DeviceIDs",
  "PathOnHost", "PathInContainer", "CgroupPermissions", "HostIp",
  "HostPort", "NetworkMode", "Mounts", "Devices", "Memory", "Aliases",
  "Name", "Cmd", "Image", ...DANGEROUS_FIELDS.map(([name]) => name),
];
const STRINGS = [
  "", "host", "container:x", "/", "/srv/models", "/srv/models/x",
  "/srv/models2", "nc_app_x_data", "nc_app_llm2_data", "127.0.0.1",
  "0.0.0.0", "::1", "volume", "bind", "tmpfs", "nvidia", "cdi",
  "/dev/sda", "/dev/dri", "/dev/dri/../sda", "rwm", "80/tcp",
];
const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...STRINGS),
    fc.constantFrom(null, true, false, 0, -1, 1, 1e3, 2 ** 63),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...FIELD_NAMES), tie("value"),
      { maxKeys: 3 }),
  ),
})).value;

test("a random change is rejected or forwards a safe body", () => {
  fc.assert(
    fc.property(
      sampleIndex,
      seed,
      fc.constantFrom(...FIELD_NAMES),
      jsonValue,
      (index, seedValue, name, value) => {
        const random = seededRandom(seedValue);
        const sample = samples[index]!;
        const node = pick(structNodes(sample.value), random);
        const member = `${JSON.stringify(name)}:${JSON.stringify(value)}`;
        const body = replaceNode(
          sample.value,
          node,
          insertMember(node, member, random),
        );
        const context = { containerName: sample.container };
        const verdict = checkBody("containerCreate", encode(body), context);
        if (!verdict.ok) return;
        assertSafeCreateBody(
          verdict.json,
          sample.container,
          TEST_RULES.allowedBindSources,
        );
        const again = checkBody("containerCreate", encode(verdict.json),
          context);
        assert.equal(assertAccepted(again), verdict.json);
      },
    ),
    { numRuns: 2500 },
  );
});
