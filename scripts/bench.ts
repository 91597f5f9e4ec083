// Measures the proxy against the engine's own socket and prints one
// table: `npm run bench [-- options]`.
//
//   --bin PATH   the proxy binary to run (default dist/appapi-dsp when
//                it exists, else `node --import tsx src/main.ts`)
//   --node       run the node entry even when the binary exists
//   --profile    run the node entry under `node --cpu-prof`, keep the
//                profile in bench-results/profile/ and print its top
//                functions
//
// It starts a private Docker engine (needs root, like the end-to-end
// tests) and the proxy on loopback, and stops both at the end, also on
// failure or Ctrl-C. Results go to bench-results/bench.json, and the
// logs of the engine and the proxy to bench-results/logs/.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEngine, type Engine } from '../test/support/engine.ts';
import { repoRoot } from '../test/support/log-dir.ts';
import type { Proxy } from '../test/support/proxy.ts';
import { measureIdleConnections } from './bench/idle-connections.ts';
import {
  measureBurst,
  measurePing,
  measureUpload,
  median,
  type Sides,
} from './bench/measure.ts';
import {
  findPidByArgument,
  openFilesLimit,
  readMemory,
} from './bench/process-stats.ts';
import {
  findMainThreadProfile,
  listProfiles,
  summariseProfile,
} from './bench/profile-summary.ts';
import {
  chooseProxyCommand,
  killLiveProxies,
  startTimed,
  timeStartups,
  useProxyCommand,
  type CommandOptions,
} from './bench/proxy-process.ts';
import {
  buildRows,
  describeMachine,
  formatTable,
  type Results,
} from './bench/report.ts';

/** Idle keep-alive connections held open for the memory row. */
const IDLE_CONNECTIONS = 2_000;
/** Open files the bench needs: its client sockets plus a margin. */
const OPEN_FILES_NEEDED = IDLE_CONNECTIONS + 1_000;
/** Size of the large archive upload, in MiB. */
const UPLOAD_MIB = 64;
/** AppAPI uploads each CA certificate of the host as its own archive. */
const BURST_COUNT = 140;
const BURST_FILE_BYTES = 4_096;
/** Proxy starts timed for the start-up row. */
const STARTUP_RUNS = 10;
/** Quiet time before memory is read, so start-up work can settle. */
const SETTLE_MS = 1_000;
/** An ExApp-named container the archives are uploaded into. */
const CONTAINER = 'nc_app_bench';

const resultsDir = join(repoRoot, 'bench-results');
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function parseArgs(args: readonly string[]): CommandOptions {
  let bin: string | undefined;
  let node = false;
  let profile = false;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (arg === '--bin' && args[i + 1] !== undefined) bin = args[++i];
    else if (arg.startsWith('--bin=')) bin = arg.slice('--bin='.length);
    else if (arg === '--node') node = true;
    else if (arg === '--profile') profile = true;
    else {
      throw new Error(`Invalid argument ${JSON.stringify(arg)}: expected ` +
        '--bin PATH, --node or --profile');
    }
  }
  const profileDir = profile ? join(resultsDir, 'profile') : undefined;
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
  return { bin, node, profileDir };
}

/**
 * Runs the bench again under a shell that raised the open-files limit,
 * when this process's limit is too low for the idle connections.
 * Returns the child's exit code, or undefined when no re-run was needed.
 */
function rerunWithMoreOpenFiles(): number | undefined {
  const limit = openFilesLimit();
  if (limit >= OPEN_FILES_NEEDED) return undefined;
  if (process.env.DSP_BENCH_RERUN === '1') {
    throw new Error(`Raising the open-files limit to ${OPEN_FILES_NEEDED} ` +
      `failed: it is ${limit}; raise the hard limit (ulimit -Hn)`);
  }
  progress(`open-files limit ${limit} is below ${OPEN_FILES_NEEDED}; ` +
    'running again with ulimit -n raised');
  const result = spawnSync('/bin/sh', [
    '-c', `ulimit -S -n ${OPEN_FILES_NEEDED} && exec "$0" "$@"`,
    process.execPath, ...process.execArgv, ...process.argv.slice(1),
  ], { stdio: 'inherit', env: { ...process.env, DSP_BENCH_RERUN: '1' } });
  return result.status ?? 1;
}

async function createContainer(engine: Engine): Promise<void> {
  const created = await engine.request('POST',
    `/containers/create?name=${CONTAINER}`,
    { Image: engine.image, Cmd: ['sh'] });
  if (created.status !== 201) {
    throw new Error(`Creating ${CONTAINER} returned ${created.status}: ` +
      created.body.trim());
  }
}

function enginePid(engine: Engine): number {
  const argument = `--host=unix://${engine.socketPath}`;
  const pid = findPidByArgument(argument);
  if (pid === undefined) {
    throw new Error(`Finding the engine's dockerd failed: no process has ` +
      `the argument ${argument}`);
  }
  return pid;
}

async function measureAll(engine: Engine, label: string, profileDir?: string) {
  await createContainer(engine);
  progress('starting the proxy');
  let proxy: Proxy | undefined;
  try {
    proxy = (await startTimed(engine.socketPath)).proxy;
    const pid = proxy.child.pid ?? 0;
    await sleep(SETTLE_MS);
    const idle = readMemory(pid);
    const sides: Sides = {
      proxy: { kind: 'tcp', host: proxy.host, port: proxy.port },
      direct: { kind: 'unix', socketPath: engine.socketPath },
      authorization: proxy.authHeader,
      proxyPid: pid,
      enginePid: enginePid(engine),
      container: CONTAINER,
    };
    progress('_ping, concurrency 1');
    const c1 = await measurePing(sides, 1);
    progress('_ping, concurrency 16');
    const c16 = await measurePing(sides, 16);
    progress(`archive upload, ${UPLOAD_MIB} MiB`);
    const upload = await measureUpload(sides, UPLOAD_MIB);
    progress(`${BURST_COUNT} small archive uploads`);
    const burst = await measureBurst(sides, BURST_COUNT, BURST_FILE_BYTES);
    progress(`${IDLE_CONNECTIONS} idle connections`);
    const connected = await measureIdleConnections(
      { ...proxy, pid }, IDLE_CONNECTIONS, SETTLE_MS);
    progress(`the proxy holds ${connected.openFiles} open files`);
    const profilesBefore = profileDir === undefined
      ? new Set<string>()
      : listProfiles(profileDir);
    await proxy.stop();
    proxy = undefined;
    if (profileDir !== undefined) {
      const profile = findMainThreadProfile(profileDir, profilesBefore);
      progress(`CPU profile of the proxy: ${profile}`);
      for (const line of summariseProfile(profile, 30)) progress(line);
    }
    progress(`start to first answer, ${STARTUP_RUNS} runs`);
    const runsMs = await timeStartups(engine.socketPath, STARTUP_RUNS);
    const results: Results = {
      proxyCommand: label,
      ping: { c1, c16 },
      upload: { megabytes: UPLOAD_MIB, ...upload },
      burst: { count: BURST_COUNT, fileBytes: BURST_FILE_BYTES, ...burst },
      memory: {
        idleRssMiB: idle.rssMiB,
        idleAnonMiB: idle.anonMiB,
        idleFileMiB: idle.fileMiB,
        connections: IDLE_CONNECTIONS,
        connectionsRssMiB: connected.memory.rssMiB,
        connectionsAnonMiB: connected.memory.anonMiB,
      },
      startup: { medianMs: median(runsMs), runsMs },
    };
    return results;
  } finally {
    await proxy?.stop();
  }
}

/**
 * Stops the proxies on SIGINT, SIGTERM or SIGHUP. The engine's own
 * handlers stop the engine and then end the process by the same signal;
 * without them this handler does that.
 */
function stopProxiesOnSignal(): void {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => {
    for (const other of signals) process.off(other, onSignal);
    progress(`${signal}: stopping the proxy and the engine`);
    killLiveProxies('SIGKILL');
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  for (const signal of signals) process.on(signal, onSignal);
}

/** Prints the table and writes it, with every number, as JSON. */
function report(results: Results, loadBefore: number, startedMs: number) {
  const rows = buildRows(results);
  const machine = describeMachine();
  process.stdout.write(`${formatTable(rows)}\n`);
  const file = join(resultsDir, 'bench.json');
  writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(),
    machine: { ...machine, loadAverage1mBefore: loadBefore },
    results,
    rows,
  }, null, 2) + '\n');
  progress(`${machine.cpuCount} × ${machine.cpuModel}, ` +
    `${machine.memoryGiB} GiB, Node ${machine.node}; load average ` +
    `${loadBefore} before, ${machine.loadAverage1m} after; ` +
    `${((performance.now() - startedMs) / 1000).toFixed(0)} s; ` +
    `wrote ${file}`);
}

async function main(): Promise<number> {
  const rerunCode = rerunWithMoreOpenFiles();
  if (rerunCode !== undefined) return rerunCode;
  const options = parseArgs(process.argv.slice(2));
  stopProxiesOnSignal();
  mkdirSync(join(resultsDir, 'logs'), { recursive: true });
  process.env.DSP_TEST_LOG_DIR = join(resultsDir, 'logs');
  const command = chooseProxyCommand(options);
  useProxyCommand(command);
  progress(`proxy command: ${command.label}`);

  const loadBefore = describeMachine().loadAverage1m;
  const startedMs = performance.now();
  progress('starting the private engine');
  const engine = await startEngine();
  let results: Results;
  try {
    results = await measureAll(engine, command.label, options.profileDir);
  } finally {
    progress('stopping the engine');
    await engine.stop();
  }
  report(results, loadBefore, startedMs);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: FAILED: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
