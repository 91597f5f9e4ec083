import type { BodyKind } from "./body/check-body.ts";

/** Handling of the request body on a route. */
export type BodyHandling =
  /** Nothing is forwarded; a body that comes is read and dropped. */
  | { readonly kind: "none" }
  /** Read under the cap, checked, and re-serialised. */
  | { readonly kind: "json"; readonly policy: BodyKind }
  /** Streamed through untouched after its first bytes are checked. */
  | { readonly kind: "tar" }
  /** Read under the cap and forwarded as it came, length-delimited. */
  | { readonly kind: "small" };

/** Accepted values of one query parameter. */
export interface QueryRule {
  readonly pattern: RegExp;
  readonly required?: true;
}

/** One allowed request shape. */
export interface Route {
  /** Stable name used in logs and refusals. */
  readonly rule: string;
  readonly methods: readonly string[];
  /** Path after the version prefix; `{name}` marks a parameter. */
  readonly template: string;
  readonly query: Readonly<Record<string, QueryRule>>;
  readonly body: BodyHandling;
  /** The engine may respond by taking over the connection (exec, attach). */
  readonly hijack?: true;
}

/** `nc_app_` followed by Docker's name characters. */
export const CONTAINER_NAME = /^nc_app_[A-Za-z0-9_.-]+$/;
/** The data volume of an ExApp: `nc_app_<appid>_data`. */
export const VOLUME_NAME = /^nc_app_[A-Za-z0-9_.-]+_data$/;
/** A full container ID or a prefix of one, which the engine resolves. */
export const CONTAINER_ID = /^[0-9a-f]{1,64}$/;
/** An exec instance ID as the engine hands it out. */
export const EXEC_ID = /^[0-9a-f]{64}$/;
/** An image reference: name, optional tag and digest. */
export const IMAGE_REF = /^[A-Za-z0-9][A-Za-z0-9._\/:@+-]{0,511}$/;

const BOOL = /^(|0|1|true|false|True|False|TRUE|FALSE|t|f)$/;
const INT = /^-?\d{1,19}$/;
const TIME = /^[0-9.]{1,32}$/;
const TEXT = /^[\x20-\x7e]{0,256}$/;
const DETACH_KEYS = /^[A-Za-z0-9@^_,\[\]\\-]{0,64}$/;

const logsQuery = {
  stdout: { pattern: BOOL },
  stderr: { pattern: BOOL },
  follow: { pattern: BOOL },
  timestamps: { pattern: BOOL },
  details: { pattern: BOOL },
  tail: { pattern: TEXT },
  since: { pattern: TIME },
  until: { pattern: TIME },
};

const attachQuery = {
  stream: { pattern: BOOL },
  stdin: { pattern: BOOL },
  stdout: { pattern: BOOL },
  stderr: { pattern: BOOL },
  logs: { pattern: BOOL },
  detachKeys: { pattern: DETACH_KEYS },
};

const NONE = { kind: "none" } as const;

/**
 * Every request the proxy forwards; anything else is refused. The set is
 * what AppAPI sends, plus what the docker CLI needs to exec into, read
 * and inspect an ExApp container.
 */
export const ROUTES: readonly Route[] = [
  { rule: "ping", methods: ["GET", "HEAD"], template: "/_ping",
    query: {}, body: NONE },
  { rule: "version", methods: ["GET"], template: "/version",
    query: {}, body: NONE },
  { rule: "image-pull", methods: ["POST"], template: "/images/create",
    query: {
      fromImage: { pattern: IMAGE_REF, required: true },
      tag: { pattern: /^[A-Za-z0-9_.:@+-]{0,200}$/ },
      platform: { pattern: /^[a-z0-9_\/.-]{0,64}$/ },
    },
    body: NONE },
  { rule: "image-inspect", methods: ["GET"], template: "/images/{image}/json",
    query: {}, body: NONE },
  { rule: "volume-create", methods: ["POST"], template: "/volumes/create",
    query: {}, body: { kind: "json", policy: "volumeCreate" } },
  { rule: "volume-remove", methods: ["DELETE"], template: "/volumes/{volume}",
    query: { force: { pattern: BOOL } }, body: NONE },
  { rule: "container-create", methods: ["POST"],
    template: "/containers/create",
    query: {
      name: { pattern: CONTAINER_NAME, required: true },
      platform: { pattern: /^[a-z0-9_\/.-]{0,64}$/ },
    },
    body: { kind: "json", policy: "containerCreate" } },
  { rule: "container-inspect", methods: ["GET"],
    template: "/containers/{container}/json",
    query: { size: { pattern: BOOL } }, body: NONE },
  { rule: "container-logs", methods: ["GET"],
    template: "/containers/{container}/logs", query: logsQuery, body: NONE },
  { rule: "container-start", methods: ["POST"],
    template: "/containers/{container}/start",
    query: { detachKeys: { pattern: DETACH_KEYS } }, body: NONE },
  { rule: "container-stop", methods: ["POST"],
    template: "/containers/{container}/stop",
    query: { t: { pattern: INT }, signal: { pattern: /^[A-Z0-9]{1,16}$/ } },
    body: NONE },
  { rule: "container-update", methods: ["POST"],
    template: "/containers/{container}/update",
    query: {}, body: { kind: "json", policy: "containerUpdate" } },
  { rule: "exec-create", methods: ["POST"],
    template: "/containers/{container}/exec",
    query: {}, body: { kind: "json", policy: "execCreate" } },
  { rule: "archive-stat", methods: ["HEAD"],
    template: "/containers/{container}/archive",
    query: { path: { pattern: /^\/[^\0]{0,4096}$/, required: true } },
    body: NONE },
  { rule: "archive-upload", methods: ["PUT"],
    template: "/containers/{container}/archive",
    query: {
      path: { pattern: /^\/[^\0]{0,4096}$/, required: true },
      noOverwriteDirNonDir: { pattern: BOOL },
      copyUIDGID: { pattern: BOOL },
    },
    body: { kind: "tar" } },
  { rule: "container-remove", methods: ["DELETE"],
    template: "/containers/{container}",
    query: { force: { pattern: BOOL }, v: { pattern: BOOL } }, body: NONE },
  { rule: "container-wait", methods: ["POST"],
    template: "/containers/{container}/wait",
    query: { condition: { pattern: /^(|not-running|next-exit|removed)$/ } },
    body: NONE },
  { rule: "container-attach", methods: ["POST"],
    template: "/containers/{container}/attach",
    query: attachQuery, body: NONE, hijack: true },
  { rule: "exec-start", methods: ["POST"], template: "/exec/{exec}/start",
    query: {}, body: { kind: "small" }, hijack: true },
  { rule: "exec-inspect", methods: ["GET"], template: "/exec/{exec}/json",
    query: {}, body: NONE },
  { rule: "exec-resize", methods: ["POST"], template: "/exec/{exec}/resize",
    query: { h: { pattern: INT }, w: { pattern: INT } }, body: NONE },
];
