// Sums a V8 `.cpuprofile` by function, for a quick look at the hot path
// without opening DevTools.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../../test/support/log-dir.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
}

function frameName(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.startsWith('file://')
    ? relative(repoRoot, new URL(url).pathname)
    : url;
  const name = functionName === '' ? '(anonymous)' : functionName;
  return file === '' ? name : `${name} ${file}:${lineNumber + 1}`;
}

/**
 * Returns the `limit` functions with the most self time in the profile,
 * as lines of "share of samples, function, file:line".
 */
export function summariseProfile(path: string, limit: number): string[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const selfHits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    total += hits;
    const name = frameName(node);
    selfHits.set(name, (selfHits.get(name) ?? 0) + hits);
  }
  const idle = selfHits.get('(idle)') ?? 0;
  const busy = total - idle;
  const lines = [`${busy} busy samples of ${total} ` +
    `(${(busy / Math.max(total, 1) * 100).toFixed(1)} % busy); ` +
    'self time as a share of busy samples:'];
  const ranked = [...selfHits].filter(([name]) => name !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit);
  for (const [name, hits] of ranked) {
    const share = (hits / Math.max(busy, 1) * 100).toFixed(1);
    lines.push(`${share.padStart(5)} %  ${name}`);
  }
  return lines;
}

/** Lists the `.cpuprofile` files in `dir`. */
export function listProfiles(dir: string): Set<string> {
  const names = readdirSync(dir);
  return new Set(names.filter((name) => name.endsWith('.cpuprofile')));
}

/**
 * Returns the main thread's profile written to `dir` since `before` was
 * listed. Node names them CPU.<date>.<time>.<pid>.<thread>.<sequence>
 * .cpuprofile, and thread 0 is the main thread; tsx's loader thread
 * writes one as well.
 */
export function findMainThreadProfile(
  dir: string,
  before: ReadonlySet<string>,
): string {
  const name = [...listProfiles(dir)]
    .find((file) => !before.has(file) && file.split('.')[4] === '0');
  if (name === undefined) {
    throw new Error(`Reading the CPU profile failed: none appeared in ${dir}`);
  }
  return join(dir, name);
}
