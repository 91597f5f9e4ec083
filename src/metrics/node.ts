import http from "node:http";
import type { MetricsAddress } from "../config/types.ts";
import type { Logger } from "../log/logger.ts";
import type { ProxyMetrics } from "./proxy-metrics.ts";

const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Serves `GET /metrics` in the Prometheus text format on its own
 * listener, apart from the proxy ports and without authentication, so
 * METRICS_ADDRESS should be a loopback or otherwise private address.
 */
export function startMetricsServer(
  address: MetricsAddress,
  metrics: ProxyMetrics,
  logger: Logger,
): Promise<http.Server> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "").split("?")[0];
    if (path !== "/metrics" || (request.method !== "GET" &&
      request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain" });
      response.end("Not found: the only path is GET /metrics\n");
      return;
    }
    const body = metrics.render();
    response.writeHead(200, {
      "content-type": CONTENT_TYPE,
      "content-length": Buffer.byteLength(body),
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  server.on("clientError", (_, socket) => socket.destroy());
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ host: address.host, port: address.port }, () => {
      server.off("error", reject);
      logger.info("listening", {
        frontend: "metrics",
        address: address.host,
        port: address.port,
      });
      resolve(server);
    });
  });
}
