import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createIdleTimers } from "../../src/exapps/idle-timers.ts";

/** Records each switch as `client:on`, `upstream:off` and so on. */
function recorder() {
  const calls: string[] = [];
  const timers = createIdleTimers({
    client: (armed) => calls.push(`client:${armed ? "on" : "off"}`),
    upstream: (armed) => calls.push(`upstream:${armed ? "on" : "off"}`),
  });
  return { calls, timers };
}

describe("createIdleTimers", () => {
  it("times the client while the request body is coming", () => {
    const { calls } = recorder();

    assert.deepEqual(calls, ["client:on", "upstream:off"]);
  });

  it("times only the ExApp once the request is complete", () => {
    const { calls, timers } = recorder();
    calls.length = 0;

    timers.requestEnded();

    assert.deepEqual(calls, ["client:off", "upstream:on"]);
  });

  it("times the ExApp while it is slow to take the body", () => {
    const { calls, timers } = recorder();
    calls.length = 0;

    timers.uploadBlocked(true);
    timers.uploadBlocked(false);

    assert.deepEqual(calls,
      ["client:off", "upstream:on", "client:on", "upstream:off"]);
  });

  it("times the client while it is slow to take the answer", () => {
    const { calls, timers } = recorder();
    timers.requestEnded();
    calls.length = 0;

    timers.downloadBlocked(true);
    timers.downloadBlocked(false);

    assert.deepEqual(calls,
      ["client:on", "upstream:off", "client:off", "upstream:on"]);
  });

  it("stops both timers when the answer is complete", () => {
    const { calls, timers } = recorder();
    timers.requestEnded();
    calls.length = 0;

    timers.responseEnded();

    assert.deepEqual(calls, ["upstream:off"]);
  });

  it("switches nothing when the state does not change", () => {
    const { calls, timers } = recorder();
    timers.requestEnded();
    calls.length = 0;

    timers.requestEnded();
    timers.uploadBlocked(false);

    assert.deepEqual(calls, []);
  });
});
