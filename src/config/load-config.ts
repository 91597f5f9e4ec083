import * as v from "valibot";
import type { Config } from "./types.ts";
import { VARIABLES } from "./variables.ts";
import type { Variable } from "./variables.ts";

/** Environment as a plain map, as every runtime can provide it. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The result of reading the environment. */
export type ConfigResult =
  | { readonly ok: true; readonly config: Config; readonly warnings: string[] }
  | { readonly ok: false; readonly error: string };

/** Passwords shorter than this start with a warning. */
const SHORT_PASSWORD_LENGTH = 12;

class ConfigError extends Error {}

function read<T>(item: Variable<T>, env: Environment): T {
  const raw = env[item.name];
  const text = raw === undefined || raw === "" ? item.fallback ?? raw : raw;
  const result = v.safeParse(item.parser, text ?? "");
  if (result.success) return result.output;
  const shown = item.secret ? "(hidden)" : JSON.stringify(text ?? "");
  throw new ConfigError(
    `Invalid ${item.name} ${shown}: ${result.issues[0]?.message}`,
  );
}

function readPassword(
  env: Environment,
  readTextFile: (path: string) => string,
): string {
  const direct = env[VARIABLES.password.name];
  const file = env[VARIABLES.passwordFile.name];
  if (direct !== undefined && file !== undefined) {
    throw new ConfigError(
      "Cannot use both NC_HAPROXY_PASSWORD and NC_HAPROXY_PASSWORD_FILE: " +
        "set only one",
    );
  }
  if (file === undefined) {
    if (direct === undefined) {
      throw new ConfigError(
        "Missing password: set NC_HAPROXY_PASSWORD or " +
          "NC_HAPROXY_PASSWORD_FILE",
      );
    }
    return read(VARIABLES.password, env);
  }
  const path = read(VARIABLES.passwordFile, env);
  let content: string;
  try {
    content = readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `Cannot read NC_HAPROXY_PASSWORD_FILE ${JSON.stringify(path)}: ` +
        `${(error as Error).message}`,
    );
  }
  const password = content.replace(/\r?\n$/, "");
  if (password === "") {
    throw new ConfigError(
      `Invalid NC_HAPROXY_PASSWORD_FILE ${JSON.stringify(path)}: ` +
        "the file is empty",
    );
  }
  return password;
}

/**
 * Validates every variable and builds the configuration, or returns one
 * message that names the first bad variable and what it accepts.
 */
export function loadConfig(
  env: Environment,
  readTextFile: (path: string) => string,
): ConfigResult {
  try {
    const password = readPassword(env, readTextFile);
    const exApps = read(VARIABLES.exAppsNet, env);
    const config: Config = {
      password,
      port: read(VARIABLES.port, env),
      bindAddress: read(VARIABLES.bindAddress, env) ?? undefined,
      connectTimeoutMs: read(VARIABLES.connectTimeoutMs, env),
      clientTimeoutMs: read(VARIABLES.clientTimeoutMs, env),
      serverTimeoutMs: read(VARIABLES.serverTimeoutMs, env),
      exAppsHost: exApps.host,
      exAppsFamily: exApps.family,
      exAppsCount: read(VARIABLES.exAppsCount, env),
      dockerSocket: read(VARIABLES.dockerSocket, env),
      certFile: read(VARIABLES.certFile, env),
      banMaxFailures: read(VARIABLES.banMaxFailures, env),
      banWindowMs: read(VARIABLES.banWindowMs, env),
      banDurationMs: read(VARIABLES.banDurationMs, env),
      banExempt: read(VARIABLES.banExempt, env),
      banMaxHeld: read(VARIABLES.banMaxHeld, env),
      allowedBindSources: read(VARIABLES.allowedBindSources, env),
      allowedDevices: read(VARIABLES.allowedDevices, env),
      logFormat: read(VARIABLES.logFormat, env),
      logLevel: read(VARIABLES.logLevel, env),
      maxConnections: read(VARIABLES.maxConnections, env),
      autostartContainers: read(VARIABLES.autostartContainers, env),
      metricsAddress: read(VARIABLES.metricsAddress, env) ?? undefined,
    };
    const warnings: string[] = [];
    if ([...password].length < SHORT_PASSWORD_LENGTH) {
      warnings.push(
        `The password is shorter than ${SHORT_PASSWORD_LENGTH} characters: ` +
          "use a longer one, above all when the port is reachable " +
          "from other hosts",
      );
    }
    return { ok: true, config, warnings };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, error: error.message };
    throw error;
  }
}
