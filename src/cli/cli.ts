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
  readonly serve: (config: Config, runtime: Runtime) => Promise<number>;
  readonly healthcheck: (config: Config, runtime: Runtime) => Promise<number>;
  /** Loads CERT_FILE and logs what it holds; returns an error message. */
  readonly checkCertificate: (config: Config, logger: Logger) =>
    string | undefined;
}

function configOrExit(runtime: Runtime): Config | undefined {
  const result = loadConfig(runtime.env(), runtime.readTextFile);
  if (!result.ok) {
    runtime.writeErr(`appapi-dsp: ${result.error}\n`);
    return undefined;
  }
  for (const warning of result.warnings) {
    runtime.writeErr(`appapi-dsp: warning: ${warning}\n`);
  }
  return result.config;
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
  const config = configOrExit(runtime);
  if (config === undefined) return EXIT_CONFIG;
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
  if (command === "healthcheck") return commands.healthcheck(config, runtime);
  return commands.serve(config, runtime);
}
