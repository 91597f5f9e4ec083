import type * as v from "valibot";
import type { Refusal } from "../refusal.ts";
import type { BodyContext } from "./check-body.ts";
import type { AnySchema } from "./schema-shape.ts";

/** The rules for one endpoint's JSON body: a schema and a context check. */
export interface BodyPolicy {
  /** Strict schema of the canonical body; its output is what is forwarded. */
  readonly schema: AnySchema;
  /** Checks the validated output against the request context. */
  readonly checkContext: (
    output: unknown,
    context: BodyContext,
  ) => Refusal | undefined;
}

/**
 * Pairs a schema with a context check typed by the schema's output, so
 * that each endpoint file states its rules without casts.
 */
export function defineBodyPolicy<TSchema extends AnySchema>(
  schema: TSchema,
  checkContext?: (
    output: v.InferOutput<TSchema>,
    context: BodyContext,
  ) => Refusal | undefined,
): BodyPolicy {
  return {
    schema,
    checkContext: (output, context) =>
      checkContext?.(output as v.InferOutput<TSchema>, context),
  };
}
