// Starts the proxy under test for the benchmark: the built binary or the
// node entry, optionally under V8's CPU profiler. The test harness's
// spawnProxy does the work, and DSP_TEST_BIN selects what it runs.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { repoRoot } from '../../test/support/log-dir.ts';
import {
  freeLoopbackPort,
  spawnProxy,
  type Proxy,
} from '../../test/support/proxy.ts';
import { createLoadClient, send } from './load-client.ts';

/** Path of the built binary, relative to the repository. */
export const DEFAULT_BINARY = 'dist/appapi-dsp';
/** Time a starting proxy gets to respond to `/_ping`. */
const FIRST_ANSWER_TIMEOUT_MS = 20_000;
/** Pause between readiness probes while the proxy starts. */
const PROBE_INTERVAL_MS = 1;

/** The proxy command the bench runs. */
export interface ProxyCommand {
  /** Shown in the table, e.g. `dist/appapi-dsp` or `node …/main.ts`. */
  readonly label: string;
  /** Executable for DSP_TEST_BIN; undefined runs the node entry. */
  readonly bin: string | undefined;
}

/** Options that choose the proxy command. */
export interface CommandOptions {
  readonly bin: string | undefined;
  readonly node: boolean;
  /** Folder for `.cpuprofile` files; set to profile the node entry. */
  readonly profileDir: string | undefined;
}

const NODE_ENTRY = 'node --import tsx src/main.ts';

/**
 * Picks the binary named by `--bin`, else the node entry when asked for
 * it or when profiling, else `dist/appapi-dsp` when it exists, else the
 * node entry.
 */
export function chooseProxyCommand(options: CommandOptions): ProxyCommand {
  if (options.profileDir !== undefined) {
    return {
      label: `${NODE_ENTRY} under --cpu-prof`,
      bin: writeProfilingLauncher(options.profileDir),
    };
  }
  if (options.bin !== undefined) {
    const bin = isAbsolute(options.bin)
      ? options.bin
      : join(repoRoot, options.bin);
    if (!existsSync(bin)) throw new Error(`Proxy binary ${bin} not found`);
    return { label: options.bin, bin };
  }
  if (!options.node && existsSync(join(repoRoot, DEFAULT_BINARY))) {
    return { label: DEFAULT_BINARY, bin: join(repoRoot, DEFAULT_BINARY) };
  }
  return { label: NODE_ENTRY, bin: undefined };
}

/**
 * Writes a shell launcher that runs the node entry under `--cpu-prof`.
 * Node refuses `--cpu-prof` in NODE_OPTIONS, so a command line is the
 * only way to hand it over.
 */
function writeProfilingLauncher(profileDir: string): string {
  const path = join(profileDir, 'profile-proxy.sh');
  const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
  writeFileSync(path, [
    '#!/bin/sh',
    '# Written by scripts/bench.ts: the proxy under V8\'s CPU profiler.',
    `exec ${quote(process.execPath)} --cpu-prof ` +
      `--cpu-prof-dir=${quote(profileDir)} --import tsx src/main.ts`,
    '',
  ].join('\n'));
  chmodSync(path, 0o755);
  return path;
}

/** Proxies started here that have not exited yet. */
const liveProxies = new Set<Proxy>();

/**
 * Sends `signal` to every proxy still running. For signal handlers,
 * which cannot wait for a graceful stop.
 */
export function killLiveProxies(signal: NodeJS.Signals): void {
  for (const proxy of liveProxies) proxy.child.kill(signal);
}

/** Makes the test harness's spawnProxy run `command`. */
export function useProxyCommand(command: ProxyCommand): void {
  if (command.bin === undefined) delete process.env.DSP_TEST_BIN;
  else process.env.DSP_TEST_BIN = command.bin;
}

/**
 * Starts the proxy and returns it with the time from the spawn to its
 * first response (200) to an authenticated `GET /_ping`, probing every
 * millisecond.
 */
export async function startTimed(
  socketPath: string,
  env: Record<string, string> = {},
): Promise<{ proxy: Proxy; firstAnswerMs: number }> {
  const port = await freeLoopbackPort();
  const started = performance.now();
  const proxy = await spawnProxy({
    socketPath,
    env: { ...env, HAPROXY_PORT: String(port) },
  });
  liveProxies.add(proxy);
  proxy.child.once('exit', () => liveProxies.delete(proxy));
  const client = createLoadClient(
    { kind: 'tcp', host: proxy.host, port: proxy.port }, 1);
  const spec = {
    method: 'GET',
    path: '/_ping',
    headers: { authorization: proxy.authHeader },
    expectStatus: 200,
  };
  try {
    for (;;) {
      const answered = await send(client, spec).then(() => true,
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ECONNREFUSED') return false;
          throw error;
        });
      if (answered) {
        return { proxy, firstAnswerMs: performance.now() - started };
      }
      if (proxy.hasExited()) {
        throw new Error(`The proxy exited before its first response; ` +
          `see ${proxy.logFile}`);
      }
      if (performance.now() - started > FIRST_ANSWER_TIMEOUT_MS) {
        throw new Error(`The proxy did not respond within ` +
          `${FIRST_ANSWER_TIMEOUT_MS} ms; see ${proxy.logFile}`);
      }
      await sleep(PROBE_INTERVAL_MS);
    }
  } catch (error) {
    await proxy.stop('SIGKILL');
    throw error;
  } finally {
    client.close();
  }
}

/** Starts and stops the proxy `runs` times; returns each start-up time. */
export async function timeStartups(
  socketPath: string,
  runs: number,
): Promise<number[]> {
  const runsMs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { proxy, firstAnswerMs } = await startTimed(socketPath);
    runsMs.push(firstAnswerMs);
    await proxy.stop();
  }
  return runsMs;
}
