// The same src/main.ts on Deno (the npm package `deno`), with the
// narrowest permissions that serve one engine socket on one loopback
// port: a ping, a refused request and docker CLI exec runs through it.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { VARIABLES } from '../../src/config/variables.ts';
import { createBody } from '../support/appapi.ts';
import { connectEngine, type Engine } from '../support/engine.ts';
import { logTail } from '../support/engine-process.ts';
import { repoRoot, testLogDir } from '../support/log-dir.ts';
import {
  freeLoopbackPort,
  NC_HAPROXY_PASSWORD,
  proxyUser,
  request,
  type ProxyEndpoint,
} from '../support/proxy.ts';

const deno = join(repoRoot, 'node_modules/.bin/deno');
const container = 'nc_app_deno_test';
const readyTimeoutMs = 30_000;

let engine: Engine;
let proxy: ProxyEndpoint;
let child: ChildProcess;
let exited: Promise<number | null>;
let logFile: string;
let cliConfig: string;

/** Deno flags that allow exactly what the proxy needs for this setup. */
function permissions(port: number, socketPath: string, certFile: string) {
  const names = Object.values(VARIABLES).map((variable) => variable.name);
  return [
    '--no-prompt',
    `--allow-env=${names.join(',')}`,
    // The proxy checks whether CERT_FILE exists to choose TLS.
    `--allow-read=${socketPath},${certFile}`,
    `--allow-write=${socketPath}`,
    `--allow-net=127.0.0.1:${port},unix:${socketPath}`,
  ];
}

async function waitUntilReady(): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    const answered = await request(proxy, { path: '/_ping', auth: false,
      timeoutMs: 2_000 }).then(() => true, () => false);
    if (answered) return;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`Starting the proxy on Deno failed ` +
        `(exit ${child.exitCode}). Last lines of ${logFile}:\n${logTail(logFile)}`);
    }
    await sleep(100);
  }
}

function dockerThroughProxy(args: string[]) {
  return engine.dockerCli(args, {
    host: `tcp://127.0.0.1:${proxy.port}`,
    configDir: cliConfig,
    timeoutMs: 30_000,
  });
}

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(container);
  const port = await freeLoopbackPort();
  const certFile = '/nonexistent/cert.pem';
  const credentials = Buffer.from(`${proxyUser}:${NC_HAPROXY_PASSWORD}`);
  proxy = {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    authHeader: `Basic ${credentials.toString('base64')}`,
  };
  cliConfig = mkdtempSync(join(tmpdir(), 'dsp-deno-cli-'));
  writeFileSync(join(cliConfig, 'config.json'),
    JSON.stringify({ HttpHeaders: { Authorization: proxy.authHeader } }));

  logFile = join(testLogDir(), `deno-${port}-${Date.now()}.log`);
  const logFd = openSync(logFile, 'a');
  try {
    child = spawn(deno, ['run', ...permissions(port, engine.socketPath, certFile),
      'src/main.ts'], {
      cwd: repoRoot,
      stdio: ['ignore', logFd, logFd],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        NO_COLOR: '1',
        NC_HAPROXY_PASSWORD,
        HAPROXY_PORT: String(port),
        BIND_ADDRESS: '127.0.0.1',
        DOCKER_SOCKET: engine.socketPath,
        CERT_FILE: certFile,
      },
    });
  } finally {
    closeSync(logFd);
  }
  exited = new Promise((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  process.on('exit', () => child.kill('SIGKILL'));
  await waitUntilReady();

  const made = await engine.request('POST', `/containers/create?name=${container}`, {
    Image: engine.image,
    Cmd: ['sh', '-c', "trap 'exit 0' TERM; sleep 3600 & wait"],
    HostConfig: { NetworkMode: 'none' },
  });
  assert.equal(made.status, 201, made.body);
  const started = await engine.request('POST', `/containers/${container}/start`);
  assert.equal(started.status, 204, started.body);
});

after(async () => {
  if (child !== undefined && child.exitCode === null) {
    child.kill('SIGKILL');
    await exited;
  }
  await engine?.removeAll(container);
  await engine?.removeAll('nc_app_deno_refused');
  await engine?.stop();
  if (cliConfig !== undefined) rmSync(cliConfig, { recursive: true, force: true });
});

describe('proxy on Deno', () => {
  it('reports the Deno runtime at start', () => {
    assert.match(readFileSync(logFile, 'utf8'), /starting runtime=deno/);
  });

  it('forwards an authenticated ping', async () => {
    const response = await request(proxy, { path: '/_ping' });

    assert.equal(response.status, 200);
    assert.equal(response.body, 'OK');
  });

  it('refuses a privileged container create', async () => {
    const body = createBody({ appId: 'deno_refused', image: engine.image,
      port: 23000 });
    body.HostConfig = { ...(body.HostConfig as object), Privileged: true };
    const response = await request(proxy, {
      method: 'POST',
      path: '/v1.41/containers/create?name=nc_app_deno_refused',
      body,
    });

    assert.equal(response.status, 403, response.body);
    assert.match(response.body, /Privileged/);
    assert.ok(!(await engine.containerNames()).includes('nc_app_deno_refused'));
  });

  it('runs docker exec through the CLI', async () => {
    const result = await dockerThroughProxy(['exec', container, 'sh', '-c',
      'echo out; echo err >&2; exit 3']);

    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, 'out\n');
    assert.equal(result.stderr, 'err\n');
  });

  it('runs ten docker exec in a row', async () => {
    // Each run reuses keep-alive connections of the CLI between requests.
    const failures: string[] = [];
    for (let round = 0; round < 10; round++) {
      const result = await dockerThroughProxy(['exec', container, 'echo',
        `round-${round}`]);
      if (result.code !== 0 || result.stdout !== `round-${round}\n`) {
        failures.push(`round ${round}: exit ${result.code}: ${result.stderr}`);
      }
    }
    assert.deepEqual(failures, []);
  });

  it('exits 0 on SIGTERM', async () => {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, sleep(10_000).then(() => 'timeout')]);

    assert.equal(code, 0);
  });
});
