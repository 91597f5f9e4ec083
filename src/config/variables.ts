import * as v from "valibot";
import { parseCidr, parseIPv4, parseIPv6 } from "./address.ts";
import type { Cidr } from "./address.ts";
import { parseDuration } from "./duration.ts";

type Parser<T> = v.GenericSchema<string, T>;

/** One environment variable: its default, meaning and parser. */
export interface Variable<T> {
  readonly name: string;
  /** Text used when the variable is unset; `undefined` means none. */
  readonly fallback: string | undefined;
  readonly meaning: string;
  readonly secret?: true;
  readonly parser: Parser<T>;
}

function variable<T>(
  name: string,
  fallback: string | undefined,
  meaning: string,
  parser: Parser<T>,
): Variable<T> {
  return { name, fallback, meaning, parser };
}

/** Builds a parser from a function that returns `undefined` on bad input. */
function parsed<T>(expected: string, parse: (text: string) => T | undefined) {
  return v.pipe(
    v.string(),
    v.rawTransform<string, T>(({ dataset, addIssue, NEVER }) => {
      const value = parse(dataset.value);
      if (value === undefined) {
        addIssue({ message: expected });
        return NEVER;
      }
      return value;
    }),
  );
}

const integer = (min: number, max: number) =>
  parsed(`expected an integer from ${min} to ${max}`, (text) => {
    if (!/^\d{1,9}$/.test(text.trim())) return undefined;
    const value = Number(text.trim());
    return value >= min && value <= max ? value : undefined;
  });

const duration = parsed(
  "expected a duration such as 500ms, 30s, 5m, 1h or 1d " +
    "(a bare number is milliseconds)",
  parseDuration,
);

const oneOf = <T extends string>(choices: readonly T[]) =>
  parsed(`expected one of ${choices.join(", ")}`, (text) =>
    choices.find((choice) => choice === text.trim().toLowerCase()),
  );

const flag = parsed("expected true or false (also 1/0, yes/no)", (text) => {
  const word = text.trim().toLowerCase();
  if (["", "0", "false", "no", "off"].includes(word)) return false;
  if (["1", "true", "yes", "on"].includes(word)) return true;
  return undefined;
});

/** Splits a comma-separated list, dropping blanks. */
function listOf<T>(text: string, item: (entry: string) => T | undefined) {
  const items: T[] = [];
  for (const entry of text.split(",").map((part) => part.trim())) {
    if (entry === "") continue;
    const value = item(entry);
    if (value === undefined) return undefined;
    items.push(value);
  }
  return items;
}

const absolutePath = (text: string) =>
  text.startsWith("/") &&
  !text.split("/").slice(1).some((s) => s === "." || s === "..") &&
  !/[\0-\x1f\\,]/.test(text)
    ? text.replace(/(.)\/+$/, "$1").replace(/\/{2,}/g, "/")
    : undefined;

const pathList = parsed(
  "expected a comma-separated list of absolute paths without . or ..",
  (text) => listOf(text, absolutePath),
);

const cidrList = parsed(
  "expected a comma-separated list of addresses or CIDR ranges " +
    "such as 10.0.0.0/8, fd00::/8",
  (text) => listOf<Cidr>(text, parseCidr),
);

/** Strips the brackets of an IPv6 literal; `*` and "" mean every address. */
export function parseBindAddress(text: string): string | null | undefined {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed === "*") return null;
  const bare = /^\[(.*)\]$/.exec(trimmed)?.[1] ?? trimmed;
  if (parseIPv4(bare) !== undefined || parseIPv6(bare) !== undefined) {
    return bare;
  }
  return undefined;
}

const bindAddress = parsed(
  "expected *, an empty value, an IPv4 address or an IPv6 address",
  parseBindAddress,
);

const exAppsNet = parsed(
  "expected a host name or address, optionally prefixed ipv4@ or ipv6@ " +
    "(an address must be of that family)",
  (text) => {
    const match = /^(?:(ipv4|ipv6)@)?([A-Za-z0-9.:_-]+|\[[0-9A-Fa-f:.]+\])$/
      .exec(text.trim());
    if (match === null) return undefined;
    const host = match[2]?.replace(/^\[|\]$/g, "") ?? "";
    const prefix = match[1];
    let family: 0 | 4 | 6 = 0;
    if (prefix === "ipv4") family = 4;
    if (prefix === "ipv6") family = 6;
    // An address literal is used as it is, so its family must agree.
    if (family === 6 && parseIPv4(host) !== undefined) return undefined;
    if (family === 4 && parseIPv6(host) !== undefined) return undefined;
    return { host, family };
  },
);

const password = v.pipe(
  v.string(),
  v.minLength(1, "expected a non-empty password"),
);

const metricsAddress = parsed(
  "expected host:port such as 127.0.0.1:9180 or [::1]:9180, or empty",
  (text) => {
    const trimmed = text.trim();
    if (trimmed === "") return null;
    const match = /^(.*):(\d{1,5})$/.exec(trimmed);
    const host = match && parseBindAddress(match[1] ?? "");
    const port = Number(match?.[2]);
    if (!match || host === undefined || port < 1 || port > 65535) {
      return undefined;
    }
    return { host: host ?? "::", port };
  },
);

/**
 * Every variable the proxy reads, in the order the README lists them.
 * The original HAProxy-based proxy's variables come first, unchanged.
 */
export const VARIABLES = {
  password: {
    ...variable("NC_HAPROXY_PASSWORD", undefined,
      "password AppAPI sends as user app_api_haproxy_user", password),
    secret: true,
  },
  passwordFile: variable("NC_HAPROXY_PASSWORD_FILE", undefined,
    "file to read the password from instead (one trailing newline is " +
    "stripped)", v.pipe(v.string(), v.minLength(1, "expected a file path"))),
  port: variable("HAPROXY_PORT", "2375",
    "port of the Docker API frontend", integer(1, 65535)),
  bindAddress: variable("BIND_ADDRESS", "*",
    "address of every listener; * or empty means all interfaces",
    bindAddress),
  connectTimeoutMs: variable("TIMEOUT_CONNECT", "10s",
    "time to connect to the Docker socket or an ExApp", duration),
  clientTimeoutMs: variable("TIMEOUT_CLIENT", "30s",
    "client inactivity: headers, body, idle keep-alive", duration),
  serverTimeoutMs: variable("TIMEOUT_SERVER", "30s",
    "upstream inactivity; restarts on every byte", duration),
  exAppsNet: variable("EX_APPS_NET", "localhost",
    "TLS mode: host of the ExApps, optionally prefixed ipv4@ or ipv6@",
    exAppsNet),
  exAppsCount: variable("EX_APPS_COUNT", "50",
    "TLS mode: number of ExApp ports, from 23000 upward",
    integer(1, 42535)),
  dockerSocket: variable("DOCKER_SOCKET", "/var/run/docker.sock",
    "path of the Docker Engine socket",
    parsed("expected an absolute path", absolutePath)),
  certFile: variable("CERT_FILE", "/certs/cert.pem",
    "PEM with certificate chain and key; TLS is on when it exists",
    parsed("expected an absolute path", absolutePath)),
  banMaxFailures: variable("BAN_MAX_FAILURES", "5",
    "failed logins a source may make within BAN_WINDOW", integer(1, 1000)),
  banWindowMs: variable("BAN_WINDOW", "5m",
    "window in which failed logins are counted", duration),
  banDurationMs: variable("BAN_DURATION", "15m",
    "how long a source stays banned", duration),
  banExempt: variable("BAN_EXEMPT", "",
    "sources never banned: comma-separated addresses or CIDR ranges",
    cidrList),
  banMaxHeld: variable("BAN_MAX_HELD", "1000",
    "banned connections held open at once; past it the oldest is closed",
    integer(0, 100000)),
  allowedBindSources: variable("ALLOWED_BIND_SOURCES", "",
    "host paths that bind mounts may use, each matched exactly", pathList),
  allowedDevices: variable("ALLOWED_DEVICES", "/dev/kfd,/dev/dri",
    "host devices that containers may be given", pathList),
  logFormat: variable("LOG_FORMAT", "text",
    "log format: text or json", oneOf(["text", "json"] as const)),
  logLevel: variable("LOG_LEVEL", "info",
    "lowest level logged: debug, info, warn or error",
    oneOf(["debug", "info", "warn", "error"] as const)),
  maxConnections: variable("MAX_CONNECTIONS", "8192",
    "open client connections per listener; more are closed at once",
    integer(1, 1_000_000)),
  autostartContainers: variable("NC_AUTOSTART_CONTAINERS", "false",
    "start the exited nc_app_* containers at start-up", flag),
  metricsAddress: variable("METRICS_ADDRESS", "",
    "host:port of the Prometheus /metrics listener; empty turns it off",
    metricsAddress),
} as const;
