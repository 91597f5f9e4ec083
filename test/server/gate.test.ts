import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createBanStore } from "../../src/ban/ban-store.ts";
import { createLogger } from "../../src/log/logger.ts";
import { createGate } from "../../src/server/gate.ts";

function gateWithBans(maxFailures: number) {
  const logger = createLogger({ format: "text", level: "error", write: () => {} });
  const bans = createBanStore({
    maxFailures,
    windowMs: 60_000,
    durationMs: 60_000,
    isExempt: () => false,
    logger,
  });
  const gate = createGate({
    bans,
    isAuthorized: (header) => header === "Basic good",
    ownership: {
      container: () => Promise.reject(new Error("ownership is not looked up in this test")),
      exec: () => Promise.reject(new Error("ownership is not looked up in this test")),
    },
  });
  return { gate, bans };
}

describe("gate.isBanned", () => {
  it("is false while no ban is in force", () => {
    const { gate, bans } = gateWithBans(2);
    assert.equal(gate.authenticate("192.0.2.1", "Basic bad"), false);
    assert.equal(bans.activeBans(), 0);
    assert.equal(gate.isBanned("192.0.2.1"), false);
  });

  it("bans the source past the failure limit", () => {
    const { gate, bans } = gateWithBans(2);
    for (let i = 0; i < 3; i++) gate.authenticate("192.0.2.1", "Basic bad");
    assert.equal(bans.activeBans(), 1);
    assert.equal(gate.isBanned("192.0.2.1"), true);
    assert.equal(gate.isBanned("::ffff:192.0.2.1"), true);
    assert.equal(gate.isBanned("192.0.2.2"), false);
  });

  it("bans an IPv6 source by its /64", () => {
    const { gate } = gateWithBans(0);
    gate.authenticate("2001:db8:1:2::1", "Basic bad");
    assert.equal(gate.isBanned("2001:db8:1:2::ffff"), true);
    assert.equal(gate.isBanned("2001:db8:1:3::1"), false);
  });
});
