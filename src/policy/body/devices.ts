import * as v from "valibot";
import { describeValue } from "./describe-value.ts";
import { goInteger, INT64_MAX } from "./go-types.ts";
import { isCleanAbsolutePath, isSameOrBelow } from "./host-paths.ts";
import { containerPath } from "./mounts.ts";
import { policyCheck } from "./policy-check.ts";

/** Capability words the NVIDIA container runtime understands. */
export const GPU_CAPABILITIES = [
  "gpu",
  "compute",
  "utility",
  "graphics",
  "video",
  "display",
  "compat32",
] as const;

/** GPU index, UUID (`GPU-…`) or MIG device name. */
const GPU_DEVICE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
/** Fully qualified CDI device name, e.g. `nvidia.com/gpu=all`. */
const CDI_DEVICE_NAME = /^[a-z0-9.-]+\/[a-z0-9.-]+=[A-Za-z0-9_.:-]+$/;
/** One to three distinct letters out of `r`, `w` and `m`. */
const CGROUP_PERMISSIONS = /^(?!.*(.).*\1)[rwm]{1,3}$/;

/**
 * Tells whether a device may be passed through: `path` must be clean and
 * equal one of `allowed` or lie below one (a directory such as `/dev/dri`
 * passes every device in it).
 */
export function isAllowedDevice(
  path: string,
  allowed: readonly string[],
): boolean {
  return isCleanAbsolutePath(path) &&
    allowed.some((base) => isSameOrBelow(path, base));
}

/** Schema for one `HostConfig.Devices` item. */
export function deviceMappingSchema(allowedDevices: readonly string[]) {
  return v.strictObject({
    PathOnHost: v.pipe(
      v.string(),
      policyCheck(
        "body.device",
        (path: string) => isAllowedDevice(path, allowedDevices),
        (input) =>
          `Device ${describeValue(input)} is outside ALLOWED_DEVICES`,
      ),
    ),
    PathInContainer: containerPath,
    CgroupPermissions: v.pipe(v.string(), v.regex(CGROUP_PERMISSIONS)),
  });
}

/**
 * Schema for one `HostConfig.DeviceRequests` item: NVIDIA GPUs through the
 * `nvidia` driver (what AppAPI sends to Docker) or CDI devices (what it
 * sends to Podman). Driver options are rejected.
 */
export const deviceRequestSchema = v.variant("Driver", [
  v.strictObject({
    Driver: v.literal("nvidia"),
    Count: v.optional(goInteger(-1n, INT64_MAX)),
    DeviceIDs: v.optional(v.array(v.pipe(v.string(), v.regex(GPU_DEVICE_ID)))),
    Capabilities: v.optional(v.array(v.array(v.picklist(GPU_CAPABILITIES)))),
  }),
  v.strictObject({
    Driver: v.literal("cdi"),
    DeviceIDs: v.pipe(
      v.array(v.pipe(v.string(), v.regex(CDI_DEVICE_NAME))),
      v.minLength(1),
    ),
  }),
]);
