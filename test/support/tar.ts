// Builds plain (ustar) tar archives in memory, for tests and the bench.

const BLOCK_BYTES = 512;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(BLOCK_BYTES);
  block.write(name, 0, 100, 'ascii');
  block.write(octal(0o644, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(size, 12), 124, 'ascii');
  block.write(octal(Math.floor(Date.now() / 1000), 12), 136, 'ascii');
  block.write('        ', 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(octal(sum, 7) + ' ', 148, 'ascii');
  return block;
}

/**
 * Returns a tar archive holding one regular file `name` of `size`
 * bytes. The content is a repeating text pattern, so that the archive
 * starts with the tar header and never with a compression magic.
 */
export function tarWithOneFile(name: string, size: number): Buffer {
  const padding = (BLOCK_BYTES - (size % BLOCK_BYTES)) % BLOCK_BYTES;
  const archive = Buffer.alloc(BLOCK_BYTES + size + padding + 2 * BLOCK_BYTES);
  header(name, size).copy(archive, 0);
  const pattern = Buffer.from('appapi-dsp benchmark payload\n');
  if (size > 0) archive.fill(pattern, BLOCK_BYTES, BLOCK_BYTES + size);
  return archive;
}

/** Returns a tar archive holding the given files, each as UTF-8 text. */
export function tarArchive(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const content = Buffer.from(text, 'utf8');
    const padding = (BLOCK_BYTES - (content.length % BLOCK_BYTES)) % BLOCK_BYTES;
    blocks.push(header(name, content.length), content, Buffer.alloc(padding));
  }
  blocks.push(Buffer.alloc(2 * BLOCK_BYTES));
  return Buffer.concat(blocks);
}
