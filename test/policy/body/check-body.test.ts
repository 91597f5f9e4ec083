import assert from "node:assert/strict";
import { test } from "node:test";
import { createBodyChecker } from "../../../src/policy/body/check-body.ts";
import { assertAccepted, assertRejected } from "./assert-verdict.ts";
import {
  appApiCreateSamples,
  checkBody,
  dockerCliCreate,
  encode,
} from "./fixtures.ts";

/** What the engine should decode from a sample: Go's spelling of NanoCpus. */
function expectedDecoding(sample: string): unknown {
  const value = JSON.parse(sample);
  if (value.HostConfig?.NanoCPUs !== undefined) {
    value.HostConfig.NanoCpus = value.HostConfig.NanoCPUs;
    delete value.HostConfig.NanoCPUs;
  }
  return value;
}

for (const sample of appApiCreateSamples) {
  test(`checkBody accepts AppAPI ${sample.name}`, () => {
    const context = { containerName: sample.container };
    const verdict = checkBody("containerCreate", encode(sample.body), context);
    const json = assertAccepted(verdict);
    assert.deepEqual(JSON.parse(json), expectedDecoding(sample.body));
  });

  test(`checkBody output is a fixed point for ${sample.name}`, () => {
    const context = { containerName: sample.container };
    const first = assertAccepted(
      checkBody("containerCreate", encode(sample.body), context),
    );
    const second = assertAccepted(
      checkBody("containerCreate", encode(first), context),
    );
    assert.equal(second, first);
  });
}

test("checkBody keeps escapes and non-ASCII values of sample A", () => {
  const sample = appApiCreateSamples[1];
  const json = assertAccepted(
    checkBody("containerCreate", encode(sample.body), {
      containerName: sample.container,
    }),
  );
  assert.ok(json.includes('"Image":"ghcr.io/nextcloud/app-skeleton-python'));
  assert.ok(json.includes('"APP_DISPLAY_NAME=App Skeleton é"'));
});

test("checkBody drops the zero fields of docker CLI create", () => {
  const json = assertAccepted(
    checkBody("containerCreate", encode(dockerCliCreate), {}),
  );
  assert.deepEqual(JSON.parse(json), {
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Cmd: ["echo", "hi"],
    Domainname: "",
    Env: [],
    HostConfig: {
      AutoRemove: false,
      ConsoleSize: [0, 0],
      CpuPeriod: 0,
      CpuQuota: 0,
      CpuShares: 0,
      CpusetCpus: "",
      CpusetMems: "",
      Devices: [],
      Memory: 0,
      MemoryReservation: 0,
      MemorySwap: 0,
      NanoCpus: 0,
      NetworkMode: "default",
      PortBindings: {},
      RestartPolicy: { Name: "no", MaximumRetryCount: 0 },
    },
    Hostname: "",
    Image: "busybox",
    Labels: {},
    NetworkingConfig: { EndpointsConfig: { default: {} } },
    OpenStdin: false,
    StdinOnce: false,
    Tty: false,
    WorkingDir: "",
  });
});

/** Bodies that are not one well-formed JSON object, each rejected with 400. */
const malformedBodies: readonly (readonly [string, Uint8Array, string])[] = [
  ["empty body", encode(""), "body.invalid-json"],
  ["whitespace only", encode(" \r\n\t"), "body.invalid-json"],
  ["byte order mark", encode('\ufeff{"Image":"x"}'), "body.invalid-json"],
  ["invalid UTF-8", Uint8Array.of(0x7b, 0x22, 0xff, 0x22, 0x7d),
    "body.invalid-json"],
  ["second object", encode('{"Image":"x"}{}'), "body.invalid-json"],
  ["two empty objects", encode("{}{}"), "body.invalid-json"],
  ["trailing word", encode('{"Image":"x"} x'), "body.invalid-json"],
  ["truncated object", encode('{"Image":"x"'), "body.invalid-json"],
  ["array at top", encode('[{"Image":"x"}]'), "body.not-object"],
  ["string at top", encode('"x"'), "body.not-object"],
  ["null at top", encode("null"), "body.not-object"],
  ["number at top", encode("1"), "body.not-object"],
  ["deep nesting", encode(`{"Image":"x","Labels":${"[".repeat(70)}`),
    "body.too-deep"],
];

for (const [name, body, rule] of malformedBodies) {
  test(`checkBody rejects ${name} with 400`, () => {
    assertRejected(checkBody("containerCreate", body, {}), rule, 400);
  });
}

test("checkBody rejects an unknown body kind", () => {
  const kind = "imageCreate" as "volumeCreate";
  assertRejected(checkBody(kind, encode("{}"), {}), "body.unknown-kind");
});

test("checkBody rejects when the check throws", () => {
  const body = null as unknown as Uint8Array;
  assertRejected(
    checkBody("containerCreate", body, {}),
    "body.check-failed",
  );
});

test("checkBody messages name the field and the value", () => {
  const verdict = checkBody(
    "containerCreate",
    encode('{"Image":"x","HostConfig":{"Privileged":true}}'),
    {},
  );
  assert.equal(verdict.ok, false);
  assert.equal(
    verdict.ok || verdict.refusal.message,
    'Field "HostConfig.Privileged" is not allowed',
  );
});

test("createBodyChecker throws when a rule path is not clean", () => {
  for (const path of ["srv", "/srv/", "/srv/../etc", ""]) {
    const rules = { allowedBindSources: [path], allowedDevices: [] };
    assert.throws(() => createBodyChecker(rules), TypeError, path);
  }
});

test("createBodyChecker copies the rules it is given", () => {
  const sources = ["/srv/models"];
  const check = createBodyChecker({
    allowedBindSources: sources,
    allowedDevices: [],
  });
  sources.push("/etc");
  const body = '{"Image":"x","HostConfig":{"Mounts":[{"Type":"bind",' +
    '"Source":"/etc","Target":"/etc"}]}}';
  const verdict = check("containerCreate", encode(body), {});
  assertRejected(verdict, "body.bind-source");
});
