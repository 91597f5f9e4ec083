import { parseIPv4, parseIPv6 } from "../config/address.ts";

/**
 * Returns the key a peer address is counted and banned under: IPv4 as
 * is (also when IPv4-mapped into IPv6), IPv6 by its /64 network, since
 * one host usually owns a whole /64 and can pick any address in it.
 */
export function sourceKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped !== null) return mapped[1] ?? address;
  if (parseIPv4(address) !== undefined) return address;
  const groups = parseIPv6(address.replace(/%.*$/, ""));
  if (groups === undefined) return address;
  const prefix = groups.slice(0, 4).map((group) => group.toString(16));
  return `${prefix.join(":")}::/64`;
}
