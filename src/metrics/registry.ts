/** Label names and values of one series, in a fixed order. */
export type Labels = Readonly<Record<string, string>>;

/** Upper bounds of the request duration histogram, in seconds. */
export const DURATION_BUCKETS_S = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
  30, 60,
] as const;

/** Series per metric at most; more label combinations are folded. */
const MAX_SERIES = 1_000;

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
}

function labelText(labels: Labels): string {
  const parts = Object.entries(labels).map(([key, value]) =>
    `${key}="${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")
      .replace(/"/g, '\\"')}"`);
  return parts.length === 0 ? "" : `{${parts.join(",")}}`;
}

/** A counter with labels; keys are the rendered label text. */
export class Counter implements Metric {
  readonly type = "counter" as const;
  readonly #values = new Map<string, number>();
  constructor(readonly name: string, readonly help: string) {}

  /** Adds `amount` (default 1) to the series of `labels`. */
  inc(labels: Labels = {}, amount = 1): void {
    let key = labelText(labels);
    if (!this.#values.has(key) && this.#values.size >= MAX_SERIES) {
      key = labelText({ overflow: "true" });
    }
    this.#values.set(key, (this.#values.get(key) ?? 0) + amount);
  }

  /** Returns the current value of one series. */
  value(labels: Labels = {}): number {
    return this.#values.get(labelText(labels)) ?? 0;
  }

  /** Renders the samples in the Prometheus text format. */
  lines(): string[] {
    return [...this.#values].map(([key, value]) => `${this.name}${key} ${value}`);
  }
}

/**
 * A value read when the metrics are scraped: a gauge, or a counter that
 * another part of the proxy keeps.
 */
export class Gauge implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => number,
    readonly type: "gauge" | "counter" = "gauge",
  ) {}

  /** Renders the sample in the Prometheus text format. */
  lines(): string[] {
    return [`${this.name} ${this.read()}`];
  }
}

/** A histogram of durations in seconds, with labels. */
export class Histogram implements Metric {
  readonly type = "histogram" as const;
  readonly #series = new Map<
    string,
    { counts: number[]; sum: number; count: number }
  >();
  constructor(readonly name: string, readonly help: string) {}

  /** Records one observation in the series of `labels`. */
  observe(labels: Labels, seconds: number): void {
    const key = labelText(labels);
    let series = this.#series.get(key);
    if (series === undefined) {
      if (this.#series.size >= MAX_SERIES) return;
      series = { counts: DURATION_BUCKETS_S.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    series.sum += seconds;
    series.count++;
    for (const [index, bound] of DURATION_BUCKETS_S.entries()) {
      if (seconds <= bound) series.counts[index] = (series.counts[index] ?? 0) + 1;
    }
  }

  /** Renders buckets, sum and count in the Prometheus text format. */
  lines(): string[] {
    const lines: string[] = [];
    for (const [key, series] of this.#series) {
      const inner = key.slice(1, -1);
      const bucket = (le: string) =>
        `${this.name}_bucket{${inner === "" ? "" : `${inner},`}le="${le}"}`;
      for (const [index, bound] of DURATION_BUCKETS_S.entries()) {
        lines.push(`${bucket(String(bound))} ${series.counts[index] ?? 0}`);
      }
      lines.push(`${bucket("+Inf")} ${series.count}`);
      lines.push(`${this.name}_sum${key} ${series.sum}`);
      lines.push(`${this.name}_count${key} ${series.count}`);
    }
    return lines;
  }
}

/** Renders metrics in the Prometheus text exposition format 0.0.4. */
export function renderMetrics(
  metrics: readonly (Counter | Gauge | Histogram)[],
): string {
  const lines: string[] = [];
  for (const metric of metrics) {
    lines.push(`# HELP ${metric.name} ${metric.help}`);
    lines.push(`# TYPE ${metric.name} ${metric.type}`);
    lines.push(...metric.lines());
  }
  return lines.join("\n") + "\n";
}
