// Builds the single executables dist/appapi-dsp (Linux x64) and
// dist/appapi-dsp-linux-arm64: `npm run build [-- options]`.
//
//   --target=x64|arm64|all   which binaries to build (default all)
//   --code-cache=on|off      V8 code cache in the x64 binary (default on)
import { statSync } from 'node:fs';
import { relative } from 'node:path';
import {
  build,
  CODE_CACHE_DEFAULT,
  formatSize,
  repoRoot,
} from './build/build.ts';
import type { Arch } from './build/node-runtime.ts';

const usage = 'usage: npm run build -- [--target=x64|arm64|all] ' +
  '[--code-cache=on|off]';

function parseArgs(args: string[]): { targets: Arch[]; codeCache: boolean } {
  let targets: Arch[] = ['x64', 'arm64'];
  let codeCache = CODE_CACHE_DEFAULT;
  for (const arg of args) {
    const [name, value] = arg.split('=', 2);
    if (name === '--target' && (value === 'x64' || value === 'arm64')) {
      targets = [value];
    } else if (name === '--target' && value === 'all') {
      targets = ['x64', 'arm64'];
    } else if (name === '--code-cache' && (value === 'on' || value === 'off')) {
      codeCache = value === 'on';
    } else {
      throw new Error(`Invalid argument ${JSON.stringify(arg)}; ${usage}`);
    }
  }
  return { targets, codeCache };
}

const started = Date.now();
try {
  const artifacts = await build(parseArgs(process.argv.slice(2)),
    (line) => console.log(`build: ${line}`));
  for (const artifact of artifacts) {
    console.log(`build: ${relative(repoRoot, artifact.path)}: ` +
      formatSize(statSync(artifact.path).size));
  }
  console.log(`build: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`build: ${(error as Error).message}`);
  process.exitCode = 1;
}
