import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './log-dir.ts';

const execFileAsync = promisify(execFile);

/** The build's output per arch, relative to the repository root. */
export const binaryPaths = {
  x64: 'dist/appapi-dsp',
  arm64: 'dist/appapi-dsp-linux-arm64',
} as const;

/** Inputs whose change makes a built binary stale. */
const buildInputs = ['src', 'scripts/build', 'scripts/build.ts',
  'package.json'];

/**
 * Returns the absolute path of the single executable for `arch`. For x64
 * that is `DSP_TEST_BIN` when set, because the binary suite has just
 * built it. Otherwise `scripts/build.ts` runs first when the binary is
 * missing or older than any build input, so no test runs a stale binary.
 */
export async function builtBinary(
  arch: keyof typeof binaryPaths = 'x64',
): Promise<string> {
  const fromEnv = process.env.DSP_TEST_BIN;
  if (arch === 'x64' && fromEnv !== undefined && fromEnv !== '') {
    return isAbsolute(fromEnv) ? fromEnv : join(repoRoot, fromEnv);
  }
  const binary = join(repoRoot, binaryPaths[arch]);
  if (existsSync(binary) && statSync(binary).mtimeMs >= newestInputMtimeMs()) {
    return binary;
  }
  try {
    await execFileAsync(process.execPath,
      ['--import', 'tsx', 'scripts/build.ts', `--target=${arch}`],
      { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as {
      stdout?: string;
      stderr?: string;
    };
    throw new Error(`Building ${binaryPaths[arch]} failed:\n${stdout}${stderr}`);
  }
  return binary;
}

function newestInputMtimeMs(): number {
  let newest = 0;
  for (const input of buildInputs) {
    const path = join(repoRoot, input);
    if (!existsSync(path)) continue;
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      continue;
    }
    const entries = readdirSync(path, { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const file = join(entry.parentPath, entry.name);
      newest = Math.max(newest, statSync(file).mtimeMs);
    }
  }
  return newest;
}
