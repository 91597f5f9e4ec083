import type { Logger } from "../log/logger.ts";
import { CONTAINER_NAME } from "../policy/routes.ts";
import type { EngineApi } from "./types.ts";

const EXITED_EXAPPS = encodeURIComponent(
  JSON.stringify({ name: ["nc_app_"], status: ["exited"] }));

/** Starts every exited `nc_app_*` container, logging each one. */
export async function startContainers(
  engine: EngineApi,
  logger: Logger,
): Promise<void> {
  let reply;
  try {
    reply = await engine.requestJson("GET",
      `/containers/json?all=1&filters=${EXITED_EXAPPS}`);
  } catch (error) {
    logger.error("autostart failed", { error: (error as Error).message });
    return;
  }
  const list = Array.isArray(reply.body) ? reply.body : [];
  for (const item of list as { Id?: string; Names?: string[] }[]) {
    const name = item.Names?.[0]?.replace(/^\//, "") ?? "";
    if (!CONTAINER_NAME.test(name) || item.Id === undefined) continue;
    try {
      const started = await engine.requestJson("POST",
        `/containers/${item.Id}/start`);
      const ok = started.status === 204 || started.status === 304;
      const message = (started.body as { message?: unknown } | undefined)
        ?.message;
      logger.log(ok ? "info" : "error", "autostart", {
        container: name,
        status: started.status,
        error: typeof message === "string" ? message : undefined,
      });
    } catch (error) {
      logger.error("autostart failed", {
        container: name,
        error: (error as Error).message,
      });
    }
  }
}
