import type * as v from "valibot";
import { type Refusal, refuse } from "../refusal.ts";
import { formatFieldPath, type PathSegment } from "./field-path.ts";
import { describeValue } from "./describe-value.ts";
import { policyRuleOf } from "./policy-check.ts";

/**
 * Turns the first valibot issue into a 403 refusal: a registered policy
 * check supplies its own rule and message, and every other issue gets a
 * generic message that names the field path.
 */
export function refusalFromIssue(issue: v.BaseIssue<unknown>): Refusal {
  const fieldPath = formatFieldPath(issuePath(issue));
  const policyRule = policyRuleOf(issue);
  if (policyRule !== undefined) {
    return refuse(
      403,
      policyRule.rule,
      policyRule.describe(issue.input, fieldPath),
    );
  }
  if (issue.input === undefined && issue.received === "undefined") {
    const message = `Field "${fieldPath}" is required`;
    return refuse(403, "body.missing-field", message);
  }
  if (issue.expected === "never") {
    const message = `Field "${fieldPath}" is not allowed`;
    return refuse(403, "body.field-not-allowed", message);
  }
  const expected = issue.expected === "JsonNumber"
    ? "integer"
    : issue.expected ?? issue.type.replaceAll("_", " ");
  const message = `Field "${fieldPath}" has invalid value ` +
    `${describeValue(issue.input)}: expected ${expected}`;
  return refuse(403, "body.invalid-value", message);
}

function issuePath(issue: v.BaseIssue<unknown>): PathSegment[] {
  return (issue.path ?? []).map((item) =>
    typeof item.key === "number" ? item.key : String(item.key)
  );
}
