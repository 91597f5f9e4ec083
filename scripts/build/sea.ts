// Turns a bundled script into a Node single executable application (SEA):
// blob, stripped host binary, postject injection.
import { execFile } from 'node:child_process';
import { copyFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type { Arch } from './node-runtime.ts';

const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);

/** Fuse that tells the Node binary a SEA blob is injected. */
const SEA_FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

/** The `strip` command that understands each arch's ELF files. */
export const STRIP_COMMANDS: Record<Arch, string> = {
  x64: 'strip',
  arm64: 'aarch64-linux-gnu-strip',
};

/** Inputs of one single executable. */
export interface SeaOptions {
  readonly arch: Arch;
  /** The bundled CommonJS entry. */
  readonly script: string;
  /** Unstripped Node binary of `arch`, copied and never changed. */
  readonly hostBinary: string;
  /**
   * A Node binary of the same version that runs on this machine. The
   * blob format is tied to the Node version, so a newer or older Node
   * would produce a blob that the host binary rejects.
   */
  readonly blobGenerator: string;
  /** V8 code cache; only valid when the generator has the same arch. */
  readonly useCodeCache: boolean;
  /** Folder for the blob and its configuration. */
  readonly workDir: string;
  readonly output: string;
}

/** Builds one single executable at `options.output`. */
export async function buildSea(
  options: SeaOptions,
  log: (line: string) => void,
): Promise<void> {
  const base = `${options.workDir}/sea-${options.arch}`;
  const blob = `${base}.blob`;
  const config = {
    main: options.script,
    output: blob,
    disableExperimentalSEAWarning: true,
    useSnapshot: false,
    useCodeCache: options.useCodeCache,
    // The binary takes no Node options at all: NODE_OPTIONS from the
    // environment could otherwise load code (`--require`) into a process
    // that holds the Docker socket.
    execArgv: [],
    execArgvExtension: 'none',
  };
  await writeFile(`${base}.json`, JSON.stringify(config, null, 2) + '\n');
  log(`${options.arch}: generating the SEA blob ` +
    `(code cache ${options.useCodeCache ? 'on' : 'off'})`);
  await execFileAsync(options.blobGenerator,
    ['--experimental-sea-config', `${base}.json`],
    { env: { PATH: process.env.PATH ?? '' } });

  const partial = `${options.output}.partial`;
  await rm(partial, { force: true });
  await copyFile(options.hostBinary, partial);
  // Stripping after injection corrupts the binary (it crashes with
  // SIGSEGV), so strip the plain Node binary first.
  log(`${options.arch}: stripping the Node binary ` +
    `(${STRIP_COMMANDS[options.arch]})`);
  await execFileAsync(STRIP_COMMANDS[options.arch], [partial]);

  log(`${options.arch}: injecting the blob with postject`);
  // postject prints harmless "Can't find string offset for section name"
  // warnings for every note section of Node's ELF file; its output is
  // only shown when it fails.
  await execFileAsync(process.execPath, [
    require.resolve('postject/dist/cli.js'),
    partial, 'NODE_SEA_BLOB', blob,
    '--sentinel-fuse', SEA_FUSE,
  ], { maxBuffer: 16 * 1024 * 1024 }).catch((error: Error & {
    stdout?: string;
    stderr?: string;
  }) => {
    throw new Error(`postject failed: ${error.message}\n` +
      `${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  await rename(partial, options.output);
}
