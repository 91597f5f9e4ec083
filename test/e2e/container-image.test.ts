// The scratch image from packaging/container: built on the test engine,
// run with the engine's own socket mounted, used for one deploy-like
// sequence, health-checked and stopped. Builds dist/appapi-dsp first when
// it is missing or stale.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { createBody } from '../support/appapi.ts';
import { builtBinary } from '../support/binary.ts';
import { connectEngine, type Engine } from '../support/engine.ts';
import { repoRoot } from '../support/log-dir.ts';
import {
  freeLoopbackPort,
  NC_HAPROXY_PASSWORD,
  proxyUser,
  request,
  type ProxyEndpoint,
} from '../support/proxy.ts';

const execFileAsync = promisify(execFile);

const tag = `dsp-e2e-image:${process.pid}`;
const proxyName = 'dsp-e2e-image-proxy';
const appId = 'dspimage';
const appContainer = `nc_app_${appId}`;
const appVolume = `nc_app_${appId}_data`;
const healthyTimeoutMs = 30_000;

let engine: Engine;
let context: string;
let cliConfig: string;
let proxy: ProxyEndpoint;

type ImageInspect = {
  Size: number;
  Config: {
    User: string;
    Env: string[];
    Entrypoint: string[];
    Cmd: string[];
    StopSignal: string;
    Healthcheck: { Test: string[] };
  };
};

type ContainerInspect = {
  State: {
    Status: string;
    Running: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    Health?: { Status: string; Log: { ExitCode: number; Output: string }[] };
  };
};

async function docker(args: string[], host?: string) {
  return engine.dockerCli(args, {
    ...(host === undefined ? {} : { host, configDir: cliConfig }),
    // The classic builder: the test engine has no BuildKit setup and
    // FROM scratch needs no download.
    env: { DOCKER_BUILDKIT: '0' },
    timeoutMs: 120_000,
  });
}

async function inspect<T>(path: string): Promise<T> {
  const response = await engine.request('GET', path);
  assert.equal(response.status, 200, response.body);
  return JSON.parse(response.body) as T;
}

async function waitForHealth(): Promise<ContainerInspect> {
  const deadline = Date.now() + healthyTimeoutMs;
  for (;;) {
    const state = await inspect<ContainerInspect>(
      `/containers/${proxyName}/json`);
    if (state.State.Health?.Status === 'healthy') return state;
    if (!state.State.Running || Date.now() > deadline) {
      const logs = await docker(['logs', proxyName]);
      assert.fail(`the proxy container did not turn healthy: ` +
        `${JSON.stringify(state.State)}\n${logs.stdout}${logs.stderr}`);
    }
    await sleep(250);
  }
}

before(async () => {
  engine = await connectEngine();
  await engine.removeAll(proxyName);
  await engine.removeAll(appContainer);
  const binary = await builtBinary('x64');
  context = mkdtempSync(join(tmpdir(), 'dsp-image-'));
  cliConfig = mkdtempSync(join(tmpdir(), 'dsp-image-cli-'));
  await execFileAsync(join(repoRoot, 'packaging/container/stage-libs.sh'),
    [binary, join(context, 'build')]);
  const built = await docker(['build', '--network', 'none', '-t', tag,
    '-f', join(repoRoot, 'packaging/container/Dockerfile'),
    join(context, 'build')]);
  assert.equal(built.code, 0, built.stdout + built.stderr);

  const port = await freeLoopbackPort();
  const credentials = Buffer.from(`${proxyUser}:${NC_HAPROXY_PASSWORD}`);
  proxy = {
    host: '127.0.0.1',
    port,
    protocol: 'http',
    authHeader: `Basic ${credentials.toString('base64')}`,
  };
  writeFileSync(join(cliConfig, 'config.json'),
    JSON.stringify({ HttpHeaders: { Authorization: proxy.authHeader } }));
});

after(async () => {
  await engine?.removeAll(proxyName);
  await engine?.removeAll(appContainer);
  await engine?.request('DELETE', `/images/${tag}?force=1`);
  await engine?.stop();
  if (context !== undefined) rmSync(context, { recursive: true, force: true });
  if (cliConfig !== undefined) rmSync(cliConfig, { recursive: true, force: true });
});

describe('scratch image', () => {
  it('has the binary, its libraries and nothing else', async (t) => {
    const image = await inspect<ImageInspect>(`/images/${tag}/json`);
    t.diagnostic(`image size: ${(image.Size / 1e6).toFixed(1)} MB ` +
      `(${image.Size} bytes)`);
    const created = await docker(['create', '--name', `${proxyName}-files`, tag]);
    assert.equal(created.code, 0, created.stderr);
    const tarFile = join(context, 'files.tar');
    const exported = await docker(['export', '-o', tarFile, `${proxyName}-files`]);
    assert.equal(exported.code, 0, exported.stderr);
    const { stdout } = await execFileAsync('tar', ['-tf', tarFile]);
    const files = stdout.split('\n').filter((line) => {
      return line !== '' && !line.endsWith('/');
    });
    // The engine adds .dockerenv and mount points of its own.
    const ours = files.filter((file) => !/^(\.dockerenv|etc\/|dev\/|proc\/|sys\/)/.test(file));

    assert.ok(ours.includes('appapi-dsp'), ours.join('\n'));
    assert.ok(ours.includes('lib64/ld-linux-x86-64.so.2'), ours.join('\n'));
    assert.ok(ours.includes('lib/x86_64-linux-gnu/libc.so.6'), ours.join('\n'));
    assert.ok(ours.includes('lib/x86_64-linux-gnu/libstdc++.so.6'), ours.join('\n'));
    assert.ok(!files.some((file) => /(^|\/)(sh|busybox|bash)$/.test(file)),
      files.join('\n'));
    assert.equal(ours.length, 8, ours.join('\n'));
    const binarySize = statSync(join(context, 'build', 'appapi-dsp')).size;
    assert.ok(image.Size < binarySize + 10e6,
      `image ${image.Size} bytes, binary ${binarySize} bytes`);
  });

  it('sets user, defaults, healthcheck and stop signal', async () => {
    const { Config: config } = await inspect<ImageInspect>(`/images/${tag}/json`);

    assert.equal(config.User, '65532:65532');
    assert.deepEqual(config.Entrypoint, ['/appapi-dsp']);
    assert.deepEqual(config.Cmd, ['serve']);
    assert.equal(config.StopSignal, 'SIGTERM');
    assert.deepEqual(config.Healthcheck.Test,
      ['CMD', '/appapi-dsp', 'healthcheck']);
    for (const setting of ['HAPROXY_PORT=2375', 'BIND_ADDRESS=*',
      'TIMEOUT_CONNECT=10s', 'TIMEOUT_CLIENT=30s', 'TIMEOUT_SERVER=30s',
      'EX_APPS_NET=localhost', 'EX_APPS_COUNT=50']) {
      assert.ok(config.Env.includes(setting), `${setting} in ${config.Env}`);
    }
  });

  it('turns healthy with the engine socket mounted', async () => {
    const socketGroup = statSync(engine.socketPath).gid;
    const started = await docker(['run', '-d', '--name', proxyName,
      '--network', 'host',
      '-v', `${engine.socketPath}:/var/run/docker.sock`,
      '--group-add', String(socketGroup),
      '-e', `NC_HAPROXY_PASSWORD=${NC_HAPROXY_PASSWORD}`,
      '-e', `HAPROXY_PORT=${proxy.port}`,
      '-e', 'BIND_ADDRESS=127.0.0.1',
      '--health-interval', '1s', '--health-start-period', '1s',
      tag]);
    assert.equal(started.code, 0, started.stderr);

    const state = await waitForHealth();
    const last = state.State.Health?.Log.at(-1);
    assert.equal(last?.ExitCode, 0);
    assert.match(last?.Output ?? '', /healthy: \/_ping answered 200/);
  });

  it('carries a deploy sequence to the engine', async () => {
    const volume = await request(proxy, {
      method: 'POST', path: '/v1.41/volumes/create', body: { name: appVolume },
    });
    assert.equal(volume.status, 201, volume.body);
    const created = await request(proxy, {
      method: 'POST',
      path: `/v1.41/containers/create?name=${appContainer}`,
      body: createBody({ appId, image: engine.image, port: 23999 }),
    });
    assert.equal(created.status, 201, created.body);
    const started = await request(proxy, {
      method: 'POST', path: `/v1.41/containers/${appContainer}/start`,
    });
    assert.equal(started.status, 204, started.body);

    const exec = await docker(['exec', appContainer, 'sh', '-c',
      'echo exec-through-image; ls -d /nc_app_dspimage_data'],
      `tcp://127.0.0.1:${proxy.port}`);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout, 'exec-through-image\n/nc_app_dspimage_data\n');
    assert.ok((await engine.volumeNames()).includes(appVolume));
  });

  it('exits 0 on docker stop within seconds', async (t) => {
    const begin = Date.now();
    const stopped = await docker(['stop', '-t', '10', proxyName]);
    const elapsedMs = Date.now() - begin;
    t.diagnostic(`docker stop took ${elapsedMs} ms`);
    assert.equal(stopped.code, 0, stopped.stderr);

    const state = await inspect<ContainerInspect>(`/containers/${proxyName}/json`);
    assert.equal(state.State.Status, 'exited');
    assert.equal(state.State.ExitCode, 0);
    assert.equal(state.State.OOMKilled, false);
    // SIGKILL would come only after the 10 s timeout.
    assert.ok(elapsedMs < 6_000, `${elapsedMs} ms`);
  });
});
