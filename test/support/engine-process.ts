import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** A background process in its own process group, logging to a file. */
export interface Daemon {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with how the process ended, e.g. "exited with code 1". */
  readonly ended: Promise<string>;
  /** Whether the process has ended. */
  hasEnded(): boolean;
}

/**
 * Starts `command` detached, so it leads its own process group and a
 * terminal's Ctrl-C does not reach it. Its stdout and stderr are appended
 * to `logFile`, never to the test's output.
 */
export function spawnDaemon(
  name: string,
  command: string,
  args: string[],
  logFile: string,
): Daemon {
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  // A test file that never stops its engine must still end; the engine's
  // 'exit' hook then kills the daemons.
  child.unref();
  let ended = false;
  const endedPromise = new Promise<string>((resolve) => {
    child.once('error', (error) => {
      ended = true;
      resolve(`failed to start: ${error.message}`);
    });
    child.once('exit', (code, signal) => {
      ended = true;
      resolve(signal === null
        ? `exited with code ${code}`
        : `was killed by ${signal}`);
    });
  });
  return { name, child, ended: endedPromise, hasEnded: () => ended };
}

/**
 * Sends SIGTERM to the daemon and waits up to `graceMs` for it to exit,
 * then kills its whole process group with SIGKILL.
 */
export async function stopDaemon(
  daemon: Daemon,
  graceMs: number,
): Promise<void> {
  if (daemon.hasEnded()) return;
  signalDaemon(daemon, 'SIGTERM');
  if (await endsWithin(daemon, graceMs)) return;
  signalGroup(daemon, 'SIGKILL');
  if (await endsWithin(daemon, 5_000)) return;
  throw new Error(
    `Stopping ${daemon.name} failed: pid ${daemon.child.pid} is still ` +
      'running after SIGKILL',
  );
}

/** Kills the daemon's process group at once; safe in an 'exit' handler. */
export function killDaemonSync(daemon: Daemon): void {
  if (!daemon.hasEnded()) signalGroup(daemon, 'SIGKILL');
}

function signalDaemon(daemon: Daemon, signal: NodeJS.Signals): void {
  try {
    daemon.child.kill(signal);
  } catch {
    // The process ended between the check and the signal.
  }
}

function signalGroup(daemon: Daemon, signal: NodeJS.Signals): void {
  const pid = daemon.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    signalDaemon(daemon, signal);
  }
}

async function endsWithin(daemon: Daemon, timeoutMs: number) {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ended = daemon.ended.then(() => true);
  const result = await Promise.race([ended, timeout]);
  clearTimeout(timer);
  return result;
}

/**
 * Kills with SIGKILL every process whose command line mentions `dir`.
 * containerd shims (`containerd-shim-runc-v2 -address <dir>/...`) start in
 * their own process groups and outlive containerd by design, so killing
 * the daemons' groups does not reach them.
 */
export function killProcessesUsing(dir: string): number[] {
  const needle = `${dir}/`;
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let commandLine: string;
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'latin1');
    } catch {
      continue;
    }
    if (!commandLine.includes(needle)) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // The process ended while we scanned.
    }
  }
  return killed;
}

/**
 * Unmounts everything mounted at or below `dir`, deepest first. dockerd
 * bind-mounts its data root onto itself and leaves `<exec-root>/netns`
 * mounts behind, and `rm -r` fails on a mount point.
 */
export async function unmountUnder(dir: string): Promise<void> {
  const mountPoints = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of mountPoints) {
    await execFileAsync('umount', ['-l', point]);
  }
}

/** Unmounts and deletes a private engine's folder. */
export async function removeEngineDir(dir: string): Promise<void> {
  await unmountUnder(dir);
  await rm(dir, { recursive: true, force: true });
}

/** Returns the last `lineCount` lines of a log file, or why it can't. */
export function logTail(logFile: string, lineCount = 25): string {
  try {
    const lines = readFileSync(logFile, 'utf8').trimEnd().split('\n');
    return lines.slice(-lineCount).join('\n');
  } catch (error) {
    return `(reading ${logFile} failed: ${(error as Error).message})`;
  }
}
