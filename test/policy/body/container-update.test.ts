import assert from "node:assert/strict";
import { test } from "node:test";
import { assertAccepted, assertRejected } from "./assert-verdict.ts";
import { checkBody, dockerCliUpdate, encode } from "./fixtures.ts";

test("container update accepts the docker CLI body", () => {
  const json = assertAccepted(
    checkBody("containerUpdate", encode(dockerCliUpdate), {}),
  );
  assert.deepEqual(JSON.parse(json), {
    CpuPeriod: 0,
    CpuQuota: 0,
    CpuShares: 0,
    CpusetCpus: "",
    CpusetMems: "",
    Memory: 1073741824,
    MemoryReservation: 0,
    MemorySwap: 0,
    NanoCpus: 0,
    RestartPolicy: { Name: "", MaximumRetryCount: 0 },
  });
});

test("container update accepts limits and a restart policy", () => {
  const body = '{"memory":1,"PidsLimit":-1,"CpusetCpus":"0-3,5",' +
    '"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}';
  const json = assertAccepted(checkBody("containerUpdate", encode(body), {}));
  assert.equal(
    json,
    '{"Memory":1,"CpusetCpus":"0-3,5","PidsLimit":-1,' +
      '"RestartPolicy":{"Name":"on-failure","MaximumRetryCount":3}}',
  );
});

type Case = readonly [name: string, body: string, rule: string];

const updateAttacks: readonly Case[] = [
  ["Devices", '{"Devices":[{"PathOnHost":"/dev/sda"}]}',
    "body.field-not-allowed"],
  ["DeviceCgroupRules", '{"DeviceCgroupRules":["a *:* rwm"]}',
    "body.field-not-allowed"],
  ["CgroupParent", '{"CgroupParent":"/"}', "body.field-not-allowed"],
  ["Privileged", '{"Privileged":true}', "body.field-not-allowed"],
  ["BlkioWeight", '{"BlkioWeight":10}', "body.field-not-allowed"],
  ["Ulimits", '{"Ulimits":[{"Name":"nofile","Hard":1}]}',
    "body.field-not-allowed"],
  ["bad cpuset", '{"CpusetCpus":"0-3;x"}', "body.invalid-value"],
  ["negative retry count", '{"RestartPolicy":{"MaximumRetryCount":-1}}',
    "body.invalid-value"],
  ["duplicate Memory", '{"Memory":1,"MEMORY":2}', "body.duplicate-key"],
];

for (const [name, body, rule] of updateAttacks) {
  test(`container update rejects ${name}`, () => {
    assertRejected(checkBody("containerUpdate", encode(body), {}), rule);
  });
}
