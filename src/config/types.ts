import type { Cidr } from "./address.ts";

/** Address family forced on the ExApp host: 0 tries every address. */
export type Family = 0 | 4 | 6;

/** The validated settings the proxy runs with. */
export interface Config {
  readonly password: string;
  readonly port: number;
  /** `undefined` listens on every interface, IPv4 and IPv6. */
  readonly bindAddress: string | undefined;
  readonly connectTimeoutMs: number;
  readonly clientTimeoutMs: number;
  readonly serverTimeoutMs: number;
  readonly exAppsHost: string;
  readonly exAppsFamily: Family;
  readonly exAppsCount: number;
  readonly dockerSocket: string;
  readonly certFile: string;
  readonly banMaxFailures: number;
  readonly banWindowMs: number;
  readonly banDurationMs: number;
  readonly banExempt: readonly Cidr[];
  readonly banMaxHeld: number;
  readonly allowedBindSources: readonly string[];
  readonly allowedDevices: readonly string[];
  readonly logFormat: "text" | "json";
  readonly logLevel: "debug" | "info" | "warn" | "error";
  readonly maxConnections: number;
  readonly autostartContainers: boolean;
  readonly metricsAddress: MetricsAddress | undefined;
}

/** Address of the optional Prometheus listener. */
export interface MetricsAddress {
  readonly host: string;
  readonly port: number;
}
