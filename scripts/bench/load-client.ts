// The one HTTP client of the benchmark. Every row uses it, through the
// proxy (TCP) and straight to the engine (unix socket), so that the
// client's own cost is the same on both sides of a ratio.
import { Agent, request, type OutgoingHttpHeaders } from 'node:http';

/** Destination of the requests: a TCP address or a unix socket. */
export type Endpoint =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly socketPath: string };

/** A keep-alive connection pool with a fixed number of sockets. */
export interface LoadClient {
  readonly endpoint: Endpoint;
  readonly agent: Agent;
  /** Closes every pooled connection. */
  close(): void;
}

/** One request: method, path, headers and an optional body. */
export interface BenchRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: OutgoingHttpHeaders;
  /** Sent in chunks of at most 64 KiB, honouring back-pressure. */
  readonly body?: Buffer;
  /** Status every response must have; anything else fails the bench. */
  readonly expectStatus: number;
}

/** Request rate and latency of one load run. */
export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** Latency of each request in milliseconds, sorted. */
  readonly latenciesMs: Float64Array;
}

/** Write size for request bodies, as large as one socket read (64 KiB). */
const BODY_CHUNK_BYTES = 64 * 1024;
/** A request that takes longer than this fails the bench. */
const REQUEST_TIMEOUT_MS = 60_000;

/** Creates a client that keeps exactly `sockets` connections open. */
export function createLoadClient(
  endpoint: Endpoint,
  sockets: number,
): LoadClient {
  const agent = new Agent({
    keepAlive: true,
    maxSockets: sockets,
    maxFreeSockets: sockets,
    scheduling: 'fifo',
  });
  return { endpoint, agent, close: () => agent.destroy() };
}

function writeBody(outgoing: ReturnType<typeof request>, body: Buffer) {
  let offset = 0;
  const writeMore = () => {
    while (offset < body.length) {
      const end = Math.min(offset + BODY_CHUNK_BYTES, body.length);
      const more = outgoing.write(body.subarray(offset, end));
      offset = end;
      if (!more) {
        outgoing.once('drain', writeMore);
        return;
      }
    }
    outgoing.end();
  };
  writeMore();
}

/**
 * Sends one request and resolves once the whole response body has
 * arrived. Rejects when the status is not the expected one, naming the
 * request and the start of the body.
 */
export function send(client: LoadClient, spec: BenchRequest): Promise<void> {
  const target = client.endpoint.kind === 'tcp'
    ? { host: client.endpoint.host, port: client.endpoint.port }
    : { socketPath: client.endpoint.socketPath };
  return new Promise((resolve, reject) => {
    const outgoing = request({
      ...target,
      agent: client.agent,
      method: spec.method,
      path: spec.path,
      headers: spec.headers,
    }, (response) => {
      const status = response.statusCode ?? 0;
      if (status === spec.expectStatus) {
        response.on('end', resolve);
        response.resume();
        return;
      }
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8').slice(0, 200);
        reject(new Error(`${spec.method} ${spec.path} returned ${status}, ` +
          `expected ${spec.expectStatus}: ${text.trim()}`));
      });
    });
    outgoing.setTimeout(REQUEST_TIMEOUT_MS, () => {
      outgoing.destroy(new Error(`${spec.method} ${spec.path} timed out ` +
        `after ${REQUEST_TIMEOUT_MS} ms`));
    });
    outgoing.on('error', reject);
    if (spec.body === undefined) outgoing.end();
    else writeBody(outgoing, spec.body);
  });
}

/**
 * Sends `spec` from `concurrency` loops for `durationMs`, each loop
 * waiting for its response before the next request, and records every
 * latency. The first failure stops the run and rejects.
 */
export async function runLoad(
  client: LoadClient,
  spec: BenchRequest,
  concurrency: number,
  durationMs: number,
): Promise<LoadResult> {
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + durationMs;
  let failure: Error | undefined;
  const loop = async () => {
    while (failure === undefined && performance.now() < deadline) {
      const sent = performance.now();
      try {
        await send(client, spec);
      } catch (error) {
        failure ??= error as Error;
        return;
      }
      latencies.push(performance.now() - sent);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  if (failure !== undefined) throw failure;
  const seconds = (performance.now() - started) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return { requests: latencies.length, seconds, latenciesMs: sorted };
}

/** Returns the `fraction` quantile (0…1) of sorted values. */
export function quantile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1,
    Math.floor(fraction * sorted.length));
  return sorted[index] ?? Number.NaN;
}
