// Measures start-up time to the first HTTP response: spawns the proxy, polls
// `GET /_ping` on 127.0.0.1 every millisecond, and stops it on the first
// response (a 401, since no credentials are sent). Prints each run and
// the median.
//
//   node --import tsx scripts/startup-time.ts [--runs=10] [command args…]
//
// The command defaults to dist/appapi-dsp. The Docker socket path does not
// exist; the proxy starts anyway and responds.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../test/support/proxy.ts';

const readyTimeoutMs = 20_000;

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const outgoing = request({ host: '127.0.0.1', port, path: '/_ping',
      agent: false }, (response) => {
      response.resume();
      resolve(true);
    });
    outgoing.on('error', () => resolve(false));
    outgoing.end();
  });
}

/** Starts `command` once and returns milliseconds to its first response. */
async function measureOnce(command: string, args: string[]): Promise<number> {
  const port = await freeLoopbackPort();
  const started = performance.now();
  const child = spawn(command, args, {
    stdio: 'ignore',
    env: {
      PATH: process.env.PATH ?? '',
      NC_HAPROXY_PASSWORD: 'startup-time-password',
      HAPROXY_PORT: String(port),
      BIND_ADDRESS: '127.0.0.1',
      DOCKER_SOCKET: '/nonexistent/docker.sock',
      CERT_FILE: '/nonexistent/cert.pem',
    },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    while (!(await ping(port))) {
      if (child.exitCode !== null) {
        throw new Error(`${command} exited with ${child.exitCode} before it sent a response`);
      }
      if (performance.now() - started > readyTimeoutMs) {
        throw new Error(`${command} sent no response within ${readyTimeoutMs} ms`);
      }
      await sleep(1);
    }
    return performance.now() - started;
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? sorted[middle]!
    : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

let runs = 10;
const rest = process.argv.slice(2);
if (rest[0]?.startsWith('--runs=')) {
  runs = Number(rest.shift()!.slice('--runs='.length));
}
const [command = 'dist/appapi-dsp', ...args] = rest;
const times: number[] = [];
for (let i = 0; i < runs; i++) {
  times.push(await measureOnce(command, args));
}
console.log(`runs (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`);
console.log(`median start-up time to the first response: ${median(times).toFixed(0)} ms ` +
  `(${[command, ...args].join(' ')}, ${runs} runs)`);
