import type { Server } from "node:net";
import { createBasicAuth } from "../auth/basic-auth.ts";
import { createBanStore } from "../ban/ban-store.ts";
import { cidrContains } from "../config/address.ts";
import type { Config } from "../config/types.ts";
import { createOwnership } from "../engine/ownership.ts";
import { createEngineApi, createEngineTarget } from "../forward/node.ts";
import type { EngineTarget } from "../forward/node.ts";
import { createUpgradeHandler } from "../hijack/node.ts";
import { createHttpServer, createSocketHolder, listen } from "../listener/node.ts";
import type { Logger } from "../log/logger.ts";
import { createBodyChecker } from "../policy/body/check-body.ts";
import type { Runtime } from "../runtime/types.ts";
import { createApp } from "./app.ts";
import { createGate } from "./gate.ts";

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
  const app = createApp(gate, checkBody);
  const options = {
    name: "docker",
    host: config.bindAddress,
    port: config.port,
    maxConnections: config.maxConnections,
    clientTimeoutMs: config.clientTimeoutMs,
  };
  const exchangeServer = {
    engine,
    holdSocket: holder.hold,
    clientTimeoutMs: config.clientTimeoutMs,
  };
  const http = createHttpServer(app, exchangeServer, logger, options);
  http.on("upgrade", createUpgradeHandler({
    gate, engine, holdSocket: holder.hold, logger, frontend: "docker",
  }));
  const listeners: Server[] = [
    await listen(http, gate, holder.hold, logger, options),
  ];
  logger.info("listening", {
    frontend: "docker",
    address: config.bindAddress ?? "*",
    port: config.port,
    tls: false,
  });

  async function shutdown(graceMs: number) {
    for (const listener of listeners) listener.close();
    http.closeIdleConnections();
    const deadline = Date.now() + graceMs;
    while (Date.now() < deadline) {
      const open = await new Promise<number>((resolve) =>
        listeners[0]?.getConnections((_, count) => resolve(count)) ?? resolve(0));
      if (open === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    clearInterval(sweeper);
    engine.agent.destroy();
  }

  return { engine, shutdown };
}
