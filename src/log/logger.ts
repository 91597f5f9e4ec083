/** Severity of a log entry, lowest first. */
export type Level = "debug" | "info" | "warn" | "error";

/** Values a log entry may carry; `undefined` fields are left out. */
export type Fields = Readonly<
  Record<string, string | number | boolean | undefined>
>;

/** The one logger every part of the proxy writes through. */
export interface Logger {
  readonly enabled: (level: Level) => boolean;
  readonly log: (level: Level, event: string, fields?: Fields) => void;
  readonly debug: (event: string, fields?: Fields) => void;
  readonly info: (event: string, fields?: Fields) => void;
  readonly warn: (event: string, fields?: Fields) => void;
  readonly error: (event: string, fields?: Fields) => void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly format: "text" | "json";
  readonly level: Level;
  /** Receives one complete line, newline included. */
  readonly write: (line: string) => void;
  readonly now?: () => Date;
}

const RANK: Readonly<Record<Level, number>> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
};

/** Each level as the text format writes it, padded to one width. */
const TEXT_LEVEL: Readonly<Record<Level, string>> = {
  debug: "DEBUG",
  info: "INFO ",
  warn: "WARN ",
  error: "ERROR",
};

/** Strings that need quotes in the text format. */
const NEEDS_QUOTES = /[\s"=\\]|^$/;

function textValue(value: string | number | boolean): string {
  // A number or boolean prints without spaces, quotes or `=`.
  if (typeof value !== "string") return String(value);
  if (!NEEDS_QUOTES.test(value)) return value;
  return JSON.stringify(value);
}

function formatText(time: string, level: Level, event: string, fields: Fields) {
  let line = `${time} ${TEXT_LEVEL[level]} ${event}`;
  for (const key in fields) {
    const value = fields[key];
    if (value !== undefined) line += ` ${key}=${textValue(value)}`;
  }
  return line + "\n";
}

function formatJson(time: string, level: Level, event: string, fields: Fields) {
  return JSON.stringify({ time, level, event, ...fields }) + "\n";
}

/**
 * Creates a logger that writes one line per entry, either `key=value`
 * text for people or one JSON object per line for collectors.
 */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = RANK[options.level];
  const now = options.now ?? (() => new Date());
  const format = options.format === "json" ? formatJson : formatText;
  const enabled = (level: Level) => RANK[level] >= threshold;
  const log = (level: Level, event: string, fields: Fields = {}) => {
    if (RANK[level] < threshold) return;
    options.write(format(now().toISOString(), level, event, fields));
  };
  return {
    enabled,
    log,
    debug: (event, fields) => log("debug", event, fields),
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
  };
}
