import type { BanStore } from "../ban/ban-store.ts";
import { sourceKey } from "../ban/source-key.ts";
import type { Ownership, Owned } from "../engine/ownership.ts";
import { matchRoute, upstreamPath } from "../policy/match-route.ts";
import type { ParamName, RouteMatch } from "../policy/match-route.ts";
import { normaliseTarget } from "../policy/normalise-target.ts";
import type { Refusal } from "../policy/refusal.ts";
import { CONTAINER_NAME } from "../policy/routes.ts";

/** A request the allowlist lets through, with the path to send on. */
export interface Allowed {
  readonly match: RouteMatch;
  /** Canonical path and query, with IDs replaced by the engine's full IDs. */
  readonly path: string;
  /** Name of the ExApp container the request concerns, when known. */
  readonly containerName: string | undefined;
}

/**
 * The decisions every frontend makes in the same order. The Hono
 * pipeline and the raw connection paths (hijack upgrade, silent drop)
 * call these same functions, so the rules exist once.
 */
export interface Gate {
  readonly isBanned: (peer: string) => boolean;
  /** Checks credentials; a failure counts toward a ban of the source. */
  readonly authenticate: (peer: string, header: string | undefined) => boolean;
  /** Matches a request against the allowlist and confirms owners. */
  readonly authorize: (method: string, target: string) =>
    Promise<Allowed | Refusal>;
}

/** Dependencies of {@link createGate}. */
export interface GateOptions {
  readonly bans: BanStore;
  readonly isAuthorized: (header: string | undefined) => boolean;
  readonly ownership: Ownership;
}

async function resolveOwner(
  ownership: Ownership,
  match: RouteMatch,
): Promise<Owned | Refusal | undefined> {
  const { container, exec } = match.params;
  if (exec !== undefined) return ownership.exec(exec);
  if (container === undefined || CONTAINER_NAME.test(container)) {
    return undefined;
  }
  return ownership.container(container);
}

/** Creates the shared decision functions. */
export function createGate(options: GateOptions): Gate {
  const { bans, isAuthorized, ownership } = options;

  function authenticate(peer: string, header: string | undefined) {
    if (isAuthorized(header)) return true;
    bans.recordFailure(sourceKey(peer));
    return false;
  }

  async function authorize(
    method: string,
    rawTarget: string,
  ): Promise<Allowed | Refusal> {
    const target = normaliseTarget(rawTarget);
    if ("status" in target) return target;
    const match = matchRoute(method, target);
    if ("status" in match) return match;
    const owner = await resolveOwner(ownership, match);
    if (owner !== undefined && "status" in owner) return owner;
    const resolved: Partial<Record<ParamName, string>> = {};
    if (owner !== undefined && match.params.container !== undefined) {
      resolved.container = owner.id;
    }
    return {
      match,
      path: upstreamPath(match, resolved),
      containerName: owner?.containerName ??
        match.params.container ?? target.query.get("name"),
    };
  }

  return {
    // While no ban is in force, the usual case, skip the source key.
    isBanned: (peer) => bans.activeBans() > 0 && bans.isBanned(sourceKey(peer)),
    authenticate,
    authorize,
  };
}
