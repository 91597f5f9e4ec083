import type { Server } from "node:net";
import type { SecureContextOptions } from "node:tls";
import { clearInterval, setInterval, setTimeout } from "node:timers";
import { createBasicAuth } from "../auth/basic-auth.ts";
import { createBanStore } from "../ban/ban-store.ts";
import { cidrContains } from "../config/address.ts";
import type { Config } from "../config/types.ts";
import { createOwnership } from "../engine/ownership.ts";
import { createEngineApi, createEngineTarget } from "../forward/node.ts";
import type { EngineTarget } from "../forward/node.ts";
import { startExAppFrontends } from "../exapps/node.ts";
import type { ExAppFrontendOptions, ExAppFrontends } from "../exapps/node.ts";
import type { HoldSocket } from "../exchange/node.ts";
import { createUpgradeHandler } from "../hijack/node.ts";
import {
  createConnectionLimit,
  createHttpServer,
  createSocketHolder,
  isHttpsServer,
  listen,
} from "../listener/node.ts";
import type {
  ConnectionLimit,
  Handler,
  RequestServer,
} from "../listener/node.ts";
import type { Logger } from "../log/logger.ts";
import { startMetricsServer } from "../metrics/node.ts";
import { createProxyMetrics } from "../metrics/proxy-metrics.ts";
import { createBodyChecker } from "../policy/body/check-body.ts";
import type { Runtime } from "../runtime/types.ts";
import { logCertificate } from "../tls/certificate.ts";
import { createCertificateReloader, loadCertificate } from "../tls/node.ts";
import type { CertificateReloader, LoadedCertificate } from "../tls/node.ts";
import { createApp } from "./app.ts";
import { createGate } from "./gate.ts";
import type { Gate } from "./gate.ts";
import type { RequestObserver } from "./audit.ts";

/** How often expired bans are lifted and logged. */
const BAN_SWEEP_INTERVAL_MS = 10_000;
/** How long in-flight requests may run on after SIGTERM. */
export const SHUTDOWN_GRACE_MS = 5_000;

/** A running proxy. */
export interface RunningProxy {
  readonly engine: EngineTarget;
  /** Stops accepting, lets in-flight requests finish, then resolves. */
  readonly shutdown: (graceMs: number) => Promise<void>;
}

/** Builds every part from the configuration and starts the listeners. */
export async function startServer(
  config: Config,
  runtime: Runtime,
  logger: Logger,
): Promise<RunningProxy> {
  const certificate = loadTls(config, runtime, logger);
  const bans = createBanStore({
    maxFailures: config.banMaxFailures,
    windowMs: config.banWindowMs,
    durationMs: config.banDurationMs,
    isExempt: (key) => config.banExempt.some((range) =>
      cidrContains(range, key.replace(/\/64$/, ""))),
    logger,
  });
  const sweeper = setInterval(bans.sweep, BAN_SWEEP_INTERVAL_MS);
  sweeper.unref();
  const engine = createEngineTarget({
    socketPath: config.dockerSocket,
    connectTimeoutMs: config.connectTimeoutMs,
    serverTimeoutMs: config.serverTimeoutMs,
  });
  const gate = createGate({
    bans,
    isAuthorized: createBasicAuth(config.password, runtime.digest),
    ownership: createOwnership(createEngineApi(engine)),
  });
  const checkBody = createBodyChecker({
    allowedBindSources: config.allowedBindSources,
    allowedDevices: config.allowedDevices,
  });
  const holder = createSocketHolder({
    maxHeld: config.banMaxHeld,
    holdMs: config.clientTimeoutMs,
  });
  const limits: ConnectionLimit[] = [];
  const metrics = config.metricsAddress === undefined
    ? undefined
    : createProxyMetrics({
      activeBans: bans.activeBans,
      totalBans: bans.totalBans,
      openConnections: () =>
        limits.reduce((sum, limit) => sum + limit.open, 0),
      heldConnections: holder.count,
    });
  const observe: RequestObserver | undefined = metrics?.observe;
  const docker = await startDockerFrontend({
    config, gate, engine, logger, observe,
    app: createApp(gate, checkBody),
    holdSocket: holder.hold,
    tls: certificate?.context,
  });
  const listeners: Server[] = [docker.listener];
  const http = docker.server;
  limits.push(docker.limit);
  const tlsMode = certificate === undefined
    ? undefined
    : await startTlsMode(certificate, http, {
      config, gate, holdSocket: holder.hold, logger, observe,
      tls: certificate.context,
    });
  if (tlsMode !== undefined) {
    listeners.push(...tlsMode.exApps.listeners);
    limits.push(tlsMode.exApps.limit);
  }
  if (metrics !== undefined && config.metricsAddress !== undefined) {
    listeners.push(
      await startMetricsServer(config.metricsAddress, metrics, logger));
  }
  runtime.onSignal("SIGHUP", () => onReloadSignal(config, runtime, logger,
    tlsMode?.reloader));

  async function shutdown(graceMs: number) {
    for (const listener of listeners) listener.close();
    tlsMode?.reloader.close();
    http.closeIdleConnections();
    tlsMode?.exApps.server.closeIdleConnections();
    await waitUntilClosed(limits, graceMs);
    clearInterval(sweeper);
    engine.agent.destroy();
  }

  return { engine, shutdown };
}

/** Parts the Docker API frontend is built from. */
interface DockerFrontendOptions {
  readonly config: Config;
  readonly app: Handler;
  readonly gate: Gate;
  readonly engine: EngineTarget;
  readonly holdSocket: HoldSocket;
  readonly logger: Logger;
  readonly tls: SecureContextOptions | undefined;
  readonly observe: RequestObserver | undefined;
}

/** Starts the Docker API port, HTTPS when a certificate is given. */
async function startDockerFrontend(options: DockerFrontendOptions) {
  const { config, gate, engine, holdSocket, logger } = options;
  const limit = createConnectionLimit(config.maxConnections);
  const server = createHttpServer(options.app, {
    engine, holdSocket, clientTimeoutMs: config.clientTimeoutMs,
  }, gate, logger, {
    name: "docker",
    clientTimeoutMs: config.clientTimeoutMs,
    tls: options.tls,
    observe: options.observe,
  });
  server.on("upgrade", createUpgradeHandler({
    gate, engine, holdSocket, logger, frontend: "docker",
    observe: options.observe,
    clientTimeoutMs: config.clientTimeoutMs,
  }));
  const listener = await listen(server, gate, holdSocket, logger, {
    name: "docker",
    host: config.bindAddress,
    port: config.port,
    limit,
    clientTimeoutMs: config.clientTimeoutMs,
    tls: options.tls !== undefined,
  });
  logger.info("listening", {
    frontend: "docker",
    address: config.bindAddress ?? "*",
    port: config.port,
    tls: options.tls !== undefined,
  });
  return { server, listener, limit };
}

/** The parts that only TLS mode runs. */
interface TlsMode {
  readonly exApps: ExAppFrontends;
  readonly reloader: CertificateReloader;
}

/** Opens the ExApp ports and starts watching CERT_FILE. */
async function startTlsMode(
  certificate: LoadedCertificate,
  docker: RequestServer,
  options: ExAppFrontendOptions,
): Promise<TlsMode> {
  const exApps = await startExAppFrontends(options);
  const reloader = createCertificateReloader({
    path: options.config.certFile,
    initial: certificate,
    servers: [docker, exApps.server].filter(isHttpsServer),
    logger: options.logger,
  });
  return { exApps, reloader };
}

/** Resolves once no connection is open, or after `graceMs`. */
async function waitUntilClosed(
  limits: readonly ConnectionLimit[],
  graceMs: number,
): Promise<void> {
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (limits.every((limit) => limit.open === 0)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Loads CERT_FILE when it exists, which turns TLS on. Throws a
 * CertificateError when the file cannot be used.
 */
function loadTls(
  config: Config,
  runtime: Runtime,
  logger: Logger,
): LoadedCertificate | undefined {
  if (!runtime.fileExists(config.certFile)) return undefined;
  const certificate = loadCertificate(config.certFile);
  logCertificate(logger, "certificate loaded", certificate.info, Date.now(),
    { file: config.certFile });
  if (config.bindAddress === undefined) {
    logger.warn("bind address", {
      reason: "BIND_ADDRESS is * in TLS mode: the ExApp ports are taken " +
        "on every address, 127.0.0.1 included, so an ExApp cannot listen " +
        "on 127.0.0.1 on its own port; set BIND_ADDRESS to the address " +
        "that Nextcloud connects to",
    });
  }
  return certificate;
}

function onReloadSignal(
  config: Config,
  runtime: Runtime,
  logger: Logger,
  reloader: CertificateReloader | undefined,
): void {
  if (reloader !== undefined) return reloader.reload("SIGHUP", true);
  if (runtime.fileExists(config.certFile)) {
    logger.warn("certificate not loaded", {
      file: config.certFile,
      reason: "CERT_FILE appeared after the start; restart to turn TLS on",
    });
    return;
  }
  logger.info("SIGHUP ignored", {
    reason: `TLS is off: CERT_FILE ${config.certFile} does not exist`,
  });
}
