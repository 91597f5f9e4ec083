import * as v from "valibot";
import { type BodyPolicy, defineBodyPolicy } from "./body-policy.ts";
import { resourceEntries, restartPolicy } from "./resources.ts";

/**
 * Policy for `POST /containers/{id}/update`: resource limits and the
 * restart policy. Devices, cgroup settings and the rest of the engine's
 * update body are rejected unless zero.
 */
export const containerUpdatePolicy: BodyPolicy = defineBodyPolicy(
  v.strictObject({
    ...resourceEntries,
    RestartPolicy: v.optional(restartPolicy),
  }),
);
