import { refuse } from "./refusal.ts";
import type { Refusal } from "./refusal.ts";

/** Bytes needed to recognise every compressed format below. */
export const ARCHIVE_MAGIC_LENGTH = 6;

const COMPRESSED: readonly { name: string; magic: readonly number[] }[] = [
  { name: "gzip", magic: [0x1f, 0x8b] },
  { name: "bzip2", magic: [0x42, 0x5a, 0x68] },
  { name: "xz", magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: "zstd", magic: [0x28, 0xb5, 0x2f, 0xfd] },
];

/**
 * Tells whether the bytes start with a zstd skippable frame, magic
 * 0x184D2A50 to 0x184D2A5F (little-endian), which the engine's format
 * detection also takes for zstd.
 */
function isZstdSkippableFrame(head: Uint8Array): boolean {
  return ((head[0] ?? 0) & 0xf0) === 0x50 && head[1] === 0x2a &&
    head[2] === 0x4d && head[3] === 0x18;
}

/**
 * Refuses an archive upload whose first bytes are a compression format.
 * The engine would decompress it before unpacking, and its decompressors
 * are attack surface that plain tar (what AppAPI sends) never needs.
 */
export function checkArchiveStart(head: Uint8Array): Refusal | undefined {
  if (isZstdSkippableFrame(head)) {
    return refuse(403, "archive.compressed",
      "Archive is zstd-compressed (skippable frame first): " +
        "only plain tar is accepted");
  }
  for (const { name, magic } of COMPRESSED) {
    if (magic.every((byte, index) => head[index] === byte)) {
      return refuse(403, "archive.compressed",
        `Archive is ${name}-compressed: only plain tar is accepted`);
    }
  }
  return undefined;
}
