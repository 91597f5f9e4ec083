import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBanStore } from "../../src/ban/ban-store.ts";
import { createLogger } from "../../src/log/logger.ts";

function setup(overrides: { maxSources?: number; exempt?: string[] } = {}) {
  let time = 1_000_000;
  const lines: string[] = [];
  const store = createBanStore({
    maxFailures: 5,
    windowMs: 300_000,
    durationMs: 900_000,
    isExempt: (key) => (overrides.exempt ?? []).includes(key),
    logger: createLogger({ format: "json", level: "debug", write: (l) => lines.push(l) }),
    now: () => time,
    ...(overrides.maxSources === undefined ? {} : { maxSources: overrides.maxSources }),
  });
  return {
    store,
    lines,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

describe("createBanStore", () => {
  it("bans on the sixth failure within the window", () => {
    const { store } = setup();
    for (let i = 0; i < 5; i++) {
      assert.equal(store.recordFailure("192.0.2.1"), false);
      assert.equal(store.isBanned("192.0.2.1"), false);
    }
    assert.equal(store.recordFailure("192.0.2.1"), true);
    assert.equal(store.isBanned("192.0.2.1"), true);
    assert.equal(store.isBanned("192.0.2.2"), false);
  });

  it("forgets failures older than the window", () => {
    const { store, advance } = setup();
    for (let i = 0; i < 5; i++) store.recordFailure("192.0.2.1");
    advance(300_001);
    assert.equal(store.recordFailure("192.0.2.1"), false);
    assert.equal(store.isBanned("192.0.2.1"), false);
  });

  it("lifts the ban after its duration and logs each change once", () => {
    const { store, lines, advance } = setup();
    for (let i = 0; i < 6; i++) store.recordFailure("192.0.2.1");
    advance(899_999);
    assert.equal(store.isBanned("192.0.2.1"), true);
    advance(2);
    store.sweep();
    assert.equal(store.isBanned("192.0.2.1"), false);
    const events = lines.map((line) => JSON.parse(line).event);
    assert.deepEqual(events, ["ban started", "ban lifted"]);
  });

  it("never bans an exempt source", () => {
    const { store } = setup({ exempt: ["10.0.0.1"] });
    for (let i = 0; i < 20; i++) store.recordFailure("10.0.0.1");
    assert.equal(store.isBanned("10.0.0.1"), false);
  });

  it("stays bounded under a flood of distinct sources", () => {
    const { store } = setup({ maxSources: 1000 });
    for (let i = 0; i < 6; i++) store.recordFailure("198.51.100.7");
    for (let i = 0; i < 50_000; i++) store.recordFailure(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    assert.equal(store.isBanned("198.51.100.7"), true);
    assert.equal(store.activeBans(), 1);
  });

  it("counts each ban in the total", () => {
    const { store } = setup();
    for (const source of ["192.0.2.1", "192.0.2.2"]) {
      for (let i = 0; i < 6; i++) store.recordFailure(source);
    }
    assert.equal(store.totalBans(), 2);
    assert.equal(store.activeBans(), 2);
  });
});
