import assert from "node:assert/strict";
import { test } from "node:test";
import { formatFieldPath } from "../../../src/policy/body/field-path.ts";

test("formatFieldPath joins names with dots and indexes in brackets", () => {
  assert.equal(
    formatFieldPath(["HostConfig", "Mounts", 1, "Source"]),
    "HostConfig.Mounts[1].Source",
  );
});

test("formatFieldPath quotes keys that are not plain names", () => {
  assert.equal(
    formatFieldPath(["HostConfig", "PortBindings", "80/tcp", 0]),
    'HostConfig.PortBindings["80/tcp"][0]',
  );
  assert.equal(formatFieldPath(["a.b"]), '["a.b"]');
});
