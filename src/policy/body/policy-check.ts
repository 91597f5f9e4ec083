import * as v from "valibot";

/** Builds the client message for a failed check from the value and path. */
export type DescribeFailure = (input: unknown, fieldPath: string) => string;

/** The rule code and message builder registered for one check. */
export interface PolicyRule {
  /** Stable rule code, e.g. `body.bind-source`. */
  readonly rule: string;
  /** Message builder; `fieldPath` is formatted like `HostConfig.Mounts[1]`. */
  readonly describe: DescribeFailure;
}

const rulesByRequirement = new WeakMap<object, PolicyRule>();

/**
 * Creates a valibot `check` action that carries a rule code and a message
 * builder. Valibot puts the requirement function on every issue it raises,
 * so {@link policyRuleOf} finds both again when the check fails.
 */
export function policyCheck<TInput>(
  rule: string,
  predicate: (input: TInput) => boolean,
  describe: DescribeFailure,
): v.CheckAction<TInput, string> {
  // A fresh function per call keeps registrations apart when two checks
  // share one predicate.
  const requirement = (input: TInput): boolean => predicate(input);
  rulesByRequirement.set(requirement, { rule, describe });
  return v.check(requirement, rule);
}

/** Returns the rule registered for a valibot issue, if it came from one. */
export function policyRuleOf(
  issue: v.BaseIssue<unknown>,
): PolicyRule | undefined {
  const requirement: unknown = issue.requirement;
  if (typeof requirement !== "function") return undefined;
  return rulesByRequirement.get(requirement);
}
