import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../src/log/logger.ts";
import type { Level } from "../../src/log/logger.ts";

const time = new Date("2026-12-04T10:00:00.000Z");

function linesOf(format: "text" | "json", level: Level = "debug") {
  const lines: string[] = [];
  const logger = createLogger({
    format,
    level,
    write: (line) => lines.push(line),
    now: () => time,
  });
  return { logger, lines };
}

describe("createLogger", () => {
  it("writes an access line as key=value text", () => {
    const { logger, lines } = linesOf("text");
    logger.info("request", {
      client: "127.0.0.1",
      method: "GET",
      path: "/_ping",
      status: 200,
      duration_ms: 0.42,
      rule: undefined,
    });
    assert.deepEqual(lines, [
      "2026-12-04T10:00:00.000Z INFO  request client=127.0.0.1 method=GET " +
        "path=/_ping status=200 duration_ms=0.42\n",
    ]);
  });

  it("pads every level to one width", () => {
    const { logger, lines } = linesOf("text");
    logger.debug("a");
    logger.info("b");
    logger.warn("c");
    logger.error("d");
    assert.deepEqual(lines.map((line) => line.slice(25)), [
      "DEBUG a\n",
      "INFO  b\n",
      "WARN  c\n",
      "ERROR d\n",
    ]);
  });

  it("quotes text values that need it", () => {
    const { logger, lines } = linesOf("text");
    logger.warn("denied", {
      reason: 'has "quotes" = and spaces',
      empty: "",
      slash: "a\\b",
      negative: -1,
      flag: false,
    });
    assert.equal(lines[0],
      "2026-12-04T10:00:00.000Z WARN  denied " +
        'reason="has \\"quotes\\" = and spaces" empty="" slash="a\\\\b" ' +
        "negative=-1 flag=false\n");
  });

  it("writes one JSON object per line", () => {
    const { logger, lines } = linesOf("json");
    logger.error("upstream failed", { status: 502, reason: undefined });
    assert.deepEqual(JSON.parse(lines[0] ?? ""), {
      time: "2026-12-04T10:00:00.000Z",
      level: "error",
      event: "upstream failed",
      status: 502,
    });
  });

  it("drops entries below the level", () => {
    const { logger, lines } = linesOf("text", "warn");
    logger.info("request");
    logger.warn("denied");
    assert.equal(lines.length, 1);
    assert.equal(logger.enabled("info"), false);
    assert.equal(logger.enabled("error"), true);
  });
});
