import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkArchiveStart } from "../../src/policy/archive.ts";

describe("checkArchiveStart", () => {
  const compressed: readonly [string, number[]][] = [
    ["gzip", [0x1f, 0x8b, 0x08, 0x00]],
    ["bzip2", [0x42, 0x5a, 0x68, 0x39]],
    ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
    ["zstd", [0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00]],
    ["zstd skippable frame 0x184D2A50", [0x50, 0x2a, 0x4d, 0x18, 0x04, 0x00]],
    ["zstd skippable frame 0x184D2A5F", [0x5f, 0x2a, 0x4d, 0x18, 0x04, 0x00]],
  ];
  for (const [name, bytes] of compressed) {
    it(`refuses ${name}`, () => {
      const refusal = checkArchiveStart(Uint8Array.from(bytes));
      assert.equal(refusal?.rule, "archive.compressed");
      assert.equal(refusal?.status, 403);
    });
  }

  const plain: readonly [string, Uint8Array][] = [
    ["a ustar header", new TextEncoder().encode("usr/local/share/ca-cert")],
    ["an empty body", new Uint8Array(0)],
    ["one byte", Uint8Array.of(0x1f)],
    ["0x184D2A60, past the skippable range", Uint8Array.of(0x60, 0x2a, 0x4d, 0x18)],
  ];
  for (const [name, bytes] of plain) {
    it(`accepts ${name}`, () => {
      assert.equal(checkArchiveStart(bytes), undefined);
    });
  }
});
