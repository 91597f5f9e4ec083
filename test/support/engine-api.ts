import { dirname, join } from 'node:path';
import {
  requestUnixSocket,
  runDockerCli,
  type CliResult,
  type DockerCliOptions,
  type HttpResult,
} from './engine-client.ts';

/** A Docker engine for end-to-end tests, reached on its unix socket. */
export interface Engine {
  readonly socketPath: string;
  /** Tag of the local busybox image, e.g. `dsp-busybox:e2e`. */
  readonly image: string;
  /** dockerd and containerd output; empty when the log is unknown. */
  readonly logFile: string;
  /** Sends one request straight to the engine, bypassing the proxy. */
  request(method: string, path: string, body?: unknown): Promise<HttpResult>;
  /** Names of all containers, running or not, without the leading `/`. */
  containerNames(): Promise<string[]>;
  volumeNames(): Promise<string[]>;
  /** Force-removes containers, volumes and networks named `prefix…`. */
  removeAll(prefix: string): Promise<void>;
  /** Runs the docker CLI from PATH against the engine or `options.host`. */
  dockerCli(args: string[], options?: DockerCliOptions): Promise<CliResult>;
  /** Stops an engine this process started; does nothing for a shared one. */
  stop(): Promise<void>;
}

/** Networks that every engine has and that cannot be removed. */
const predefinedNetworks = new Set(['bridge', 'host', 'none']);

/** Creates the client side of an engine listening on `socketPath`. */
export function createEngine(
  socketPath: string,
  image: string,
  logFile: string,
  stop: () => Promise<void>,
): Engine {
  const request = (method: string, path: string, body?: unknown) =>
    requestUnixSocket(socketPath, method, path, body);
  const listJson = async <T>(path: string): Promise<T> => {
    const response = await request('GET', path);
    if (response.status !== 200) {
      throw new Error(`GET ${path} returned ${response.status}: ` +
        response.body.trim());
    }
    return JSON.parse(response.body) as T;
  };
  const remove = async (path: string) => {
    const response = await request('DELETE', path);
    if (response.status >= 300 && response.status !== 404) {
      throw new Error(`DELETE ${path} returned ${response.status}: ` +
        response.body.trim());
    }
  };

  const engine: Engine = {
    socketPath,
    image,
    logFile,
    request,
    async containerNames() {
      type Summary = { Names: string[] };
      const containers = await listJson<Summary[]>('/containers/json?all=1');
      return containers.flatMap((c) => c.Names.map((n) => n.slice(1)));
    },
    async volumeNames() {
      type Listing = { Volumes: { Name: string }[] | null };
      const listing = await listJson<Listing>('/volumes');
      return (listing.Volumes ?? []).map((volume) => volume.Name);
    },
    async removeAll(prefix) {
      type Summary = { Id: string; Names: string[] };
      const containers = await listJson<Summary[]>('/containers/json?all=1');
      for (const container of containers) {
        if (!container.Names.some((n) => n.startsWith(`/${prefix}`))) continue;
        await remove(`/containers/${container.Id}?force=1&v=1`);
      }
      for (const name of await engine.volumeNames()) {
        if (!name.startsWith(prefix)) continue;
        await remove(`/volumes/${encodeURIComponent(name)}?force=1`);
      }
      type Network = { Id: string; Name: string };
      for (const network of await listJson<Network[]>('/networks')) {
        if (predefinedNetworks.has(network.Name)) continue;
        if (!network.Name.startsWith(prefix)) continue;
        await remove(`/networks/${network.Id}`);
      }
    },
    dockerCli(args, options) {
      // A folder inside the engine's, so the host's ~/.docker is never
      // read and the folder goes away with the engine.
      const configDir = join(dirname(socketPath), 'cli');
      return runDockerCli(args, `unix://${socketPath}`, configDir, options);
    },
    stop,
  };
  return engine;
}
