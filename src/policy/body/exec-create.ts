import * as v from "valibot";
import { type BodyPolicy, defineBodyPolicy } from "./body-policy.ts";
import { stringList, uintPair } from "./go-types.ts";

/**
 * Policy for `POST /containers/{id}/exec`. `Privileged` is not listed, so
 * `false` is dropped and `true` is rejected under any spelling.
 */
export const execCreatePolicy: BodyPolicy = defineBodyPolicy(
  v.strictObject({
    Cmd: v.pipe(stringList, v.minLength(1)),
    AttachStdin: v.optional(v.boolean()),
    AttachStdout: v.optional(v.boolean()),
    AttachStderr: v.optional(v.boolean()),
    Tty: v.optional(v.boolean()),
    Detach: v.optional(v.boolean()),
    DetachKeys: v.optional(v.string()),
    Env: v.optional(stringList),
    WorkingDir: v.optional(v.string()),
    User: v.optional(v.string()),
    ConsoleSize: v.optional(uintPair),
  }),
);
