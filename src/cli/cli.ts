import { loadConfig } from "../config/load-config.ts";
import type { Config } from "../config/types.ts";
import { createLogger } from "../log/logger.ts";
import type { Logger } from "../log/logger.ts";
import type { Runtime } from "../runtime/types.ts";
import { describeConfig } from "./describe-config.ts";
import { helpText, VERSION } from "./help.ts";

/** Exit code for a configuration error. */
export const EXIT_CONFIG = 1;
/** Exit code when a listener cannot start (port in use, no permission). */
export const EXIT_LISTEN = 2;

/** Entry points of the commands that need sockets, per runtime. */
export interface Commands {
  /** Serves until a signal; `warnings` go to the log once it is set up. */
  readonly serve: (config: Config, runtime: Runtime, warnings: string[]) =>
    Promise<number>;
  readonly healthcheck: (config: Config, runtime: Runtime) => Promise<number>;
  /** Loads CERT_FILE and logs what it holds; returns an error message. */
  readonly checkCertificate: (config: Config, logger: Logger) =>
    string | undefined;
}

/** Loads the configuration, or writes why it failed and returns nothing. */
function configOrExit(runtime: Runtime) {
  const result = loadConfig(runtime.env(), runtime.readTextFile);
  if (!result.ok) {
    runtime.writeErr(`appapi-dsp: ${result.error}\n`);
    return undefined;
  }
  const { certFile } = result.config;
  try {
    runtime.fileExists(certFile);
  } catch (error) {
    // A certificate that exists but cannot be seen must not quietly
    // turn TLS off.
    runtime.writeErr(`appapi-dsp: Cannot check CERT_FILE ` +
      `${JSON.stringify(certFile)}: ${(error as Error).message}: make ` +
      "its folder and the file readable to the proxy's user\n");
    return undefined;
  }
  return result;
}

/** Runs the command named by the arguments and returns its exit code. */
export async function runCli(
  runtime: Runtime,
  commands: Commands,
): Promise<number> {
  const [command, ...rest] = runtime.args;
  if (command === "--help" || command === "-h" || command === "help") {
    runtime.writeOut(helpText());
    return 0;
  }
  if (command === "--version" || command === "-v" || command === "version") {
    runtime.writeOut(`appapi-dsp ${VERSION}\n`);
    return 0;
  }
  const known = [undefined, "serve", "healthcheck", "check-config"];
  if (!known.includes(command) || rest.length > 0) {
    runtime.writeErr(
      `appapi-dsp: unknown arguments ${JSON.stringify(runtime.args)}: ` +
        "expected serve, healthcheck, check-config, --help or --version\n");
    return EXIT_CONFIG;
  }
  const loaded = configOrExit(runtime);
  if (loaded === undefined) return EXIT_CONFIG;
  const { config, warnings } = loaded;
  if (command === undefined || command === "serve") {
    return commands.serve(config, runtime, warnings);
  }
  for (const warning of warnings) {
    runtime.writeErr(`appapi-dsp: warning: ${warning}\n`);
  }
  if (command === "check-config") {
    const tls = runtime.fileExists(config.certFile);
    const logger = createLogger({
      format: config.logFormat, level: "info", write: runtime.writeOut,
    });
    logger.info("configuration", describeConfig(config, tls));
    if (!tls) return 0;
    const error = commands.checkCertificate(config, logger);
    if (error === undefined) return 0;
    runtime.writeErr(`appapi-dsp: ${error}\n`);
    return EXIT_CONFIG;
  }
  return commands.healthcheck(config, runtime);
}
