import { formatCidr } from "../config/address.ts";
import { formatDuration } from "../config/duration.ts";
import type { Config } from "../config/types.ts";

/** Renders the effective configuration with every secret masked. */
export function describeConfig(config: Config, tls: boolean) {
  return {
    password: "********",
    port: config.port,
    bind_address: config.bindAddress ?? "*",
    tls,
    timeout_connect: formatDuration(config.connectTimeoutMs),
    timeout_client: formatDuration(config.clientTimeoutMs),
    timeout_server: formatDuration(config.serverTimeoutMs),
    ex_apps_net: `${config.exAppsFamily === 0 ? "" : `ipv${config.exAppsFamily}@`}` +
      config.exAppsHost,
    ex_apps_count: config.exAppsCount,
    docker_socket: config.dockerSocket,
    cert_file: config.certFile,
    ban_max_failures: config.banMaxFailures,
    ban_window: formatDuration(config.banWindowMs),
    ban_duration: formatDuration(config.banDurationMs),
    ban_exempt: config.banExempt.map(formatCidr).join(",") || "(none)",
    ban_max_held: config.banMaxHeld,
    allowed_bind_sources: config.allowedBindSources.join(",") || "(none)",
    allowed_devices: config.allowedDevices.join(",") || "(none)",
    log_format: config.logFormat,
    log_level: config.logLevel,
    max_connections: config.maxConnections,
    autostart_containers: config.autostartContainers,
    metrics_address: config.metricsAddress === undefined
      ? "(off)"
      : `${config.metricsAddress.host}:${config.metricsAddress.port}`,
  };
}
