import assert from "node:assert/strict";
import { test } from "node:test";
import { assertAccepted, assertRejected } from "./assert-verdict.ts";
import { appApiExec, checkBody, dockerCliExec, encode } from "./fixtures.ts";

test("exec create accepts the AppAPI body", () => {
  const json = assertAccepted(checkBody("execCreate", encode(appApiExec), {}));
  assert.equal(
    json,
    '{"Cmd":["cat","/etc/os-release"],"AttachStdout":true,' +
      '"AttachStderr":true}',
  );
});

test("exec create drops Privileged false from the docker CLI body", () => {
  const json = assertAccepted(
    checkBody("execCreate", encode(dockerCliExec), {}),
  );
  assert.deepEqual(JSON.parse(json), {
    AttachStderr: true,
    AttachStdin: false,
    AttachStdout: true,
    Cmd: ["echo", "hi"],
    ConsoleSize: [0, 0],
    Detach: false,
    DetachKeys: "",
    Tty: false,
    User: "",
    WorkingDir: "",
  });
});

const CMD = '"Cmd":["sh"]';

/** Every way to ask for a privileged exec that Go would honour. */
const privilegedSpellings: readonly string[] = [
  '"Privileged":true',
  '"privileged":true',
  '"PRIVILEGED":true',
  '"pRiViLeGeD":true',
  String.raw`"\u0050rivileged":true`,
  String.raw`"Privileg\u0065d":true`,
  String.raw`"\u0070\u0072\u0069\u0076\u0069\u006c\u0065\u0067\u0065\u0064"` +
    ":true",
  '"Privileged":false,"privileged":true',
  '"Privileged":true,"Privileged":false',
];

for (const spelling of privilegedSpellings) {
  test(`exec create rejects ${spelling}`, () => {
    const verdict = checkBody(
      "execCreate",
      encode(`{${CMD},${spelling}}`),
      {},
    );
    assert.equal(verdict.ok, false);
  });
}

type Case = readonly [name: string, body: string, rule: string];

const execAttacks: readonly Case[] = [
  ["missing Cmd", '{"AttachStdout":true}', "body.missing-field"],
  ["empty Cmd", '{"Cmd":[]}', "body.invalid-value"],
  ["Cmd as string", '{"Cmd":"sh"}', "body.invalid-value"],
  ["three console sizes", `{${CMD},"ConsoleSize":[1,2,3]}`,
    "body.field-not-allowed"],
  ["negative console size", `{${CMD},"ConsoleSize":[-1,0]}`,
    "body.invalid-value"],
  ["unknown field", `{${CMD},"Privileges":["all"]}`,
    "body.field-not-allowed"],
  ["duplicate Cmd", '{"Cmd":["true"],"cmd":["sh"]}', "body.duplicate-key"],
];

for (const [name, body, rule] of execAttacks) {
  test(`exec create rejects ${name}`, () => {
    assertRejected(checkBody("execCreate", encode(body), {}), rule);
  });
}

test("exec create accepts a console size", () => {
  const json = assertAccepted(
    checkBody("execCreate", encode(`{${CMD},"ConsoleSize":[24,80]}`), {}),
  );
  assert.equal(json, '{"Cmd":["sh"],"ConsoleSize":[24,80]}');
});
