import * as v from "valibot";
import { describeValue } from "./describe-value.ts";
import { policyCheck } from "./policy-check.ts";

/**
 * Network or alias name. It has no colon, so `container:<id>` (sharing
 * another container's network namespace) cannot pass.
 */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** Tells whether `name` is a plain network or alias name. */
export function isNetworkName(name: string): boolean {
  return NAME.test(name);
}

/**
 * Schema for `HostConfig.NetworkMode`: a network name such as `bridge`,
 * `host`, `none` or a user-defined network, or `""` for the default.
 */
export const networkModeSchema = v.pipe(
  v.string(),
  policyCheck(
    "body.network-mode",
    (mode: string) => mode === "" || isNetworkName(mode),
    (input) => `Network mode ${describeValue(input)} is not allowed`,
  ),
);

/** Schema for `NetworkingConfig`: per-network aliases and nothing else. */
export const networkingConfigSchema = v.strictObject({
  EndpointsConfig: v.optional(v.record(
    v.pipe(
      v.string(),
      policyCheck(
        "body.network-mode",
        isNetworkName,
        (input) => `Network ${describeValue(input)} is not allowed`,
      ),
    ),
    v.strictObject({
      Aliases: v.optional(v.array(v.pipe(v.string(), v.regex(NAME)))),
    }),
  )),
});
