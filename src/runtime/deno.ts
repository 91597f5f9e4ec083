import type { Runtime } from "./types.ts";
import { nodeRuntime } from "./node.ts";

/** The parts of the Deno namespace the adapter uses. */
interface DenoApi {
  readonly args: string[];
  readonly env: { toObject(): Record<string, string> };
  addSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
}

/**
 * The runtime adapter for Deno: arguments, environment, signals and
 * exit come from the Deno namespace; files, hashing and output use
 * Deno's Node compatibility, which the servers need anyway.
 */
export function denoRuntime(): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
  return {
    ...nodeRuntime,
    name: "deno",
    args: deno.args,
    env: () => deno.env.toObject(),
    onSignal: (signal, handler) => deno.addSignalListener(signal, handler),
    exit: (code) => deno.exit(code),
  };
}
