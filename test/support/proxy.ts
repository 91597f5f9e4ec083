import { spawn, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
} from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { logTail } from './engine-process.ts';
import { testLogDir, repoRoot } from './log-dir.ts';
import { request, type ProxyEndpoint } from './proxy-client.ts';

export {
  rawRequest,
  request,
  type ClientTlsOptions,
  type ProxyEndpoint,
  type ProxyRequestOptions,
  type RawOutcome,
  type RawRequestOptions,
  type RawResult,
} from './proxy-client.ts';

/** Password the proxy under test gets unless `env` sets another. */
export const NC_HAPROXY_PASSWORD = 'dsp-test-password-0123456789';

/** User name AppAPI sends with HTTP Basic auth. */
export const proxyUser = 'app_api_haproxy_user';

/** Options for starting the proxy under test. */
export interface ProxyOptions {
  /** Variables added to, or replacing, the defaults. */
  env?: Record<string, string>;
  /** Engine socket, passed as DOCKER_SOCKET. */
  socketPath: string;
  /** How long to wait for the first response; defaults to 20 s. */
  readyTimeoutMs?: number;
}

/** A running proxy under test. */
export interface Proxy extends ProxyEndpoint {
  readonly baseUrl: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /**
   * Sends `signal` (SIGTERM by default), waits for the exit and returns
   * the exit code, or null when a signal ended the process. SIGKILL
   * follows after 10 s.
   */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Whether the process has ended or failed to start. */
  hasExited(): boolean;
  /** Waits for the process to end on its own; rejects after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<number | null>;
  readLog(): string;
}

/** Variables of the parent kept for the proxy; the rest stay out. */
const inheritedVariables = ['PATH', 'HOME', 'TMPDIR', 'TZ', 'LANG',
  'LC_ALL', 'NODE_V8_COVERAGE'];
const stopGraceMs = 10_000;

/**
 * Starts the proxy and waits until `GET /_ping` gets any HTTP response
 * (a 502 from a missing engine counts). It sends the credentials, since
 * a failed login would count toward a ban of 127.0.0.1. The command is
 * `DSP_TEST_BIN` when set, run with no node on PATH, else
 * `node --import tsx src/main.ts`.
 */
export async function startProxy(options: ProxyOptions): Promise<Proxy> {
  const proxy = await spawnProxy(options);
  const timeoutMs = options.readyTimeoutMs ?? 20_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const responded = await request(proxy, {
      path: '/_ping',
      timeoutMs: 2_000,
      // Only readiness is checked here; tests check the certificate.
      tls: { rejectUnauthorized: false },
    }).then(() => true, () => false);
    if (responded) return proxy;
    if (proxy.hasExited()) {
      const code = proxy.child.exitCode ?? proxy.child.signalCode;
      throw new Error(
        `Starting the proxy failed: it exited with ${code}. ` +
          `Last lines of ${proxy.logFile}:\n${logTail(proxy.logFile)}`,
      );
    }
    if (Date.now() > deadline) {
      await proxy.stop('SIGKILL');
      throw new Error(
        `Starting the proxy failed: GET /_ping on ${proxy.baseUrl} got ` +
          `no response within ${timeoutMs} ms. ` +
          `Last lines of ${proxy.logFile}:\n${logTail(proxy.logFile)}`,
      );
    }
    await sleep(100);
  }
}

/**
 * Starts the proxy without waiting for it, e.g. to check that a bad
 * configuration makes it exit with code 1.
 */
export async function spawnProxy(options: ProxyOptions): Promise<Proxy> {
  const env = await proxyEnv(options);
  const port = Number(env.HAPROXY_PORT);
  const host = connectHost(env.BIND_ADDRESS ?? '');
  const certFile = env.CERT_FILE ?? '';
  const protocol = certFile !== '' && existsSync(certFile) ? 'https' : 'http';
  const logFile = join(testLogDir(), `proxy-${port}-${Date.now()}.log`);
  const password = env.NC_HAPROXY_PASSWORD ?? NC_HAPROXY_PASSWORD;
  const credentials = Buffer.from(`${proxyUser}:${password}`, 'utf8');

  const [command, args] = proxyCommand(env);
  const logFd = openSync(logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      cwd: repoRoot,
      env,
      stdio: ['ignore', logFd, logFd],
    });
  } finally {
    closeSync(logFd);
  }
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', (error) => {
      appendFileSync(logFile, `Starting ${command} failed: ${error}\n`);
      resolve(null);
    });
  });
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  // A test that never calls stop() must not keep its file running, and
  // the 'exit' hook then kills the proxy.
  child.unref();
  runningProxies.add(child);
  installKillHooks();
  void exited.then(() => runningProxies.delete(child));

  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    protocol,
    baseUrl: `${protocol}://${hostInUrl}:${port}`,
    authHeader: `Basic ${credentials.toString('base64')}`,
    logFile,
    child,
    hasExited: () => hasExited,
    async stop(signal = 'SIGTERM') {
      if (!hasExited) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async waitForExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(
          `Waiting for the proxy to exit timed out after ${timeoutMs} ms`,
        )), timeoutMs);
      });
      try {
        return await Promise.race([exited, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    readLog: () => readFileSync(logFile, 'utf8'),
  };
}

/** Proxies of this process that have not exited yet. */
const runningProxies = new Set<ChildProcess>();
let killHooksInstalled = false;

/**
 * Kills every running proxy when this process exits, or when a signal
 * ends it, e.g. the test runner's SIGTERM after a timeout. The signal is
 * then sent again, unless another handler, such as the engine's, takes
 * care of ending the process.
 */
function installKillHooks(): void {
  if (killHooksInstalled) return;
  killHooksInstalled = true;
  const killAll = () => {
    for (const child of runningProxies) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      if (process.listenerCount(signal) === 0) {
        process.kill(process.pid, signal);
      }
    });
  }
}

async function proxyEnv(options: ProxyOptions): Promise<NodeJS.ProcessEnv> {
  const env: NodeJS.ProcessEnv = {};
  for (const name of inheritedVariables) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  const port = options.env?.HAPROXY_PORT ?? String(await freeLoopbackPort());
  Object.assign(env, {
    HAPROXY_PORT: port,
    BIND_ADDRESS: '127.0.0.1',
    DOCKER_SOCKET: options.socketPath,
    NC_HAPROXY_PASSWORD,
    CERT_FILE: '/nonexistent',
  }, options.env);
  return env;
}

function proxyCommand(env: NodeJS.ProcessEnv): [string, string[]] {
  const binary = process.env.DSP_TEST_BIN;
  if (binary === undefined || binary === '') {
    return [process.execPath, ['--import', 'tsx', 'src/main.ts']];
  }
  // The built binary must not lean on an installed node.
  env.PATH = (env.PATH ?? '')
    .split(':')
    .filter((dir) => dir !== '' && !existsSync(join(dir, 'node')))
    .join(':');
  return [isAbsolute(binary) ? binary : join(repoRoot, binary), []];
}

/** Maps a listen address to one a client can connect to. */
function connectHost(bindAddress: string): string {
  if (bindAddress === '' || bindAddress === '*') return '127.0.0.1';
  if (bindAddress === '0.0.0.0') return '127.0.0.1';
  if (bindAddress === '::') return '::1';
  return bindAddress.replace(/^\[(.*)\]$/, '$1');
}

/**
 * Returns a loopback port that was free a moment ago. Another process can
 * take it before the proxy binds it; that race is accepted in tests.
 */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
