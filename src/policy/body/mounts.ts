import * as v from "valibot";
import { type Refusal, refuse } from "../refusal.ts";
import { describeValue } from "./describe-value.ts";
import { isCleanAbsolutePath, isContainerPath } from "./host-paths.ts";
import { policyCheck } from "./policy-check.ts";

/** Schema for an absolute path inside the container. */
export const containerPath = v.pipe(
  v.string(),
  policyCheck(
    "body.invalid-path",
    isContainerPath,
    (input, fieldPath) =>
      `Field "${fieldPath}" has invalid value ${describeValue(input)}: ` +
      'expected an absolute path without "." or ".." segments',
  ),
);

/**
 * Tells whether a bind mount may use host path `source`: it must be
 * clean and equal one of `allowed`. Paths below an allowed source are
 * rejected on purpose. A container that can write into an allowed source
 * could plant a symbolic link there (`models/x -> /`). The engine follows
 * links in the source, so a later bind of `models/x` would mount the
 * host's root.
 */
export function isAllowedBindSource(
  source: string,
  allowed: readonly string[],
): boolean {
  return isCleanAbsolutePath(source) && allowed.includes(source);
}

/**
 * Schema for one `HostConfig.Mounts` item: a volume (its name is checked
 * against the request by {@link checkVolumeSources}) or a bind of an
 * allowed host path. Other types and every option block are rejected.
 */
export function mountSchema(allowedBindSources: readonly string[]) {
  const volume = v.strictObject({
    Type: v.literal("volume"),
    Source: v.string(),
    Target: containerPath,
    ReadOnly: v.optional(v.boolean()),
  });
  const bind = v.strictObject({
    Type: v.literal("bind"),
    Source: v.pipe(
      v.string(),
      policyCheck(
        "body.bind-source",
        (source: string) => isAllowedBindSource(source, allowedBindSources),
        (input) =>
          `Mount source ${describeValue(input)} is outside ` +
          "ALLOWED_BIND_SOURCES",
      ),
    ),
    Target: containerPath,
    ReadOnly: v.optional(v.boolean()),
  });
  return v.variant("Type", [volume, bind]);
}

/** A validated mount as {@link checkVolumeSources} reads it. */
interface CheckedMount {
  readonly Type: string;
  readonly Source: string;
}

/**
 * Checks that every volume mount uses the container's own volume,
 * `<container name>_data`; without a container name no volume may be
 * mounted at all.
 */
export function checkVolumeSources(
  mounts: readonly CheckedMount[] | undefined,
  containerName: string | undefined,
): Refusal | undefined {
  for (const mount of mounts ?? []) {
    if (mount.Type !== "volume") continue;
    if (containerName === undefined) {
      const message = `Volume mount ${describeValue(mount.Source)} needs ` +
        "the container name in the query";
      return refuse(403, "body.volume-source", message);
    }
    const ownVolume = `${containerName}_data`;
    if (mount.Source !== ownVolume) {
      const message = `Volume ${describeValue(mount.Source)} is not this ` +
        `container's volume "${ownVolume}"`;
      return refuse(403, "body.volume-source", message);
    }
  }
  return undefined;
}
