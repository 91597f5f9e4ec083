import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { exAppPorts, formatPortRanges } from "../../src/exapps/ports.ts";

describe("exAppPorts", () => {
  it("counts up from 23000", () => {
    assert.deepEqual(exAppPorts(3), [23000, 23001, 23002]);
  });
});

describe("formatPortRanges", () => {
  it("joins consecutive ports into ranges", () => {
    assert.equal(formatPortRanges([23000, 23001, 23002, 23005, 23007, 23008]),
      "23000-23002,23005,23007-23008");
  });

  it("returns an empty text for no ports", () => {
    assert.equal(formatPortRanges([]), "");
  });
});
