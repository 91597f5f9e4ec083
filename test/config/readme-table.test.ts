import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { VARIABLES } from "../../src/config/variables.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

/** Rows of the README's configuration table: name, default, meaning. */
function tableRows(): string[][] {
  return readme.split("\n")
    .filter((line) => /^\| `[A-Z_]+` \|/.test(line))
    .map((line) => line.split("|").slice(1, -1).map((cell) => cell.trim()));
}

function shownDefault(fallback: string | undefined): string {
  if (fallback === undefined) return "–";
  return fallback === "" ? "(empty)" : `\`${fallback}\``;
}

describe("README configuration table", () => {
  it("lists every variable in schema order", () => {
    const names = tableRows().map((row) => row[0]);
    assert.deepEqual(names, Object.values(VARIABLES).map((item) => `\`${item.name}\``));
  });

  for (const item of Object.values(VARIABLES)) {
    it(`shows the default and meaning of ${item.name}`, () => {
      const row = tableRows().find((cells) => cells[0] === `\`${item.name}\``);
      assert.ok(row, `${item.name} is missing`);
      assert.equal(row[1], shownDefault(item.fallback));
      assert.equal(row[2], item.meaning);
    });
  }
});
