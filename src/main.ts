import { runCli } from "./cli/cli.ts";
import { nodeCommands } from "./cli/node.ts";
import { denoRuntime } from "./runtime/deno.ts";
import { nodeRuntime } from "./runtime/node.ts";

const runtime = "Deno" in globalThis ? denoRuntime() : nodeRuntime;
void runCli(runtime, nodeCommands).then((code) => runtime.exit(code));
