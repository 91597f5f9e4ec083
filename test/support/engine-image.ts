import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import {
  chmod,
  copyFile,
  mkdir,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Tag of the busybox image that every private engine gets. */
export const engineImageTag = 'dsp-busybox:e2e';

/** Where Debian's busybox-static package installs its binary. */
const busyboxPaths = ['/bin/busybox', '/usr/bin/busybox'];

/** ELF program header type of the dynamic loader entry (PT_INTERP). */
const elfInterpreterType = 3;

/**
 * Builds a rootfs from the host's static busybox and imports it into the
 * engine with `docker import` as `engineImageTag`. The rootfs has
 * `bin/busybox` with a symlink per applet, `etc/os-release` with
 * `ID=debian` (AppAPI reads it to pick its certificate install commands),
 * minimal `etc/passwd` and `etc/group`, and `tmp`.
 */
export async function importBusyboxImage(
  workDir: string,
  importTar: (tarFile: string, tag: string) => Promise<void>,
): Promise<void> {
  const busybox = findStaticBusybox();
  const rootfs = join(workDir, 'rootfs');
  const tarFile = join(workDir, 'rootfs.tar');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  await mkdir(join(rootfs, 'etc'), { recursive: true });
  await mkdir(join(rootfs, 'tmp'), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);

  await copyFile(busybox, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  const { stdout } = await execFileAsync(busybox, ['--list']);
  const applets = stdout.split('\n').filter((name) => {
    return name !== '' && name !== 'busybox';
  });
  for (const applet of applets) {
    await symlink('busybox', join(rootfs, 'bin', applet));
  }

  await writeFile(join(rootfs, 'etc', 'os-release'), 'ID=debian\n');
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/:/bin/sh\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\n');

  await execFileAsync('tar', ['-C', rootfs, '-cf', tarFile, '.']);
  await importTar(tarFile, engineImageTag);
  await rm(rootfs, { recursive: true, force: true });
  await rm(tarFile, { force: true });
}

/**
 * Returns the path of a statically linked busybox. A dynamically linked
 * one (Debian's `busybox` package) would fail inside the image, which has
 * no C library, with a confusing "no such file or directory".
 */
function findStaticBusybox(): string {
  const path = busyboxPaths.find((candidate) => existsSync(candidate));
  if (path === undefined) {
    throw new Error(
      `Building the test image failed: busybox not found at ` +
        `${busyboxPaths.join(' or ')}; install the busybox-static package`,
    );
  }
  if (hasElfInterpreter(readFileSync(path))) {
    throw new Error(
      `Building the test image failed: ${path} is dynamically linked; ` +
        'install the busybox-static package',
    );
  }
  return path;
}

/** Reports whether a 64-bit little-endian ELF file names a dynamic loader. */
function hasElfInterpreter(elf: Buffer): boolean {
  const isElf64LittleEndian = elf.readUInt32BE(0) === 0x7f454c46 &&
    elf[4] === 2 && elf[5] === 1;
  if (!isElf64LittleEndian) {
    throw new Error(
      'Building the test image failed: busybox is not a 64-bit ' +
        'little-endian ELF file',
    );
  }
  const programHeaderOffset = Number(elf.readBigUInt64LE(0x20));
  const programHeaderSize = elf.readUInt16LE(0x36);
  const programHeaderCount = elf.readUInt16LE(0x38);
  for (let i = 0; i < programHeaderCount; i++) {
    const offset = programHeaderOffset + i * programHeaderSize;
    if (elf.readUInt32LE(offset) === elfInterpreterType) return true;
  }
  return false;
}
