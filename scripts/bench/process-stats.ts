// Reads the memory and CPU time of processes from Linux's /proc.
import { readdirSync, readFileSync } from 'node:fs';

/** Unit of the times in /proc/<pid>/stat: USER_HZ, `getconf CLK_TCK`. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Memory of a process in MiB, as the kernel reports it. */
export interface Memory {
  /** Resident set: anonymous plus file-backed plus shared memory. */
  readonly rssMiB: number;
  /** Heap, stacks and other private memory. */
  readonly anonMiB: number;
  /** Pages of the executable and libraries that are in memory. */
  readonly fileMiB: number;
}

function fieldMiB(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
  if (match === null) {
    throw new Error(`Reading ${name} from /proc status failed: field missing`);
  }
  return Number(match[1]) / 1024;
}

/** Reads VmRSS, RssAnon and RssFile of `pid`. */
export function readMemory(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return {
    rssMiB: fieldMiB(status, 'VmRSS'),
    anonMiB: fieldMiB(status, 'RssAnon'),
    fileMiB: fieldMiB(status, 'RssFile'),
  };
}

/** Counts the open file descriptors of `pid`, sockets included. */
export function countOpenFiles(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * Samples VmRSS of `pid` every `intervalMs` until `stop()`, which
 * returns the highest value seen.
 */
export function samplePeakRss(pid: number, intervalMs: number) {
  let peakMiB = readMemory(pid).rssMiB;
  const timer = setInterval(() => {
    peakMiB = Math.max(peakMiB, readMemory(pid).rssMiB);
  }, intervalMs);
  return {
    stop(): number {
      clearInterval(timer);
      return Math.max(peakMiB, readMemory(pid).rssMiB);
    },
  };
}

/** Returns the soft limit on open files of this process. */
export function openFilesLimit(): number {
  const limits = readFileSync('/proc/self/limits', 'utf8');
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (match === null || match[1] === 'unlimited') return Infinity;
  return Number(match[1]);
}

/** Returns the CPU time, user plus system, that `pid` has used so far. */
export function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which may contain spaces, from field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 1000 / CLOCK_TICKS_PER_SECOND;
}

/** Returns the pid of the process whose arguments include `argument`. */
export function findPidByArgument(argument: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (args.includes(argument)) return Number(entry);
  }
  return undefined;
}
