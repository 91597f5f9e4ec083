import * as v from "valibot";
import { type BodyPolicy, defineBodyPolicy } from "./body-policy.ts";
import { describeValue } from "./describe-value.ts";
import { policyCheck } from "./policy-check.ts";

const VOLUME_NAME = /^nc_app_[A-Za-z0-9_.-]+_data$/;

/**
 * Policy for `POST /volumes/create`: an ExApp's data volume on the local
 * driver. Driver options are rejected, since the local driver's `device`
 * option turns a volume into a bind mount of any host path.
 */
export const volumeCreatePolicy: BodyPolicy = defineBodyPolicy(
  v.strictObject({
    Name: v.pipe(
      v.string(),
      policyCheck(
        "body.volume-name",
        (name: string) => VOLUME_NAME.test(name),
        (input) =>
          `Volume name ${describeValue(input)} does not match ` +
          "nc_app_<app id>_data",
      ),
    ),
    Driver: v.optional(
      v.pipe(
        v.string(),
        policyCheck(
          "body.volume-driver",
          (driver: string) => driver === "" || driver === "local",
          (input) => `Volume driver ${describeValue(input)} is not allowed`,
        ),
      ),
    ),
  }),
);
