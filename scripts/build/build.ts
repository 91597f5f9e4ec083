// The build pipeline behind `npm run build` and `npm run release`.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { arch as hostArch } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build as esbuild } from 'esbuild';
import { nodeRuntime, NODE_VERSION, type Arch } from './node-runtime.ts';
import { buildSea, STRIP_COMMANDS } from './sea.ts';

const execFileAsync = promisify(execFile);

/** Repository root, where the build runs. */
export const repoRoot = new URL('../../', import.meta.url).pathname;
/** Build output, ignored by git. */
export const distDir = join(repoRoot, 'dist');
const workDir = join(distDir, 'build');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'appapi-dsp');

/** File name of the single executable per arch, inside dist/. */
export const BINARY_NAMES: Record<Arch, string> = {
  x64: 'appapi-dsp',
  arm64: 'appapi-dsp-linux-arm64',
};

/** Debian package that provides each arch's strip command. */
const STRIP_PACKAGES: Record<Arch, string> = {
  x64: 'binutils',
  arm64: 'binutils-aarch64-linux-gnu',
};

/**
 * Whether the x64 binary carries V8's code cache. With it the binary
 * reached its first response in a median of 89-90 ms, without it in
 * 129-133 ms (scripts/startup-time.ts, 10 runs each, twice, on a 2-vCPU
 * Debian 12 VM).
 */
export const CODE_CACHE_DEFAULT = true;

/** What to build. */
export interface BuildOptions {
  readonly targets: readonly Arch[];
  /** V8 code cache in the binary for the arch that runs the build. */
  readonly codeCache: boolean;
}

/** One built single executable. */
export interface Artifact {
  readonly arch: Arch;
  readonly path: string;
  /** Node's LICENSE, for the release archive. */
  readonly nodeLicense: string;
}

/** Runs the whole build and returns the executables it wrote. */
export async function build(
  options: BuildOptions,
  log: (line: string) => void,
): Promise<Artifact[]> {
  const version = checkInputs(options.targets);
  await mkdir(workDir, { recursive: true });

  const script = join(workDir, 'appapi-dsp.cjs');
  log(`bundling src/main.ts with esbuild (version ${version})`);
  await esbuild({
    entryPoints: [join(repoRoot, 'src', 'main.ts')],
    outfile: script,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
    define: { 'globalThis.APPAPI_DSP_VERSION': JSON.stringify(version) },
  });
  log(`bundle: ${formatSize(statSync(script).size)}`);

  const native = nativeArch();
  const generator = await nodeRuntime(native, cacheDir, log);
  const artifacts: Artifact[] = [];
  for (const arch of options.targets) {
    const runtime = await nodeRuntime(arch, cacheDir, log);
    const output = join(distDir, BINARY_NAMES[arch]);
    await buildSea({
      arch,
      script,
      hostBinary: runtime.binary,
      blobGenerator: generator.binary,
      // V8's code cache is specific to the CPU it was made on.
      useCodeCache: options.codeCache && arch === native,
      workDir,
      output,
    }, log);
    await checkBinary(arch, output, version, log);
    artifacts.push({ arch, path: output, nodeLicense: runtime.license });
  }
  return artifacts;
}

/**
 * Checks everything the build needs before any step runs and returns the
 * version from package.json. All problems are listed in one error.
 */
function checkInputs(targets: readonly Arch[]): string {
  const problems: string[] = [];
  const packageJson = JSON.parse(
    readFileSync(join(repoRoot, 'package.json'), 'utf8'),
  ) as { version?: unknown };
  const version = packageJson.version;
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(version)) {
    problems.push(`package.json: invalid version ${JSON.stringify(version)}`);
  }
  if (!existsSync(join(repoRoot, 'src', 'main.ts'))) {
    problems.push('src/main.ts: not found');
  }
  if (!existsSync(join(repoRoot, 'node_modules', 'postject'))) {
    problems.push('postject: not installed; run npm ci');
  }
  if (process.platform !== 'linux') {
    problems.push(`platform ${process.platform}: only Linux hosts can build`);
  }
  if (nativeArchOrUndefined() === undefined) {
    problems.push(`host arch ${hostArch()}: expected x64 or arm64`);
  }
  const commands = ['npm', 'tar', ...targets.map((a) => STRIP_COMMANDS[a])];
  for (const command of new Set(commands)) {
    if (findOnPath(command) !== undefined) continue;
    const arch = targets.find((a) => STRIP_COMMANDS[a] === command);
    const hint = arch === undefined
      ? ''
      : `; install the Debian package ${STRIP_PACKAGES[arch]}`;
    problems.push(`${command}: not found on PATH${hint}`);
  }
  if (problems.length > 0) {
    throw new Error(`Checking the build inputs failed:\n  ` +
      problems.join('\n  '));
  }
  return version as string;
}

/**
 * Runs `--version` on a new binary: a broken injection crashes here
 * rather than on a server. An arm64 binary runs only on arm64 or under
 * qemu-aarch64-static with the arm64 C library, and is left unchecked
 * otherwise (the log says so).
 */
async function checkBinary(
  arch: Arch,
  binary: string,
  version: string,
  log: (line: string) => void,
): Promise<void> {
  let command = binary;
  let args = ['--version'];
  if (arch !== nativeArch()) {
    const emulator = findOnPath('qemu-aarch64-static');
    const sysroot = '/usr/aarch64-linux-gnu';
    if (arch !== 'arm64' || emulator === undefined ||
      !existsSync(join(sysroot, 'lib', 'ld-linux-aarch64.so.1'))) {
      log(`${arch}: not run (no emulator with an ${arch} C library here)`);
      return;
    }
    command = emulator;
    args = ['-L', sysroot, binary, '--version'];
  }
  const { stdout } = await execFileAsync(command, args, {
    env: { NODE_OPTIONS: '' },
    timeout: 60_000,
  });
  const expected = `appapi-dsp ${version}`;
  if (stdout.trim() !== expected) {
    throw new Error(`Checking ${binary} failed: --version printed ` +
      `${JSON.stringify(stdout.trim())}, expected ${JSON.stringify(expected)}`);
  }
  const how = command === binary ? '' : ' under qemu';
  log(`${arch}: --version${how} prints "${expected}" ` +
    `(Node ${NODE_VERSION})`);
}

function nativeArchOrUndefined(): Arch | undefined {
  const arch = hostArch();
  return arch === 'x64' || arch === 'arm64' ? arch : undefined;
}

function nativeArch(): Arch {
  const arch = nativeArchOrUndefined();
  if (arch === undefined) throw new Error(`Unsupported host arch ${hostArch()}`);
  return arch;
}

/** Returns the full path of `command` on PATH, or undefined. */
export function findOnPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir === '') continue;
    const candidate = join(dir, command);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Formats a byte count as MB (10^6 bytes) with the exact count. */
export function formatSize(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB (${bytes} bytes)`;
}
