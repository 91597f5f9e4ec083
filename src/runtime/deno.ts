import type { Runtime } from "./types.ts";
import { nodeRuntime } from "./node.ts";

/** The parts of the Deno namespace the adapter uses. */
interface DenoApi {
  readonly args: string[];
  readonly env: { get(name: string): string | undefined };
  addSignalListener(signal: string, handler: () => void): void;
  exit(code: number): never;
}

/**
 * The runtime adapter for Deno: arguments, environment, signals and
 * exit come from the Deno namespace; files, hashing and output use
 * Deno's Node compatibility, which the servers need anyway. It reads
 * only the variables named in `variableNames`, so that `--allow-env` can
 * list exactly those.
 */
export function denoRuntime(variableNames: readonly string[]): Runtime {
  const deno = (globalThis as unknown as { Deno: DenoApi }).Deno;
  return {
    ...nodeRuntime,
    name: "deno",
    args: deno.args,
    env: () => {
      const values: Record<string, string | undefined> = {};
      for (const name of variableNames) values[name] = deno.env.get(name);
      return values;
    },
    onSignal: (signal, handler) => deno.addSignalListener(signal, handler),
    exit: (code) => deno.exit(code),
  };
}
