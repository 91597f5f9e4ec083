import { refuse } from "../policy/refusal.ts";
import type { Refusal } from "../policy/refusal.ts";
import { CONTAINER_NAME } from "../policy/routes.ts";
import type { EngineApi } from "./types.ts";

/** How long a confirmed owner stays cached. */
export const OWNERSHIP_CACHE_MS = 5_000;
/** Entries kept in the cache at most; the oldest goes first. */
const MAX_CACHED = 1_000;

/** A container or exec the engine confirmed belongs to an ExApp. */
export interface Owned {
  /** The full ID the engine reported; forwarded instead of the prefix. */
  readonly id: string;
  readonly containerName: string;
}

/** Checks whether IDs belong to `nc_app_` containers. */
export interface Ownership {
  readonly container: (idOrName: string) => Promise<Owned | Refusal>;
  readonly exec: (execId: string) => Promise<Owned | Refusal>;
}

function field(body: unknown, name: string): string | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === "string" ? value : undefined;
}

/**
 * Creates the ownership check. It queries the engine, since only the
 * engine resolves a short ID or an exec ID to its container, and caches
 * confirmed owners briefly, so a burst of requests queries once.
 */
export function createOwnership(
  engine: EngineApi,
  now: () => number = Date.now,
): Ownership {
  const cache = new Map<string, { owned: Owned; expires: number }>();

  function cached(key: string): Owned | undefined {
    const entry = cache.get(key);
    if (entry === undefined) return undefined;
    if (entry.expires > now()) return entry.owned;
    cache.delete(key);
    return undefined;
  }

  function store(key: string, owned: Owned) {
    if (cache.size >= MAX_CACHED) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(key, { owned, expires: now() + OWNERSHIP_CACHE_MS });
  }

  async function container(idOrName: string): Promise<Owned | Refusal> {
    const key = `container:${idOrName}`;
    const hit = cached(key);
    if (hit !== undefined) return hit;
    const reply = await engine.requestJson(
      "GET", `/containers/${encodeURIComponent(idOrName)}/json`);
    if (reply.status === 404) {
      return refuse(404, "owner.not-found",
        `No such container: ${idOrName}`);
    }
    const id = field(reply.body, "Id");
    const name = field(reply.body, "Name")?.replace(/^\//, "");
    if (reply.status !== 200 || id === undefined || name === undefined) {
      return refuse(403, "owner.unknown",
        `Cannot confirm the owner of container ${idOrName}`);
    }
    if (!CONTAINER_NAME.test(name)) {
      return refuse(403, "owner.not-exapp",
        `Container ${idOrName} is not an ExApp container (nc_app_*)`);
    }
    const owned = { id, containerName: name };
    store(key, owned);
    return owned;
  }

  async function exec(execId: string): Promise<Owned | Refusal> {
    const key = `exec:${execId}`;
    const hit = cached(key);
    if (hit !== undefined) return hit;
    const reply = await engine.requestJson("GET", `/exec/${execId}/json`);
    if (reply.status === 404) {
      return refuse(404, "owner.not-found", `No such exec instance: ${execId}`);
    }
    const containerId = field(reply.body, "ContainerID");
    if (reply.status !== 200 || containerId === undefined) {
      return refuse(403, "owner.unknown",
        `Cannot confirm the owner of exec instance ${execId}`);
    }
    const owner = await container(containerId);
    if (!("id" in owner)) {
      return owner.rule === "owner.not-exapp"
        ? refuse(403, "owner.not-exapp",
          `Exec instance ${execId} belongs to a container that is not an ` +
            "ExApp container (nc_app_*)")
        : owner;
    }
    const owned = { id: execId, containerName: owner.containerName };
    store(key, owned);
    return owned;
  }

  return { container, exec };
}
