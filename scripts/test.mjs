// Runs the test suites: `node scripts/test.mjs [unit|e2e] [files…]`.
//
// Unit tests are the `*.test.ts` files under test/ outside test/e2e/.
// End-to-end tests are those inside test/e2e/. They share one private
// Docker engine, which test/support/engine-daemon.ts starts. The engine
// is stopped afterwards whatever happens, because CI waits until every
// process holding its output pipe has ended. dockerd needs root.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const testRoot = join(repoRoot, 'test');
const e2eRoot = join(testRoot, 'e2e') + sep;
const logRoot = join(repoRoot, '.tmp', 'test-logs');
const keptRunLogs = 10;
const engineStartTimeoutMs = 120_000;
const engineStopTimeoutMs = 60_000;
const testGroupKillGraceMs = 10_000;
/** Guards CI against a hung test; hooks are not limited by it. */
const testTimeoutMs = 300_000;
const signalNumbers = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };

/** Process groups of running test runs, signalled on interruption. */
const testGroups = new Set();
let interruptedBy;

for (const signal of Object.keys(signalNumbers)) {
  process.on(signal, () => {
    if (interruptedBy !== undefined) return;
    interruptedBy = signal;
    console.error(`\nReceived ${signal}: stopping the tests and the engine`);
    for (const pid of testGroups) signalGroup(pid, signal);
  });
}

process.exitCode = await main(process.argv.slice(2));

async function main(args) {
  const kinds = ['unit', 'e2e'];
  const selected = kinds.includes(args[0]) ? [args.shift()] : kinds;
  const files = args.length > 0
    ? args.map((file) => resolve(file))
    : findTestFiles(testRoot);
  if (process.env.DSP_TEST_LOG_DIR === undefined) {
    process.env.DSP_TEST_LOG_DIR = createRunLogDir();
  }

  let failed = false;
  for (const kind of selected) {
    if (interruptedBy !== undefined) break;
    const kindFiles = files.filter((file) => {
      return file.startsWith(e2eRoot) === (kind === 'e2e');
    });
    if (kindFiles.length === 0) {
      // Named files select the kinds; a full run needs both kinds.
      if (args.length > 0) continue;
      console.error(`No ${kind} test files found under test/`);
      failed = true;
      continue;
    }
    const passed = kind === 'unit'
      ? await runTests(kindFiles, [])
      : await runEndToEnd(kindFiles);
    failed ||= !passed;
  }
  if (interruptedBy !== undefined) return 128 + signalNumbers[interruptedBy];
  return failed ? 1 : 0;
}

/**
 * Creates `.tmp/test-logs/run-<time>-<pid>` for this run's engine and
 * proxy logs, and keeps only the newest `keptRunLogs` run folders.
 * Each run has its own folder because several runs may share a checkout.
 */
function createRunLogDir() {
  const time = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = join(logRoot, `run-${time}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const runs = readdirSync(logRoot)
    .filter((name) => name.startsWith('run-'))
    .sort();
  for (const name of runs.slice(0, -keptRunLogs)) {
    rmSync(join(logRoot, name), { recursive: true, force: true });
  }
  return dir;
}

/** Returns every `*.test.ts` file below `dir`, sorted. */
function findTestFiles(dir) {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath ?? entry.path, entry.name))
    .sort();
}

async function runEndToEnd(files) {
  console.log('Starting the test engine');
  let engine;
  try {
    engine = await startEngineDaemon();
  } catch (error) {
    console.error(error.message);
    return false;
  }
  try {
    if (interruptedBy !== undefined) return false;
    console.log(`Test engine ready on ${engine.socketPath}`);
    const passed = await runTests(files, ['--test-concurrency=1'], {
      DSP_TEST_ENGINE_SOCKET: engine.socketPath,
      DSP_TEST_ENGINE_IMAGE: engine.image,
      DSP_TEST_ENGINE_LOG: engine.logFile,
    });
    if (!passed) printLogHint();
    return passed;
  } finally {
    await stopEngineDaemon(engine.child);
  }
}

/**
 * Runs `node --test` on `files` in its own process group and then kills
 * whatever is left in that group, such as a proxy that a crashed test
 * file never stopped.
 */
async function runTests(files, extraArgs, env = {}) {
  const args = [
    '--import', 'tsx', '--test', '--test-reporter=spec',
    `--test-timeout=${testTimeoutMs}`,
    ...extraArgs,
    ...files.map((file) => relative(repoRoot, file)),
  ];
  const child = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
    detached: true,
  });
  testGroups.add(child.pid);
  const code = await new Promise((resolveCode) => {
    child.once('error', (error) => {
      console.error(`Starting node --test failed: ${error.message}`);
      resolveCode(1);
    });
    child.once('exit', (exitCode) => resolveCode(exitCode ?? 1));
  });
  testGroups.delete(child.pid);
  signalGroup(child.pid, 'SIGKILL');
  return code === 0;
}

/** Starts the engine daemon and resolves with its first output line. */
function startEngineDaemon() {
  const child = spawn(process.execPath,
    ['--import', 'tsx', 'test/support/engine-daemon.ts'], {
      cwd: repoRoot,
      stdio: ['pipe', 'pipe', 'inherit'],
    });
  return new Promise((resolveEngine, reject) => {
    let settled = false;
    const fail = (reason) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void stopEngineDaemon(child).finally(() => {
        reject(new Error(`Starting the test engine failed: ${reason}`));
      });
    };
    const onExit = (code, signal) => {
      fail(`the engine daemon exited with ${code ?? signal}`);
    };
    const timer = setTimeout(() => {
      fail(`no output within ${engineStartTimeoutMs} ms`);
    }, engineStartTimeoutMs);
    child.once('error', (error) => fail(error.message));
    child.once('exit', onExit);
    createInterface({ input: child.stdout }).once('line', (line) => {
      if (settled) return;
      let engine;
      try {
        engine = JSON.parse(line);
      } catch {
        fail(`unexpected output ${JSON.stringify(line)}`);
        return;
      }
      settled = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolveEngine({ child, ...engine });
    });
  });
}

/**
 * Asks the engine daemon to stop (SIGTERM, and its stdin closes) and
 * waits; SIGKILL follows after `engineStopTimeoutMs`.
 */
async function stopEngineDaemon(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolveExit) => child.once('exit', resolveExit));
  child.stdin.end();
  child.kill('SIGTERM');
  const timer = setTimeout(() => {
    console.error('Stopping the test engine timed out; killing the daemon');
    child.kill('SIGKILL');
  }, engineStopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has no process left.
  }
  if (signal !== 'SIGKILL') {
    setTimeout(() => signalGroup(pid, 'SIGKILL'), testGroupKillGraceMs)
      .unref();
  }
}

/** Points at the logs; on CI, where the clone goes away, prints them. */
function printLogHint() {
  const logDir = process.env.DSP_TEST_LOG_DIR;
  console.log(`Engine and proxy logs: ${logDir}`);
  if (process.env.CI === undefined) return;
  let names;
  try {
    names = readdirSync(logDir).sort();
  } catch (error) {
    console.log(`Reading ${logDir} failed: ${error.message}`);
    return;
  }
  for (const name of names) {
    const lines = readFileSync(join(logDir, name), 'utf8')
      .trimEnd()
      .split('\n');
    console.log(`--- last lines of ${name} ---`);
    console.log(lines.slice(-40).join('\n'));
  }
}
