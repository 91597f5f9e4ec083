/** Milliseconds per unit of HAProxy's time format. */
const UNIT_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const DURATION = /^(\d{1,12})(us|ms|s|m|h|d)?$/;

/**
 * Parses a duration in HAProxy's format (`30s`, `1800s`, `5m`, `250`):
 * an unsigned integer with an optional unit, milliseconds when bare.
 * Returns `undefined` for anything else. Sub-millisecond results round up
 * to 1 ms so that a non-zero value never disables a timeout.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match === null) return undefined;
  const amount = Number(match[1]);
  const ms = amount * (UNIT_MS[match[2] ?? "ms"] ?? 1);
  if (amount > 0 && ms < 1) return 1;
  return Math.round(ms);
}

/** Formats milliseconds back into the shortest exact HAProxy duration. */
export function formatDuration(ms: number): string {
  for (const unit of ["d", "h", "m", "s"] as const) {
    const size = UNIT_MS[unit] ?? 1;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
