import * as v from "valibot";
import { type Refusal, refuse } from "../refusal.ts";
import type { BodyPolicy } from "./body-policy.ts";
import { canonicalize } from "./canonicalize.ts";
import { createContainerCreatePolicy } from "./container-create.ts";
import { containerUpdatePolicy } from "./container-update.ts";
import { execCreatePolicy } from "./exec-create.ts";
import { isCleanAbsolutePath } from "./host-paths.ts";
import { refusalFromIssue } from "./issue-refusal.ts";
import { JsonObject } from "./json-value.ts";
import { parseJson } from "./parse-json.ts";
import { serializeJson } from "./serialize-json.ts";
import { volumeCreatePolicy } from "./volume-create.ts";

/** The Docker endpoints whose JSON body the proxy checks. */
export type BodyKind =
  | "containerCreate"
  | "containerUpdate"
  | "execCreate"
  | "volumeCreate";

/** Operator settings that the body rules depend on. */
export interface BodyRules {
  /** Host paths that bind mounts may use, exactly (ALLOWED_BIND_SOURCES). */
  readonly allowedBindSources: readonly string[];
  /** Devices, or directories of them, to pass through (ALLOWED_DEVICES). */
  readonly allowedDevices: readonly string[];
}

/** Request facts that a policy checks beyond the body itself. */
export interface BodyContext {
  /** The `name` query of container create, already validated as nc_app_…. */
  readonly containerName?: string;
}

/** Outcome of a body check: the JSON to forward instead, or a refusal. */
export type BodyVerdict =
  | { readonly ok: true; readonly json: string }
  | { readonly ok: false; readonly refusal: Refusal };

/** Checks one request body against the policy for its endpoint. */
export type BodyChecker = (
  kind: BodyKind,
  body: Uint8Array,
  context: BodyContext,
) => BodyVerdict;

/**
 * Compiles the schemas once; the returned function is pure and never throws.
 *
 * The body is decoded the way the engine's Go decoder reads it, checked,
 * and written out again. The caller forwards `json` in place of the
 * client's bytes, so the engine receives exactly what was checked.
 * Throws a TypeError when a path in `rules` is not clean and absolute.
 */
export function createBodyChecker(rules: BodyRules): BodyChecker {
  checkRulePaths("ALLOWED_BIND_SOURCES", rules.allowedBindSources);
  checkRulePaths("ALLOWED_DEVICES", rules.allowedDevices);
  const policies: Readonly<Record<BodyKind, BodyPolicy>> = {
    containerCreate: createContainerCreatePolicy({
      allowedBindSources: [...rules.allowedBindSources],
      allowedDevices: [...rules.allowedDevices],
    }),
    containerUpdate: containerUpdatePolicy,
    execCreate: execCreatePolicy,
    volumeCreate: volumeCreatePolicy,
  };
  return (kind, body, context) => {
    try {
      if (!Object.hasOwn(policies, kind)) {
        return reject(403, "body.unknown-kind", `Unknown body kind "${kind}"`);
      }
      return checkBody(policies[kind], body, context);
    } catch {
      // A bug must never let a body through unchecked.
      const message = "Request body could not be checked";
      return reject(403, "body.check-failed", message);
    }
  };
}

function checkRulePaths(setting: string, paths: readonly string[]): void {
  for (const path of paths) {
    if (!isCleanAbsolutePath(path)) {
      throw new TypeError(
        `Invalid path ${JSON.stringify(path)} in ${setting}: expected a ` +
          "clean absolute path such as /srv/models",
      );
    }
  }
}

function checkBody(
  policy: BodyPolicy,
  body: Uint8Array,
  context: BodyContext,
): BodyVerdict {
  const parsed = parseJson(body);
  if (!parsed.ok) return parsed;
  if (!(parsed.value instanceof JsonObject)) {
    return reject(400, "body.not-object", "Request body is not a JSON object");
  }
  const canonical = canonicalize(parsed.value, policy.schema);
  if (!canonical.ok) return canonical;
  const result = v.safeParse(policy.schema, canonical.value, {
    abortEarly: true,
  });
  if (!result.success) {
    return { ok: false, refusal: refusalFromIssue(result.issues[0]) };
  }
  const contextRefusal = policy.checkContext(result.output, context);
  if (contextRefusal !== undefined) {
    return { ok: false, refusal: contextRefusal };
  }
  return { ok: true, json: serializeJson(result.output) };
}

function reject(
  status: Refusal["status"],
  rule: string,
  message: string,
): BodyVerdict {
  return { ok: false, refusal: refuse(status, rule, message) };
}
