import { runCli } from "./cli/cli.ts";
import { nodeCommands } from "./cli/node.ts";
import { VARIABLES } from "./config/variables.ts";
import { denoRuntime } from "./runtime/deno.ts";
import { nodeRuntime } from "./runtime/node.ts";

const runtime = "Deno" in globalThis
  ? denoRuntime(Object.values(VARIABLES).map((variable) => variable.name))
  : nodeRuntime;
void runCli(runtime, nodeCommands).then((code) => runtime.exit(code));
