// Builds every binary and packs one release archive per arch, plus
// SHA256SUMS: `npm run release`. Each dist/appapi-dsp-linux-<arch>.tar.gz
// has one folder appapi-dsp-<version>-linux-<arch>/ with the binary, the
// systemd unit and its sysusers file, README.md, LICENSE and the licences
// of the code inside the binary (Node.js and the bundled npm packages).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  build,
  CODE_CACHE_DEFAULT,
  distDir,
  formatSize,
  repoRoot,
  type Artifact,
} from './build/build.ts';

/** Files copied into every archive, from the repository root. */
const packagedFiles = [
  'README.md',
  'SECURITY.md',
  'LICENSE',
  'packaging/systemd/appapi-dsp.service',
  'packaging/systemd/appapi-dsp.sysusers',
];

/** Documents the README links to, kept under docs/ so the links work. */
const packagedDocs = ['docs/tls.md', 'docs/benchmarks.md'];

/** npm packages bundled into the binary, with their licence files. */
const bundledLicenses = [
  'node_modules/hono/LICENSE',
  'node_modules/@hono/node-server/LICENSE',
  'node_modules/valibot/LICENSE.md',
];

function log(line: string): void {
  console.log(`release: ${line}`);
}

/** Returns the third-party licence text shipped as THIRD-PARTY-LICENSES. */
function thirdPartyLicenses(artifact: Artifact): string {
  const sections = [
    { name: 'Node.js (the runtime inside the binary)', file: artifact.nodeLicense },
    ...bundledLicenses.map((file) => ({
      name: file.replace(/^node_modules\//, '').replace(/\/LICENSE(\.md)?$/, ''),
      file: join(repoRoot, file),
    })),
  ];
  return sections.map(({ name, file }) => {
    const rule = '='.repeat(72);
    return `${rule}\n${name}\n${rule}\n\n${readFileSync(file, 'utf8').trimEnd()}\n`;
  }).join('\n');
}

/** Packs one archive with reproducible owners, order and times. */
async function pack(artifact: Artifact, version: string, epoch: string) {
  const folder = `appapi-dsp-${version}-linux-${artifact.arch}`;
  const stage = join(distDir, 'release', folder);
  await rm(stage, { recursive: true, force: true });
  await mkdir(stage, { recursive: true });
  await copyFile(artifact.path, join(stage, 'appapi-dsp'));
  await chmod(join(stage, 'appapi-dsp'), 0o755);
  for (const file of packagedFiles) {
    await copyFile(join(repoRoot, file), join(stage, basename(file)));
  }
  await mkdir(join(stage, 'docs'), { recursive: true });
  for (const file of packagedDocs) {
    await copyFile(join(repoRoot, file), join(stage, file));
  }
  await writeFile(join(stage, 'THIRD-PARTY-LICENSES'),
    thirdPartyLicenses(artifact));

  const archive = join(distDir, `appapi-dsp-linux-${artifact.arch}.tar.gz`);
  const tarball = execFileSync('tar', [
    '--sort=name', '--owner=0', '--group=0', '--numeric-owner',
    `--mtime=@${epoch}`, '-C', join(distDir, 'release'), '-cf', '-', folder,
  ], { maxBuffer: 1024 * 1024 * 1024 });
  await writeFile(archive, execFileSync('gzip', ['-9', '-n'], {
    input: tarball,
    maxBuffer: 1024 * 1024 * 1024,
  }));
  log(`${basename(archive)}: ${formatSize(statSync(archive).size)}`);
  return archive;
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

async function release(): Promise<void> {
  const missing = [...packagedFiles, ...packagedDocs].filter((file) => !existsSync(join(repoRoot, file)));
  if (missing.length > 0) {
    throw new Error(`Checking the release inputs failed: missing ${missing.join(', ')}`);
  }
  const { version } = JSON.parse(
    readFileSync(join(repoRoot, 'package.json'), 'utf8'),
  ) as { version: string };
  // SOURCE_DATE_EPOCH, or the last commit's time, stamps every archive
  // entry. Two builds of one commit then differ only where the binaries
  // do: the arm64 binary came out byte-identical, the x64 one did not,
  // because its V8 code cache differs from run to run.
  const epoch = process.env.SOURCE_DATE_EPOCH ??
    execFileSync('git', ['log', '-1', '--format=%ct'], { cwd: repoRoot })
      .toString().trim();

  const artifacts = await build(
    { targets: ['x64', 'arm64'], codeCache: CODE_CACHE_DEFAULT },
    (line) => console.log(`build: ${line}`));
  const files: string[] = [];
  for (const artifact of artifacts) {
    files.push(artifact.path, await pack(artifact, version, epoch));
  }
  const sums = files.map((file) => `${sha256(file)}  ${basename(file)}\n`);
  await writeFile(join(distDir, 'SHA256SUMS'), sums.join(''));
  log(`SHA256SUMS: ${files.length} files (check with: cd dist && ` +
    'sha256sum -c SHA256SUMS)');
}

try {
  await release();
} catch (error) {
  console.error(`release: ${(error as Error).message}`);
  process.exitCode = 1;
}
