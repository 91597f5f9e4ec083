// Request shapes as Nextcloud AppAPI sends them: PHP json_encode output
// (`\/` escapes, `\uXXXX` for non-ASCII, compact) and PharData tars.

/** Encodes a value the way PHP's json_encode does with flags 0. */
export function phpJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, "\\/")
    .replace(/[\u0080-\uffff]/g, (char) =>
      `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** The headers Guzzle sends with a `json` body. */
export const jsonHeaders = { "content-type": "application/json" } as const;

export { tarArchive } from "./tar.ts";

/** Builds one PEM certificate block, as AppAPI copies one per archive. */
export function pemBlock(index: number): string {
  const body = Buffer.from(`test certificate ${index} `.repeat(40))
    .toString("base64").replace(/.{64}/g, "$&\n");
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** Inputs of a container create body. */
export interface DeployInput {
  readonly appId: string;
  readonly image: string;
  readonly port: number;
  readonly net?: string;
  /** Extra HostConfig fields (devices, port bindings, limits). */
  readonly hostConfig?: Record<string, unknown>;
  readonly extraMounts?: readonly Record<string, unknown>[];
  readonly env?: readonly string[];
  readonly exposedPorts?: Record<string, unknown>;
  readonly aliases?: boolean;
}

/**
 * Builds the container create body of AppAPI's DockerActions in its key
 * order, plus `Cmd`, which a busybox image needs and AppAPI's images
 * carry in their own config.
 */
export function createBody(input: DeployInput): Record<string, unknown> {
  const volume = `nc_app_${input.appId}_data`;
  const net = input.net ?? "host";
  const body: Record<string, unknown> = {
    Image: input.image,
    Hostname: input.appId,
    HostConfig: {
      NetworkMode: net,
      Mounts: [
        { Type: "volume", Source: volume, Target: `/${volume}`, ReadOnly: false },
        ...(input.extraMounts ?? []),
      ],
      RestartPolicy: { Name: "unless-stopped" },
      ...input.hostConfig,
    },
    Env: [
      "AA_VERSION=35.0.0-dev.1",
      `APP_SECRET=${"aZ0+/".repeat(25)}abc`,
      `APP_ID=${input.appId}`,
      "APP_DISPLAY_NAME=Test App Ünïcode",
      "APP_VERSION=1.0.0",
      `APP_HOST=${net === "host" ? "127.0.0.1" : "0.0.0.0"}`,
      `APP_PORT=${input.port}`,
      `APP_PERSISTENT_STORAGE=/${volume}`,
      "NEXTCLOUD_URL=http://nextcloud/index.php",
      "COMPUTE_DEVICE=CPU",
      ...(input.env ?? []),
    ],
    // PID 1 ignores SIGTERM without a handler; the trap keeps stop fast.
    Cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
  };
  if (input.exposedPorts !== undefined) body.ExposedPorts = input.exposedPorts;
  if (input.aliases === true) {
    body.NetworkingConfig = {
      EndpointsConfig: { [net]: { Aliases: [input.appId] } },
    };
  }
  return body;
}
