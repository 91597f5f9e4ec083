import type { Logger } from "../log/logger.ts";

/** Sources tracked at once, per table; the oldest entry goes first. */
export const MAX_SOURCES = 100_000;

/** Options of {@link createBanStore}. */
export interface BanOptions {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly durationMs: number;
  /** Reports whether a source key is exempt from counting and bans. */
  readonly isExempt: (key: string) => boolean;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly maxSources?: number;
}

/** Failed logins and bans per source key. */
export interface BanStore {
  readonly isBanned: (key: string) => boolean;
  /** Counts a failed login; returns true when it starts a ban. */
  readonly recordFailure: (key: string) => boolean;
  /** Lifts every ban that has run out, logging each lift. */
  readonly sweep: () => void;
  readonly activeBans: () => number;
  readonly totalBans: () => number;
}

/**
 * Creates the table of failed logins and bans. Both maps are bounded:
 * a flood of distinct sources evicts the oldest entries instead of
 * growing memory. A ban is only evicted when the ban map itself is full,
 * which takes that many banned sources.
 */
export function createBanStore(options: BanOptions): BanStore {
  const now = options.now ?? Date.now;
  const maxSources = options.maxSources ?? MAX_SOURCES;
  const { logger } = options;
  /** Times of recent failures, oldest first, per source key. */
  const failures = new Map<string, number[]>();
  /** End of the ban, in clock milliseconds, per source key. */
  const bans = new Map<string, number>();
  let total = 0;

  function remember<T>(map: Map<string, T>, key: string, value: T) {
    map.delete(key);
    if (map.size >= maxSources) {
      const oldest = map.keys().next();
      if (!oldest.done) map.delete(oldest.value);
    }
    map.set(key, value);
  }

  function lift(key: string) {
    bans.delete(key);
    logger.warn("ban lifted", { source: key });
  }

  function isBanned(key: string): boolean {
    const until = bans.get(key);
    if (until === undefined) return false;
    if (until > now()) return true;
    lift(key);
    return false;
  }

  function recordFailure(key: string): boolean {
    if (options.isExempt(key) || isBanned(key)) return false;
    const time = now();
    const recent = (failures.get(key) ?? []).filter(
      (at) => time - at < options.windowMs,
    );
    recent.push(time);
    if (recent.length <= options.maxFailures) {
      remember(failures, key, recent);
      return false;
    }
    failures.delete(key);
    remember(bans, key, time + options.durationMs);
    total++;
    logger.warn("ban started", {
      source: key,
      failures: recent.length,
      duration_ms: options.durationMs,
    });
    return true;
  }

  function sweep() {
    const time = now();
    for (const [key, until] of bans) {
      if (until <= time) lift(key);
    }
    for (const [key, times] of failures) {
      const last = times[times.length - 1] ?? 0;
      if (time - last >= options.windowMs) failures.delete(key);
    }
  }

  return {
    isBanned,
    recordFailure,
    sweep,
    activeBans: () => bans.size,
    totalBans: () => total,
  };
}
