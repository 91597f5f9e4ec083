// Assertions on body checker verdicts, shared by the body policy tests.
import assert from "node:assert/strict";
import type { BodyVerdict } from "../../../src/policy/body/check-body.ts";

/** Asserts that the verdict accepts the body and returns the forwarded JSON. */
export function assertAccepted(verdict: BodyVerdict): string {
  if (!verdict.ok) {
    assert.fail(`expected acceptance, got ${JSON.stringify(verdict.refusal)}`);
  }
  return verdict.json;
}

/** Asserts that the verdict rejects the body under `rule` with `status`. */
export function assertRejected(
  verdict: BodyVerdict,
  rule: string,
  status = 403,
): void {
  if (verdict.ok) assert.fail(`expected ${rule}, got ${verdict.json}`);
  assert.equal(verdict.refusal.rule, rule, verdict.refusal.message);
  assert.equal(verdict.refusal.status, status);
}
