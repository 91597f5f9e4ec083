import { lookup as dnsLookup } from "node:dns/promises";
import net from "node:net";
import type { Socket } from "node:net";
import { clearTimeout, setTimeout } from "node:timers";
import type { Family } from "../../config/types.ts";
import { UpstreamError } from "../../engine/upstream-error.ts";
import { CONNECT_TIMED_OUT, connectFirst } from "../connect-first.ts";

/** ExApp host (EX_APPS_NET) and connect timeout (TIMEOUT_CONNECT). */
export interface ExAppTarget {
  readonly host: string;
  /** 4 or 6 when EX_APPS_NET forces a family; 0 tries both. */
  readonly family: Family;
  readonly connectTimeoutMs: number;
}

/** Resolves a host name to its addresses, in the resolver's order. */
export type Lookup = (host: string, family: Family) => Promise<string[]>;

/** Resolves with the system resolver (`/etc/hosts`, DNS) in its order. */
export const systemLookup: Lookup = async (host, family) => {
  const found = await dnsLookup(host, { all: true, family });
  return found.map((entry) => entry.address);
};

/** Names an ExApp port for messages: `the ExApp at localhost:23000`. */
export function describeExApp(target: ExAppTarget, port: number): string {
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  return `the ExApp at ${host}:${port}`;
}

function attempt(address: string, port: number, timeoutMs: number) {
  return new Promise<Socket>((resolve, reject) => {
    const socket = net.connect({
      host: address,
      port,
      noDelay: true,
      // An upgraded connection passes a half-close on, as TCP does.
      allowHalfOpen: true,
    });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(Object.assign(new Error("connect timed out"),
        { code: CONNECT_TIMED_OUT }));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    socket.once("error", onError);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.off("error", onError);
      resolve(socket);
    });
  });
}

/**
 * Connects to an ExApp port: resolves EX_APPS_NET, then tries each
 * address in turn, each with the full TIMEOUT_CONNECT. Rejects with an
 * UpstreamError (502 refused or unreachable, 504 timed out).
 */
export async function connectToExApp(
  target: ExAppTarget,
  port: number,
  lookup: Lookup = systemLookup,
): Promise<Socket> {
  const exAppName = describeExApp(target, port);
  let addresses: string[];
  try {
    addresses = await lookup(target.host, target.family);
  } catch (error) {
    const code = (error as { code?: string }).code ?? String(error);
    throw new UpstreamError(502,
      `Cannot resolve ${JSON.stringify(target.host)} for ${exAppName}: ${code}`,
      { cause: error });
  }
  return connectFirst(addresses,
    (address) => attempt(address, port, target.connectTimeoutMs), exAppName);
}
