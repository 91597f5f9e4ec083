import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CONNECT_TIMED_OUT, connectFirst } from "../../src/exapps/connect-first.ts";
import { UpstreamError } from "../../src/engine/upstream-error.ts";

const WHAT = "the ExApp at localhost:23000";

function failing(code: string): Promise<never> {
  return Promise.reject(Object.assign(new Error(code), { code }));
}

async function rejection(promise: Promise<unknown>): Promise<UpstreamError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof UpstreamError);
    return error;
  }
  assert.fail("expected a rejection");
}

describe("connectFirst", () => {
  it("returns the first address that connects", async () => {
    const tried: string[] = [];

    const result = await connectFirst(["::1", "127.0.0.1"], (address) => {
      tried.push(address);
      return address === "::1" ? failing("ECONNREFUSED") : Promise.resolve(address);
    }, WHAT);

    assert.equal(result, "127.0.0.1");
    assert.deepEqual(tried, ["::1", "127.0.0.1"]);
  });

  it("stops at the first success", async () => {
    const tried: string[] = [];

    await connectFirst(["::1", "127.0.0.1"], (address) => {
      tried.push(address);
      return Promise.resolve(address);
    }, WHAT);

    assert.deepEqual(tried, ["::1"]);
  });

  it("returns 502 naming each address when all refuse", async () => {
    const error = await rejection(connectFirst(["::1", "127.0.0.1"],
      () => failing("ECONNREFUSED"), WHAT));

    assert.equal(error.status, 502);
    assert.equal(error.message,
      `Cannot reach ${WHAT} (::1 ECONNREFUSED, 127.0.0.1 ECONNREFUSED)`);
  });

  it("returns 504 when an attempt timed out", async () => {
    const error = await rejection(connectFirst(["::1", "127.0.0.1"],
      (address) => failing(address === "::1" ? CONNECT_TIMED_OUT : "ECONNREFUSED"),
      WHAT));

    assert.equal(error.status, 504);
    assert.match(error.message, /^Timed out connecting to the ExApp/);
  });

  it("returns 502 when the name has no address", async () => {
    const error = await rejection(connectFirst([], () => failing("x"), WHAT));

    assert.equal(error.status, 502);
    assert.match(error.message, /no address found/);
  });
});
