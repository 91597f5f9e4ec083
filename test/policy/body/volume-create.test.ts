import assert from "node:assert/strict";
import { test } from "node:test";
import { assertAccepted, assertRejected } from "./assert-verdict.ts";
import { appApiVolumeCreate, checkBody, encode } from "./fixtures.ts";

test("volume create accepts the AppAPI body with lowercase name", () => {
  const json = assertAccepted(
    checkBody("volumeCreate", encode(appApiVolumeCreate), {}),
  );
  assert.equal(json, '{"Name":"nc_app_context_chat_backend_data"}');
});

const acceptedBodies: readonly (readonly [string, string])[] = [
  ["uppercase key", '{"NAME":"nc_app_x_data"}'],
  ["local driver", '{"Name":"nc_app_x_data","Driver":"local"}'],
  ["empty driver", '{"Name":"nc_app_x_data","Driver":""}'],
  ["zero options", '{"Name":"nc_app_x_data","DriverOpts":{},"Labels":null}'],
  ["hyphenated app id", '{"Name":"nc_app_app-skeleton-python_data"}'],
];

for (const [name, body] of acceptedBodies) {
  test(`volume create accepts ${name}`, () => {
    assertAccepted(checkBody("volumeCreate", encode(body), {}));
  });
}

type Case = readonly [name: string, body: string, rule: string];

const volumeAttacks: readonly Case[] = [
  ["device option", '{"Name":"nc_app_x_data","DriverOpts":' +
    '{"type":"none","o":"bind","device":"/"}}', "body.field-not-allowed"],
  ["escaped device option", String.raw`{"Name":"nc_app_x_data",` +
    String.raw`"DriverOpts":{"type":"none","o":"bind","\u0064evice":"/"}}`,
    "body.field-not-allowed"],
  ["labels", '{"Name":"nc_app_x_data","Labels":{"a":"b"}}',
    "body.field-not-allowed"],
  ["cluster volume", '{"Name":"nc_app_x_data","ClusterVolumeSpec":' +
    '{"Group":"g"}}', "body.field-not-allowed"],
  ["other driver", '{"Name":"nc_app_x_data","Driver":"nfs"}',
    "body.volume-driver"],
  ["missing name", "{}", "body.missing-field"],
  ["name without prefix", '{"Name":"x_data"}', "body.volume-name"],
  ["name without suffix", '{"Name":"nc_app_x"}', "body.volume-name"],
  ["name with slash", '{"Name":"nc_app_../x_data"}', "body.volume-name"],
  ["bare prefix", '{"Name":"nc_app__data"}', "body.volume-name"],
  ["name twice", '{"name":"nc_app_x_data","Name":"other"}',
    "body.duplicate-key"],
];

for (const [name, body, rule] of volumeAttacks) {
  test(`volume create rejects ${name}`, () => {
    assertRejected(checkBody("volumeCreate", encode(body), {}), rule);
  });
}
