// The single executables from `npm run build`: the x64 binary must ignore
// Node options from the environment, and the arm64 binary must serve the
// engine under qemu-user. Builds the binaries first when they are missing
// or stale.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { builtBinary } from '../support/binary.ts';
import { connectEngine, type Engine } from '../support/engine.ts';
import { repoRoot } from '../support/log-dir.ts';
import {
  freeLoopbackPort,
  NC_HAPROXY_PASSWORD,
  proxyUser,
  request,
} from '../support/proxy.ts';

const execFileAsync = promisify(execFile);

/** qemu-user-static and the arm64 C library of Debian's cross packages. */
const qemu = '/usr/bin/qemu-aarch64-static';
const arm64Sysroot = '/usr/aarch64-linux-gnu';
const version = (JSON.parse(
  readFileSync(join(repoRoot, 'package.json'), 'utf8'),
) as { version: string }).version;

let engine: Engine;
let dir: string;

before(async () => {
  engine = await connectEngine();
  dir = mkdtempSync(join(tmpdir(), 'dsp-binary-'));
});

after(async () => {
  await engine?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('x64 binary', () => {
  it('prints the package version', async () => {
    const binary = await builtBinary('x64');
    const { stdout } = await execFileAsync(binary, ['--version'], { env: {} });

    assert.equal(stdout, `appapi-dsp ${version}\n`);
  });

  it('ignores NODE_OPTIONS', async () => {
    const binary = await builtBinary('x64');
    const marker = join(dir, 'preload-ran');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload,
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes');\n`);

    const { stdout, stderr } = await execFileAsync(binary, ['--version'], {
      env: { NODE_OPTIONS: `--require ${preload}` },
    });

    assert.equal(stdout, `appapi-dsp ${version}\n`);
    assert.equal(stderr, '');
    assert.equal(existsSync(marker), false, 'the preload script ran');
  });

  it('passes Node flags to the program, not to Node', async () => {
    const binary = await builtBinary('x64');
    const marker = join(dir, 'flag-ran');
    const preload = join(dir, 'flag.cjs');
    writeFileSync(preload,
      `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes');\n`);

    const result = await execFileAsync(binary, ['--require', preload],
      { env: {} }).then(() => 0, (error: { code: number }) => error.code);

    assert.equal(result, 1);
    assert.equal(existsSync(marker), false, 'the --require script ran');
  });
});

describe('arm64 binary under qemu', () => {
  const emulated = existsSync(qemu) &&
    existsSync(join(arm64Sysroot, 'lib', 'ld-linux-aarch64.so.1'));
  const skip = emulated
    ? false
    : `needs ${qemu} and ${arm64Sysroot} (Debian packages qemu-user-static, ` +
      'libc6-arm64-cross, libstdc++6-arm64-cross)';

  it('serves the engine through the proxy', { skip }, async () => {
    const binary = await builtBinary('arm64');
    const port = await freeLoopbackPort();
    const log: Buffer[] = [];
    const child = spawn(qemu, ['-L', arm64Sysroot, binary], {
      env: {
        NC_HAPROXY_PASSWORD,
        HAPROXY_PORT: String(port),
        BIND_ADDRESS: '127.0.0.1',
        DOCKER_SOCKET: engine.socketPath,
        CERT_FILE: '/nonexistent/cert.pem',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => log.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => log.push(chunk));
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
    });
    try {
      const endpoint = {
        host: '127.0.0.1',
        port,
        protocol: 'http' as const,
        authHeader: 'Basic ' +
          Buffer.from(`${proxyUser}:${NC_HAPROXY_PASSWORD}`).toString('base64'),
      };
      let ping = await request(endpoint, { path: '/_ping' }).catch(() => undefined);
      // Emulated start-up takes seconds.
      for (let i = 0; i < 300 && ping === undefined && child.exitCode === null; i++) {
        await sleep(100);
        ping = await request(endpoint, { path: '/_ping' }).catch(() => undefined);
      }
      assert.ok(ping, `no answer; output:\n${Buffer.concat(log)}`);
      assert.equal(ping.status, 200);
      assert.equal(ping.body, 'OK');
      const engineVersion = await request(endpoint, { path: '/version' });
      assert.equal(engineVersion.status, 200, engineVersion.body);
      assert.match(engineVersion.body, /"ApiVersion"/);
    } finally {
      child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(15_000).then(() => 'timeout')]);
      if (code === 'timeout') child.kill('SIGKILL');
      assert.equal(code, 0, `exit ${code}; output:\n${Buffer.concat(log)}`);
    }
  });
});
