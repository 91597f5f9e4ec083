// packaging/systemd/appapi-dsp.service checked by systemd-analyze, which
// parses the unit without a running systemd (Debian package `systemd`).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { binaryPaths } from '../support/binary.ts';
import { repoRoot } from '../support/log-dir.ts';

const execFileAsync = promisify(execFile);

const unitPath = join(repoRoot, 'packaging/systemd/appapi-dsp.service');
const unitText = readFileSync(unitPath, 'utf8');
/** Highest exposure `systemd-analyze security` may report (1.7 when written). */
const maxExposure = 2.5;

let dir: string;
let copy: string;

/** Returns every value of `key` in the unit, in order. */
function settings(key: string): string[] {
  return unitText.split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'dsp-unit-'));
  copy = join(dir, 'appapi-dsp.service');
  // verify requires ExecStart's program to exist, so the copy runs the
  // built binary, or this Node when nothing is built yet.
  const built = join(repoRoot, binaryPaths.x64);
  const program = existsSync(built) ? built : process.execPath;
  writeFileSync(copy,
    unitText.replace('ExecStart=/usr/local/bin/appapi-dsp', `ExecStart=${program}`));
});

after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('systemd unit', () => {
  it('passes systemd-analyze verify without warnings', async () => {
    // verify exits 0 even for unknown keys or bad values and only prints
    // a warning, so the output must be empty too.
    const { stdout, stderr } = await execFileAsync('systemd-analyze',
      ['verify', copy]).catch((error: Error) => {
      throw new Error(`systemd-analyze failed (install the Debian ` +
        `package systemd): ${error.message}`);
    });
    assert.equal(stderr, '');
    assert.equal(stdout, '');
  });

  it('keeps systemd-analyze security exposure low', async () => {
    const { stdout } = await execFileAsync('systemd-analyze',
      ['security', '--offline=yes', copy]);
    const match = /Overall exposure level for \S+: ([\d.]+)/.exec(stdout);
    assert.ok(match, stdout);
    assert.ok(Number(match[1]) <= maxExposure, `exposure ${match[1]}`);
  });

  it('passes the password as a credential', () => {
    assert.deepEqual(settings('LoadCredential'),
      ['password:/etc/appapi-dsp/password']);
    assert.ok(settings('Environment')
      .includes('NC_HAPROXY_PASSWORD_FILE=%d/password'));
    assert.deepEqual(settings('EnvironmentFile'), ['-/etc/appapi-dsp/env']);
    assert.ok(!unitText.includes('NC_HAPROXY_PASSWORD='));
  });

  it('runs unprivileged with docker group access', () => {
    assert.deepEqual(settings('User'), ['appapi-dsp']);
    assert.deepEqual(settings('SupplementaryGroups'), ['docker']);
    assert.deepEqual(settings('CapabilityBoundingSet'), ['']);
    assert.deepEqual(settings('NoNewPrivileges'), ['yes']);
    assert.deepEqual(settings('ProtectSystem'), ['strict']);
    assert.deepEqual(settings('SystemCallFilter'), ['@system-service']);
    assert.deepEqual(settings('RestrictAddressFamilies'),
      ['AF_UNIX AF_INET AF_INET6']);
  });

  it('leaves MemoryDenyWriteExecute off for V8', () => {
    assert.deepEqual(settings('MemoryDenyWriteExecute'), []);
  });
});
