import http from "node:http";
import https from "node:https";
import { APPAPI_USER } from "../auth/basic-auth.ts";
import type { Config } from "../config/types.ts";
import { startContainers } from "../engine/autostart.ts";
import { createEngineApi } from "../forward/node.ts";
import { createLogger } from "../log/logger.ts";
import type { Runtime } from "../runtime/types.ts";
import { SHUTDOWN_GRACE_MS, startServer } from "../server/node.ts";
import { CertificateError, logCertificate } from "../tls/certificate.ts";
import { loadCertificate } from "../tls/node.ts";
import type { Logger } from "../log/logger.ts";
import type { Commands } from "./cli.ts";
import { EXIT_CONFIG, EXIT_LISTEN } from "./cli.ts";
import { describeConfig } from "./describe-config.ts";

/** How long the health check waits for the listener. */
const HEALTHCHECK_TIMEOUT_MS = 3_000;

async function serve(
  config: Config,
  runtime: Runtime,
  warnings: string[],
): Promise<number> {
  const logger = createLogger({
    format: config.logFormat,
    level: config.logLevel,
    write: runtime.writeOut,
  });
  const tls = runtime.fileExists(config.certFile);
  logger.info("starting",
    { runtime: runtime.name, ...describeConfig(config, tls) });
  for (const warning of warnings) logger.warn("configuration", { warning });
  // One broken connection must not take the others down with it; the
  // error is logged with its stack so that it can be fixed.
  runtime.onUncaughtError((error) => {
    logger.error("uncaught error", {
      error: (error as Error)?.stack ?? String(error),
    });
  });
  let socketError: string | undefined;
  try {
    if (!runtime.fileExists(config.dockerSocket)) socketError = "not found";
  } catch (error) {
    socketError = (error as Error).message;
  }
  if (socketError !== undefined) {
    logger.error("docker socket missing", {
      path: config.dockerSocket,
      error: socketError,
      reason: "requests get 502 until it appears",
    });
  }
  let proxy;
  try {
    proxy = await startServer(config, runtime, logger);
  } catch (error) {
    if (error instanceof CertificateError) {
      logger.error("certificate invalid", { error: error.message });
      return EXIT_CONFIG;
    }
    logger.error("listen failed", { error: (error as Error).message });
    return EXIT_LISTEN;
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("stopping", { signal, grace_ms: SHUTDOWN_GRACE_MS });
    void proxy.shutdown(SHUTDOWN_GRACE_MS).then(() => {
      logger.info("stopped");
      runtime.exit(0);
    });
  };
  runtime.onSignal("SIGTERM", () => stop("SIGTERM"));
  runtime.onSignal("SIGINT", () => stop("SIGINT"));
  if (config.autostartContainers) {
    await startContainers(createEngineApi(proxy.engine), logger);
  }
  return new Promise<number>(() => {});
}

/** Asks the local listener for `/_ping`; any HTTP response means healthy. */
function healthcheck(config: Config, runtime: Runtime): Promise<number> {
  const tls = runtime.fileExists(config.certFile);
  const host = config.bindAddress ?? "127.0.0.1";
  const token = Buffer.from(`${APPAPI_USER}:${config.password}`)
    .toString("base64");
  return new Promise((resolve) => {
    const request = (tls ? https : http).request({
      host,
      port: config.port,
      path: "/_ping",
      headers: { authorization: `Basic ${token}` },
      timeout: HEALTHCHECK_TIMEOUT_MS,
      // The check is whether this host's listener responds; the
      // certificate's name need not match the address it dials.
      rejectUnauthorized: false,
    }, (response) => {
      response.resume();
      runtime.writeOut(`healthy: /_ping answered ${response.statusCode}\n`);
      resolve(0);
    });
    request.on("timeout", () => request.destroy(new Error("timed out")));
    request.on("error", (error) => {
      runtime.writeErr(`unhealthy: ${host}:${config.port}: ${error.message}\n`);
      resolve(1);
    });
    request.end();
  });
}

/** Loads CERT_FILE as serving would, and logs its details. */
function checkCertificate(config: Config, logger: Logger): string | undefined {
  try {
    const { info } = loadCertificate(config.certFile);
    logCertificate(logger, "certificate", info, Date.now(),
      { file: config.certFile });
    return undefined;
  } catch (error) {
    if (error instanceof CertificateError) return error.message;
    throw error;
  }
}

/** The socket-using commands, on Node's APIs (Deno runs them as well). */
export const nodeCommands: Commands = { serve, healthcheck, checkCertificate };
