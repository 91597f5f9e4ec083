import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root, ending in a slash. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Returns the folder for engine and proxy logs, creating it if missing.
 * `DSP_TEST_LOG_DIR` overrides the default `.tmp/test-logs`; the logs are
 * kept after a run so a failed test can be read afterwards.
 */
export function testLogDir(): string {
  const dir = process.env.DSP_TEST_LOG_DIR ??
    join(repoRoot, '.tmp', 'test-logs');
  mkdirSync(dir, { recursive: true });
  return dir;
}
