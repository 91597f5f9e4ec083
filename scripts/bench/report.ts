// Turns the measurements into the one table of `npm run bench`, with
// each target and whether this run met it.
import { cpus, loadavg, release, totalmem } from 'node:os';
import type { PingSide } from './measure.ts';

/** Every number of one bench run. */
export interface Results {
  readonly proxyCommand: string;
  readonly ping: Readonly<Record<'c1' | 'c16',
    { readonly proxy: PingSide; readonly direct: PingSide }>>;
  readonly upload: {
    readonly megabytes: number;
    readonly proxyMBps: number;
    readonly directMBps: number;
    readonly peakRssMiB: number;
    readonly largeMegabytes: number;
    readonly largePeakRssMiB: number;
  };
  readonly burst: {
    readonly count: number;
    readonly fileBytes: number;
    readonly proxyMs: number;
    readonly directMs: number;
  };
  readonly memory: {
    readonly idleRssMiB: number;
    readonly idleAnonMiB: number;
    readonly idleFileMiB: number;
    readonly connections: number;
    readonly connectionsRssMiB: number;
    readonly connectionsAnonMiB: number;
  };
  readonly startup: { readonly medianMs: number; readonly runsMs: number[] };
}

/** One line of the table. */
export interface Row {
  readonly measure: string;
  readonly proxy: string;
  readonly direct: string;
  readonly ratio: string;
  readonly target: string;
  /** PASS, MISS, or empty for a row without a target. */
  readonly result: string;
}

const fixed = (value: number, digits: number) => value.toFixed(digits);
const signed = (value: number, digits: number) =>
  `${value >= 0 ? '+' : ''}${value.toFixed(digits)}`;
const verdict = (met: boolean) => (met ? 'PASS' : 'MISS');


function cpuRow(name: string, ping: Results['ping']['c1']): Row {
  const { proxy, direct } = ping;
  const proxyTotal = proxy.cpuUs.proxy + proxy.cpuUs.engine +
    proxy.cpuUs.client;
  const directTotal = direct.cpuUs.engine + direct.cpuUs.client;
  return {
    measure: `_ping ${name} CPU µs per request (proxy + engine + client)`,
    proxy: `${fixed(proxy.cpuUs.proxy, 0)} + ${fixed(proxy.cpuUs.engine, 0)}` +
      ` + ${fixed(proxy.cpuUs.client, 0)} = ${fixed(proxyTotal, 0)}`,
    direct: `${fixed(direct.cpuUs.engine, 0)} + ` +
      `${fixed(direct.cpuUs.client, 0)} = ${fixed(directTotal, 0)}`,
    ratio: fixed(proxyTotal / directTotal, 2),
    target: '',
    result: '',
  };
}

function pingRows(name: string, ping: Results['ping']['c1']): Row[] {
  const ratio = ping.proxy.requestsPerSecond / ping.direct.requestsPerSecond;
  const rows: Row[] = [{
    measure: `_ping ${name} requests/s`,
    proxy: fixed(ping.proxy.requestsPerSecond, 0),
    direct: fixed(ping.direct.requestsPerSecond, 0),
    ratio: fixed(ratio, 2),
    target: '≥ 0.60 × direct',
    result: verdict(ratio >= 0.6),
  }];
  const added = ping.proxy.p50Ms - ping.direct.p50Ms;
  rows.push({
    measure: `_ping ${name} p50 ms`,
    proxy: fixed(ping.proxy.p50Ms, 3),
    direct: fixed(ping.direct.p50Ms, 3),
    ratio: `${signed(added, 3)} ms`,
    target: name === 'c=1' ? 'added ≤ 0.3 ms' : '',
    result: name === 'c=1' ? verdict(added <= 0.3) : '',
  }, {
    measure: `_ping ${name} p99 ms`,
    proxy: fixed(ping.proxy.p99Ms, 3),
    direct: fixed(ping.direct.p99Ms, 3),
    ratio: `${signed(ping.proxy.p99Ms - ping.direct.p99Ms, 3)} ms`,
    target: '',
    result: '',
  }, cpuRow(name, ping));
  return rows;
}

/** Builds the table rows with their targets and verdicts. */
export function buildRows(results: Results): Row[] {
  const { upload, burst, memory, startup } = results;
  const uploadRatio = upload.proxyMBps / upload.directMBps;
  // A proxy that buffered bodies would need three round uploads more for
  // the large upload. Garbage collection timing alone moved the peak by
  // up to 40 MiB between runs on a 2-vCPU VM, so the limit is one round.
  const growth = upload.largePeakRssMiB - upload.peakRssMiB;
  const growthLimitMiB = upload.megabytes;
  const burstRatio = burst.proxyMs / burst.directMs;
  return [
    ...pingRows('c=1', results.ping.c1),
    ...pingRows('c=16', results.ping.c16),
    {
      measure: `archive PUT ${upload.megabytes} MiB, MB/s`,
      proxy: fixed(upload.proxyMBps, 1),
      direct: fixed(upload.directMBps, 1),
      ratio: fixed(uploadRatio, 2),
      target: '≥ 0.80 × direct',
      result: verdict(uploadRatio >= 0.8),
    },
    {
      measure: `proxy peak VmRSS, ${upload.megabytes} / ` +
        `${upload.largeMegabytes} MiB upload, MiB`,
      proxy: `${fixed(upload.peakRssMiB, 1)} / ` +
        `${fixed(upload.largePeakRssMiB, 1)}`,
      direct: '',
      ratio: `${signed(growth, 1)} MiB`,
      target: `rise < ${growthLimitMiB} MiB`,
      result: verdict(growth < growthLimitMiB),
    },
    {
      measure: `${burst.count} archive PUTs of ${burst.fileBytes} B, ms`,
      proxy: fixed(burst.proxyMs, 0),
      direct: fixed(burst.directMs, 0),
      ratio: fixed(burstRatio, 2),
      target: '≤ 1.30 × direct',
      result: verdict(burstRatio <= 1.3),
    },
    {
      measure: 'proxy VmRSS idle, MiB (anon / file)',
      proxy: `${fixed(memory.idleRssMiB, 1)} (${fixed(memory.idleAnonMiB, 1)}` +
        ` / ${fixed(memory.idleFileMiB, 1)})`,
      direct: '',
      ratio: '',
      target: '≤ 60',
      result: verdict(memory.idleRssMiB <= 60),
    },
    {
      measure: `proxy VmRSS with ${memory.connections} idle connections, MiB`,
      proxy: `${fixed(memory.connectionsRssMiB, 1)} ` +
        `(anon ${fixed(memory.connectionsAnonMiB, 1)})`,
      direct: '',
      ratio: '',
      target: '≤ 150',
      result: verdict(memory.connectionsRssMiB <= 150),
    },
    {
      measure: `start to first answer, ms (median of ${startup.runsMs.length})`,
      proxy: fixed(startup.medianMs, 0),
      direct: '',
      ratio: '',
      target: '≤ 250',
      result: verdict(startup.medianMs <= 250),
    },
  ];
}

/** Formats rows as a Markdown table, ready for docs/benchmarks.md. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['measure', 'proxy', 'direct', 'ratio / added', 'target',
    'result'];
  const cells = rows.map((row) => [row.measure, row.proxy, row.direct,
    row.ratio, row.target, row.result]);
  const widths = header.map((title, column) => Math.max(title.length,
    ...cells.map((line) => (line[column] ?? '').length)));
  const line = (values: readonly string[]) => '| ' + values
    .map((value, column) => value.padEnd(widths[column] ?? 0))
    .join(' | ') + ' |';
  return [
    line(header),
    line(widths.map((width) => '-'.repeat(width))),
    ...cells.map(line),
  ].join('\n');
}

/**
 * Describes the machine the numbers come from. The load average shows
 * whether other work shared the CPUs during the run.
 */
export function describeMachine() {
  const processors = cpus();
  return {
    cpuModel: processors[0]?.model ?? 'unknown',
    cpuCount: processors.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30 * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}
