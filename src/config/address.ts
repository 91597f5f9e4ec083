/** Parses a dotted-quad IPv4 address into its four octets. */
export function parseIPv4(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const octets: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || (part.length > 1 && part[0] === "0")) {
      return undefined;
    }
    const value = Number(part);
    if (value > 255) return undefined;
    octets.push(value);
  }
  return octets;
}

/**
 * Parses an IPv6 address (with `::` compression, an embedded IPv4 tail
 * allowed, no zone index) into its eight 16-bit groups.
 */
export function parseIPv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]{2,45}$/.test(text)) return undefined;
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = splitGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? splitGroups(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function splitGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (const [index, part] of parts.entries()) {
    if (index === parts.length - 1 && part.includes(".")) {
      const octets = parseIPv4(part);
      if (octets === undefined) return undefined;
      groups.push(
        ((octets[0] ?? 0) << 8) | (octets[1] ?? 0),
        ((octets[2] ?? 0) << 8) | (octets[3] ?? 0),
      );
      continue;
    }
    if (!/^[0-9A-Fa-f]{1,4}$/.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

/** An address range: IPv4 or IPv6 base groups and a prefix length. */
export interface Cidr {
  readonly family: 4 | 6;
  readonly bits: readonly number[];
  readonly prefix: number;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a single address into a range. */
export function parseCidr(text: string): Cidr | undefined {
  const [address = "", prefixText, extra] = text.split("/");
  if (extra !== undefined) return undefined;
  const v4 = parseIPv4(address);
  const v6 = v4 === undefined ? parseIPv6(address) : undefined;
  if (v4 === undefined && v6 === undefined) return undefined;
  const family = v4 === undefined ? 6 : 4;
  const max = family === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) {
    return undefined;
  }
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { family, bits: toBits(v4 ?? v6 ?? []), prefix };
}

/** Reports whether an address (v4 or v6 text) lies inside a range. */
export function cidrContains(range: Cidr, address: string): boolean {
  const v4 = parseIPv4(address);
  const groups = v4 === undefined ? parseIPv6(address) : v4;
  if (groups === undefined) return false;
  if ((v4 === undefined ? 6 : 4) !== range.family) return false;
  const bits = toBits(groups);
  for (let i = 0; i < range.prefix; i++) {
    if (bits[i] !== range.bits[i]) return false;
  }
  return true;
}

function toBits(groups: readonly number[]): number[] {
  const width = groups.length === 4 ? 8 : 16;
  const bits: number[] = [];
  for (const group of groups) {
    for (let i = width - 1; i >= 0; i--) bits.push((group >> i) & 1);
  }
  return bits;
}

/** Formats a range back into `address/prefix` text. */
export function formatCidr(range: Cidr): string {
  const width = range.family === 4 ? 8 : 16;
  const groups: number[] = [];
  for (let i = 0; i < range.bits.length; i += width) {
    groups.push(range.bits.slice(i, i + width)
      .reduce((value, bit) => value * 2 + bit, 0));
  }
  const address = range.family === 4
    ? groups.join(".")
    : groups.map((group) => group.toString(16)).join(":");
  return `${address}/${range.prefix}`;
}
