import { mkdtemp, writeFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createEngine, type Engine } from './engine-api.ts';
import { requestUnixSocket } from './engine-client.ts';
import { engineImageTag, importBusyboxImage } from './engine-image.ts';
import {
  killDaemonSync,
  killProcessesUsing,
  logTail,
  removeEngineDir,
  spawnDaemon,
  stopDaemon,
  type Daemon,
} from './engine-process.ts';
import { testLogDir } from './log-dir.ts';

export { demuxDockerStream } from './engine-client.ts';
export type {
  CliResult,
  DockerCliOptions,
  HttpResult,
} from './engine-client.ts';
export type { Engine } from './engine-api.ts';

/** How long dockerd may take to return 200 for `GET /_ping`. */
const pingTimeoutMs = 30_000;
const containerdSocketTimeoutMs = 10_000;
/** Bounds dockerd's shutdown; containers are removed before it. */
const dockerdStopGraceMs = 20_000;
const containerdStopGraceMs = 10_000;

/**
 * Returns the engine named by `DSP_TEST_ENGINE_SOCKET` and
 * `DSP_TEST_ENGINE_IMAGE` (set by `scripts/test.mjs`, which shares one
 * engine among all end-to-end files), or starts a private one, so that a
 * single test file also runs on its own.
 */
export async function connectEngine(): Promise<Engine> {
  const socketPath = process.env.DSP_TEST_ENGINE_SOCKET;
  if (socketPath === undefined || socketPath === '') return startEngine();
  const image = process.env.DSP_TEST_ENGINE_IMAGE;
  if (image === undefined || image === '') {
    throw new Error(
      'Connecting to the test engine failed: DSP_TEST_ENGINE_SOCKET is ' +
        'set but DSP_TEST_ENGINE_IMAGE is missing',
    );
  }
  const logFile = process.env.DSP_TEST_ENGINE_LOG ?? '';
  return createEngine(socketPath, image, logFile, async () => {});
}

/**
 * Starts a private containerd and dockerd as root in a new `/tmp/dsp-*`
 * folder, waits for `GET /_ping`, and imports the busybox test image.
 * Until `stop()`, SIGINT, SIGTERM and SIGHUP stop the engine before the
 * process ends by that signal.
 */
export async function startEngine(): Promise<Engine> {
  if (process.getuid?.() !== 0) {
    throw new Error(
      `Starting the test engine failed: dockerd needs root, but uid is ` +
        `${process.getuid?.()}`,
    );
  }
  // A short literal path because unix socket paths are limited to 107
  // bytes, and TMPDIR may be long.
  const dir = await mkdtemp('/tmp/dsp-');
  const logFile = join(testLogDir(), `engine-${basename(dir)}.log`);
  const socketPath = join(dir, 'docker.sock');
  const daemons: Daemon[] = [];

  const killOnExit = () => daemons.forEach(killDaemonSync);
  const stopOnSignal = (signal: NodeJS.Signals) => {
    void stop()
      .catch((error: Error) => process.stderr.write(`${error.message}\n`))
      .finally(() => process.kill(process.pid, signal));
  };
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // The handlers stay until the end, so a second signal during the
    // teardown waits for it instead of ending the process midway.
    stopping ??= stopEngine(dir, socketPath, daemons).finally(() => {
      process.off('exit', killOnExit);
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
        process.off(signal, stopOnSignal);
      }
    });
    return stopping;
  };
  process.on('exit', killOnExit);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, stopOnSignal);
  }

  try {
    await startDaemons(dir, socketPath, logFile, daemons);
    const engine = createEngine(socketPath, engineImageTag, logFile, stop);
    await importBusyboxImage(dir, async (tarFile, tag) => {
      const args = ['import', '--change', 'ENV PATH=/bin', tarFile, tag];
      const result = await engine.dockerCli(args);
      if (result.code !== 0) {
        throw new Error(`docker import exited with ${result.code}: ` +
          result.stderr.trim());
      }
    });
    return engine;
  } catch (error) {
    await stop().catch(() => {});
    throw new Error(
      `Starting the test engine failed: ${(error as Error).message}\n` +
        `Last lines of ${logFile}:\n${logTail(logFile)}`,
    );
  }
}

async function startDaemons(
  dir: string,
  socketPath: string,
  logFile: string,
  daemons: Daemon[],
): Promise<void> {
  const containerdSocket = join(dir, 'containerd.sock');
  await writeFile(join(dir, 'containerd.toml'), [
    'version = 2',
    `root = "${dir}/containerd/root"`,
    `state = "${dir}/containerd/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    '[grpc]',
    `  address = "${containerdSocket}"`,
    '[plugins."io.containerd.internal.v1.opt"]',
    `  path = "${dir}/containerd/opt"`,
    '',
  ].join('\n'));
  // An empty file keeps the host's /etc/docker/daemon.json out.
  await writeFile(join(dir, 'daemon.json'), '{}\n');

  // containerd runs apart from dockerd: a dockerd without `--containerd`
  // uses the host's containerd whenever /run/containerd/containerd.sock
  // exists, which would mix test containers into the host's.
  const containerd = spawnDaemon('containerd', 'containerd', [
    '--config', join(dir, 'containerd.toml'),
  ], logFile);
  daemons.push(containerd);
  await waitUntil(containerd, containerdSocketTimeoutMs,
    `${containerdSocket} to accept connections`,
    () => canConnect(containerdSocket));

  const dockerd = spawnDaemon('dockerd', 'dockerd', [
    `--config-file=${join(dir, 'daemon.json')}`,
    `--containerd=${containerdSocket}`,
    `--data-root=${join(dir, 'data')}`,
    `--exec-root=${join(dir, 'exec')}`,
    `--pidfile=${join(dir, 'docker.pid')}`,
    `--host=unix://${socketPath}`,
    '--storage-driver=vfs',
    '--iptables=false',
    '--ip-masq=false',
    '--bridge=none',
  ], logFile);
  daemons.push(dockerd);
  await waitUntil(dockerd, pingTimeoutMs, `GET /_ping on ${socketPath}`,
    async () => {
      const response = await requestUnixSocket(socketPath, 'GET', '/_ping')
        .catch(() => undefined);
      return response?.status === 200;
    });
}

/** Polls `check` every 100 ms until it passes or the daemon ends. */
async function waitUntil(
  daemon: Daemon,
  timeoutMs: number,
  what: string,
  check: () => Promise<boolean>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (daemon.hasEnded()) {
      throw new Error(`${daemon.name} ${await daemon.ended} while waiting ` +
        `for ${what}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`Waiting for ${what} timed out after ${timeoutMs} ms`);
    }
    await sleep(100);
  }
}

function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(socketPath);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Removes all containers so no shim outlives the engine, stops dockerd,
 * then containerd, kills leftover shims and deletes the folder. Every step
 * runs even when an earlier one fails, and all failures are thrown at once.
 */
async function stopEngine(
  dir: string,
  socketPath: string,
  daemons: Daemon[],
): Promise<void> {
  const failures: string[] = [];
  const attempt = async (step: string, run: () => Promise<unknown>) => {
    await run().catch((error: Error) => {
      failures.push(`${step}: ${error.message}`);
    });
  };
  const dockerd = daemons.find((daemon) => daemon.name === 'dockerd');
  if (dockerd !== undefined && !dockerd.hasEnded()) {
    const engine = createEngine(socketPath, '', '', async () => {});
    await attempt('removing containers', () => engine.removeAll(''));
  }
  for (const daemon of [...daemons].reverse()) {
    const graceMs = daemon.name === 'dockerd'
      ? dockerdStopGraceMs
      : containerdStopGraceMs;
    await attempt(`stopping ${daemon.name}`,
      () => stopDaemon(daemon, graceMs));
  }
  killProcessesUsing(dir);
  await attempt(`removing ${dir}`, () => removeEngineDir(dir));
  if (failures.length > 0) {
    throw new Error(`Stopping the test engine failed: ${failures.join('; ')}`);
  }
}
