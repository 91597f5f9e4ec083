// The `healthcheck` and `check-config` commands, run as separate
// processes the way a container runtime or an operator runs them: from
// source, or the built binary when DSP_TEST_BIN is set.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createTestAuthority } from '../support/certificates.ts';
import { connectEngine, type Engine } from '../support/engine.ts';
import { repoRoot } from '../support/log-dir.ts';
import {
  freeLoopbackPort,
  NC_HAPROXY_PASSWORD,
  startProxy,
  type Proxy,
} from '../support/proxy.ts';

/** Exit code and output of one command. */
interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

let engine: Engine;
let proxy: Proxy;
const fakeServers: Server[] = [];

/** Runs `appapi-dsp <args>` with exactly the variables in `env`. */
function runCommand(
  args: string[],
  env: Record<string, string>,
  user?: { uid: number; gid: number },
): Promise<CommandResult> {
  const binary = process.env.DSP_TEST_BIN;
  let command = process.execPath;
  let commandArgs = ['--import', 'tsx', 'src/main.ts', ...args];
  let path = process.env.PATH ?? '';
  if (binary !== undefined && binary !== '') {
    command = isAbsolute(binary) ? binary : join(repoRoot, binary);
    commandArgs = args;
    // The binary must not need an installed node.
    path = path.split(':')
      .filter((dir) => dir !== '' && !existsSync(join(dir, 'node')))
      .join(':');
  }
  return new Promise((resolve) => {
    execFile(command, commandArgs, {
      cwd: repoRoot,
      env: { PATH: path, ...env },
      timeout: 30_000,
      ...user,
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : (error as { code?: unknown }).code;
      resolve({ code: typeof code === 'number' ? code : -1, stdout, stderr });
    });
  });
}

/** Starts a TCP server on loopback that handles connections with `onSocket`. */
async function fakeListener(onSocket: (socket: Socket) => void) {
  const server = createServer(onSocket);
  fakeServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function healthcheck(port: number): Promise<CommandResult> {
  return runCommand(['healthcheck'], {
    NC_HAPROXY_PASSWORD,
    HAPROXY_PORT: String(port),
    BIND_ADDRESS: '127.0.0.1',
    CERT_FILE: '/nonexistent/cert.pem',
  });
}

before(async () => {
  engine = await connectEngine();
  proxy = await startProxy({ socketPath: engine.socketPath });
});

after(async () => {
  await proxy?.stop();
  for (const server of fakeServers) server.close();
  await engine?.stop();
});

describe('healthcheck', () => {
  it('exits 0 when the proxy responds', async () => {
    const result = await healthcheck(proxy.port);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'healthy: /_ping answered 200\n');
  });

  it('exits 0 for any HTTP status', async () => {
    // The engine socket is missing, so the proxy responds with 502, but
    // its listener works.
    const orphan = await startProxy({ socketPath: '/nonexistent/docker.sock' });
    try {
      const result = await healthcheck(orphan.port);

      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, 'healthy: /_ping answered 502\n');
    } finally {
      await orphan.stop();
    }
  });

  it('exits 1 when nothing listens', async () => {
    const result = await healthcheck(await freeLoopbackPort());

    assert.equal(result.code, 1);
    assert.match(result.stderr, /^unhealthy: 127\.0\.0\.1:\d+: .*ECONNREFUSED/);
  });

  it('exits 1 when the listener stays silent', async () => {
    const port = await fakeListener(() => {});
    const began = Date.now();
    const result = await healthcheck(port);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /unhealthy: .*timed out/);
    assert.ok(Date.now() - began < 10_000, `took ${Date.now() - began} ms`);
  });

  it('exits 1 when the listener speaks no HTTP', async () => {
    const port = await fakeListener((socket) => {
      socket.end('SSH-2.0-OpenSSH_9.2\r\n');
    });
    const result = await healthcheck(port);

    assert.equal(result.code, 1);
    assert.match(result.stderr, /^unhealthy: /);
  });
});

describe('check-config', () => {
  const password = 'check-config-password-42';

  const invalid = [
    { variable: 'HAPROXY_PORT', value: '70000' },
    { variable: 'TIMEOUT_SERVER', value: '10x' },
    { variable: 'BIND_ADDRESS', value: '999.1.1.1' },
    { variable: 'EX_APPS_COUNT', value: '-1' },
    { variable: 'LOG_FORMAT', value: 'xml' },
  ];
  for (const { variable, value } of invalid) {
    it(`exits 1 naming invalid ${variable}`, async () => {
      const result = await runCommand(['check-config'],
        { NC_HAPROXY_PASSWORD: password, [variable]: value });

      assert.equal(result.code, 1);
      assert.equal(result.stdout, '');
      assert.match(result.stderr, new RegExp(`${variable} "${value}"`));
      assert.ok(!result.stderr.includes(password));
    });
  }

  it('exits 1 naming the missing password', async () => {
    const result = await runCommand(['check-config'], {});

    assert.equal(result.code, 1);
    assert.match(result.stderr, /NC_HAPROXY_PASSWORD/);
  });

  it('exits 1 when both password variables are set', async () => {
    const result = await runCommand(['check-config'], {
      NC_HAPROXY_PASSWORD: password,
      NC_HAPROXY_PASSWORD_FILE: '/etc/hostname',
    });

    assert.equal(result.code, 1);
    assert.match(result.stderr, /NC_HAPROXY_PASSWORD_FILE/);
    assert.ok(!result.stderr.includes(password));
  });

  it('prints the configuration with the password masked', async () => {
    const result = await runCommand(['check-config'],
      { NC_HAPROXY_PASSWORD: password, HAPROXY_PORT: '2380' });

    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /password=\*{8}/);
    assert.match(result.stdout, /port=2380/);
    assert.ok(!result.stdout.includes(password));
  });

  it('prints the certificate it would serve', async () => {
    const authority = await createTestAuthority();
    try {
      const leaf = await authority.issue('check-config.test');
      const certFile = join(authority.dir, 'cert.pem');
      writeFileSync(certFile, leaf.combined);
      const result = await runCommand(['check-config'],
        { NC_HAPROXY_PASSWORD: password, CERT_FILE: certFile });

      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /tls=true/);
      assert.match(result.stdout, /subject=.*check-config\.test/);
    } finally {
      authority.remove();
    }
  });

  it('exits 1 naming a certificate file without a key', async () => {
    const authority = await createTestAuthority();
    try {
      const leaf = await authority.issue('no-key.test');
      const certFile = join(authority.dir, 'cert.pem');
      writeFileSync(certFile, leaf.cert);
      const result = await runCommand(['check-config'],
        { NC_HAPROXY_PASSWORD: password, CERT_FILE: certFile });

      assert.equal(result.code, 1);
      assert.match(result.stderr, /key/i);
      assert.match(result.stderr, /cert\.pem/);
    } finally {
      authority.remove();
    }
  });

  it('exits 1 when the certificate folder is unreadable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsp-locked-'));
    try {
      writeFileSync(join(dir, 'cert.pem'), 'not checked');
      chmodSync(dir, 0o700);
      // Root can read every folder, so the command runs as user 65534.
      const result = await runCommand(['check-config'], {
        NC_HAPROXY_PASSWORD: password,
        CERT_FILE: join(dir, 'cert.pem'),
      }, { uid: 65534, gid: 65534 });

      assert.equal(result.code, 1);
      assert.match(result.stderr, /Cannot check CERT_FILE .*EACCES/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
