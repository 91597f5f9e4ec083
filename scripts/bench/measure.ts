// The load rows of the benchmark. Each measures the proxy and the
// engine's own socket in alternating rounds, so that a slow moment of a
// noisy machine hits both sides alike.
import {
  createLoadClient,
  quantile,
  runLoad,
  send,
  type BenchRequest,
  type Endpoint,
  type LoadClient,
} from './load-client.ts';
import { readCpuMs, samplePeakRss } from './process-stats.ts';
import { tarWithOneFile } from '../../test/support/tar.ts';

/** The two ways to the engine that every row compares. */
export interface Sides {
  readonly proxy: Endpoint;
  readonly direct: Endpoint;
  /** Sent on both sides; the engine ignores it. */
  readonly authorization: string;
  /** Process of the proxy, for its memory and CPU time. */
  readonly proxyPid: number;
  /** Process of the engine (dockerd), for its CPU time. */
  readonly enginePid: number;
  /** An ExApp container that archives can be uploaded into. */
  readonly container: string;
}

/** Throughput, latency and CPU cost of one side of a `_ping` row. */
export interface PingSide {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU time per request of each process, in microseconds. */
  readonly cpuUs: { proxy: number; engine: number; client: number };
}

type Side = 'proxy' | 'direct';

const SIDES: readonly Side[] = ['proxy', 'direct'];
/** Rounds per row; the order of the sides alternates between rounds. */
const ROUNDS = 3;
/** Length of one `_ping` round per side. */
const PING_ROUND_MS = 2_000;
/** Unmeasured load before the first round, to warm up JIT and pools. */
const PING_WARMUP_MS = 500;
/** How often the proxy's memory is read during an upload. */
const RSS_SAMPLE_INTERVAL_MS = 20;

function orderOf(round: number): readonly Side[] {
  return round % 2 === 0 ? SIDES : [...SIDES].reverse();
}

/** Returns the median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle] ?? Number.NaN
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function withClient<T>(
  endpoint: Endpoint,
  sockets: number,
  use: (client: LoadClient) => Promise<T>,
): Promise<T> {
  const client = createLoadClient(endpoint, sockets);
  return use(client).finally(() => client.close());
}

/** CPU time used so far by the proxy, the engine and this process. */
function cpuSnapshot(sides: Sides) {
  const own = process.cpuUsage();
  return {
    proxy: readCpuMs(sides.proxyPid),
    engine: readCpuMs(sides.enginePid),
    client: (own.user + own.system) / 1000,
  };
}

/** Measures authenticated `GET /_ping` from `concurrency` loops. */
export async function measurePing(sides: Sides, concurrency: number) {
  const spec: BenchRequest = {
    method: 'GET',
    path: '/_ping',
    headers: { authorization: sides.authorization },
    expectStatus: 200,
  };
  const collected = {
    proxy: [] as Float64Array[],
    direct: [] as Float64Array[],
  };
  const seconds = { proxy: 0, direct: 0 };
  const cpuMs = {
    proxy: { proxy: 0, engine: 0, client: 0 },
    direct: { proxy: 0, engine: 0, client: 0 },
  };
  for (const side of SIDES) {
    await withClient(sides[side], concurrency,
      (client) => runLoad(client, spec, concurrency, PING_WARMUP_MS));
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of orderOf(round)) {
      const before = cpuSnapshot(sides);
      const result = await withClient(sides[side], concurrency,
        (client) => runLoad(client, spec, concurrency, PING_ROUND_MS));
      const after = cpuSnapshot(sides);
      collected[side].push(result.latenciesMs);
      seconds[side] += result.seconds;
      for (const name of ['proxy', 'engine', 'client'] as const) {
        cpuMs[side][name] += after[name] - before[name];
      }
    }
  }
  const summarise = (side: Side): PingSide => {
    const parts = collected[side];
    const all = new Float64Array(parts.reduce((sum, p) => sum + p.length, 0));
    let offset = 0;
    for (const part of parts) {
      all.set(part, offset);
      offset += part.length;
    }
    all.sort();
    const perRequestUs = (ms: number) => ms * 1000 / all.length;
    return {
      requestsPerSecond: all.length / seconds[side],
      p50Ms: quantile(all, 0.5),
      p99Ms: quantile(all, 0.99),
      cpuUs: {
        proxy: perRequestUs(cpuMs[side].proxy),
        engine: perRequestUs(cpuMs[side].engine),
        client: perRequestUs(cpuMs[side].client),
      },
    };
  };
  return { proxy: summarise('proxy'), direct: summarise('direct') };
}

function archiveRequest(sides: Sides, archive: Buffer): BenchRequest {
  return {
    method: 'PUT',
    path: `/containers/${sides.container}/archive?path=/tmp`,
    headers: {
      authorization: sides.authorization,
      'content-type': 'application/x-tar',
      'content-length': String(archive.length),
    },
    body: archive,
    expectStatus: 200,
  };
}

/** How much larger the extra upload that checks for buffering is. */
const LARGE_UPLOAD_FACTOR = 4;

async function uploadOnce(sides: Sides, side: Side, spec: BenchRequest) {
  const sampler = side === 'proxy'
    ? samplePeakRss(sides.proxyPid, RSS_SAMPLE_INTERVAL_MS)
    : undefined;
  const started = performance.now();
  await withClient(sides[side], 1, (client) => send(client, spec));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, peakRssMiB: sampler?.stop() ?? 0 };
}

/**
 * Uploads a `megabytes` MiB tar archive, median of the rounds, with the
 * proxy's highest VmRSS during its uploads. Then one upload four times
 * that size goes through the proxy: a proxy that buffered bodies would
 * need far more memory for it.
 */
export async function measureUpload(sides: Sides, megabytes: number) {
  const archive = tarWithOneFile('bench-upload.bin', megabytes * 1024 * 1024);
  const spec = archiveRequest(sides, archive);
  const rates = { proxy: [] as number[], direct: [] as number[] };
  let peakRssMiB = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of orderOf(round)) {
      const upload = await uploadOnce(sides, side, spec);
      rates[side].push(archive.length / 1e6 / upload.seconds);
      peakRssMiB = Math.max(peakRssMiB, upload.peakRssMiB);
    }
  }
  const largeMegabytes = megabytes * LARGE_UPLOAD_FACTOR;
  const large = await uploadOnce(sides, 'proxy', archiveRequest(sides,
    tarWithOneFile('bench-upload.bin', largeMegabytes * 1024 * 1024)));
  return {
    proxyMBps: median(rates.proxy),
    directMBps: median(rates.direct),
    peakRssMiB,
    largeMegabytes,
    largePeakRssMiB: large.peakRssMiB,
  };
}

/**
 * Sends `count` small archive uploads one after another on one
 * keep-alive connection, as AppAPI does with its CA certificates, and
 * returns the median total time of the rounds in milliseconds.
 */
export async function measureBurst(
  sides: Sides,
  count: number,
  fileBytes: number,
) {
  const spec = archiveRequest(sides,
    tarWithOneFile('bench-certificate.pem', fileBytes));
  const totals = { proxy: [] as number[], direct: [] as number[] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const side of orderOf(round)) {
      const totalMs = await withClient(sides[side], 1, async (client) => {
        const started = performance.now();
        for (let i = 0; i < count; i++) await send(client, spec);
        return performance.now() - started;
      });
      totals[side].push(totalMs);
    }
  }
  return { proxyMs: median(totals.proxy), directMs: median(totals.direct) };
}
