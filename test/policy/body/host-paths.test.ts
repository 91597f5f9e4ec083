import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isCleanAbsolutePath,
  isContainerPath,
  isSameOrBelow,
} from "../../../src/policy/body/host-paths.ts";

const cleanPaths = ["/", "/srv", "/srv/models", "/dev/dri/card0", "/a..b"];
const uncleanPaths = [
  "", "srv", "./srv", "/srv/", "//srv", "/srv//models", "/srv/./models",
  "/srv/..", "/srv/../etc", "/.", "/srv\u0000", "/srv\nx",
];

for (const path of cleanPaths) {
  test(`isCleanAbsolutePath accepts ${JSON.stringify(path)}`, () => {
    assert.equal(isCleanAbsolutePath(path), true);
  });
}

for (const path of uncleanPaths) {
  test(`isCleanAbsolutePath rejects ${JSON.stringify(path)}`, () => {
    assert.equal(isCleanAbsolutePath(path), false);
  });
}

test("isContainerPath allows trailing and doubled slashes", () => {
  assert.equal(isContainerPath("/models/"), true);
  assert.equal(isContainerPath("//models"), true);
});

test("isContainerPath rejects relative and dot segments", () => {
  for (const path of ["models", "/a/../b", "/a/.", "/..", "/a\u0000"]) {
    assert.equal(isContainerPath(path), false, path);
  }
});

test("isSameOrBelow matches at segment boundaries only", () => {
  assert.equal(isSameOrBelow("/dev/dri", "/dev/dri"), true);
  assert.equal(isSameOrBelow("/dev/dri/card0", "/dev/dri"), true);
  assert.equal(isSameOrBelow("/dev/dri2", "/dev/dri"), false);
  assert.equal(isSameOrBelow("/dev", "/dev/dri"), false);
  assert.equal(isSameOrBelow("/anything", "/"), true);
});
