import * as v from "valibot";
import { goInteger, INT64_MAX } from "./go-types.ts";

const nonNegative = goInteger(0n, INT64_MAX);
/** `-1` means "no limit" for swap, CPU quota and the PID limit. */
const minusOneOrMore = goInteger(-1n, INT64_MAX);
/** CPU or memory node list as cgroups take it, e.g. `0-3,5`. */
const cpuSet = v.pipe(
  v.string(),
  v.regex(/^(?:[0-9]+(?:-[0-9]+)?(?:,[0-9]+(?:-[0-9]+)?)*)?$/),
);

/**
 * Resource limits that container create and update may set. They only
 * restrict the container, so any value in range is safe.
 */
export const resourceEntries = {
  Memory: v.optional(nonNegative),
  MemoryReservation: v.optional(nonNegative),
  MemorySwap: v.optional(minusOneOrMore),
  NanoCpus: v.optional(nonNegative),
  CpuShares: v.optional(nonNegative),
  CpuPeriod: v.optional(nonNegative),
  CpuQuota: v.optional(minusOneOrMore),
  CpusetCpus: v.optional(cpuSet),
  CpusetMems: v.optional(cpuSet),
  PidsLimit: v.optional(minusOneOrMore),
  // The docker CLI sends -1 ("the engine's default") with every create.
  MemorySwappiness: v.optional(goInteger(-1n, 100n)),
};

/** Restart policy; `""` and `no` both mean "never restart". */
export const restartPolicy = v.strictObject({
  Name: v.optional(
    v.picklist(["", "no", "always", "unless-stopped", "on-failure"]),
  ),
  MaximumRetryCount: v.optional(nonNegative),
});
