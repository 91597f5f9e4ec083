// What an attack could have changed in the engine, and a recording
// stand-in for the engine socket.
import { createServer, type IncomingHttpHeaders } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Engine } from "./engine.ts";

/** The parts of an engine's state that a refused request must not touch. */
export interface EngineState {
  readonly containers: readonly string[];
  readonly volumes: readonly string[];
  readonly images: readonly string[];
  /** Per container name: running or not, running exec IDs, host configuration. */
  readonly details: Readonly<Record<string, string>>;
}

interface Inspected {
  readonly Name: string;
  readonly ExecIDs: readonly string[] | null;
  readonly State: { readonly Running: boolean };
  readonly HostConfig: Readonly<Record<string, unknown>>;
}

/**
 * Reads containers, volumes, images, and for each container its state,
 * exec instances and host configuration, in a form `deepEqual` compares.
 */
export async function engineState(engine: Engine): Promise<EngineState> {
  const containers = (await engine.containerNames()).sort();
  const volumes = (await engine.volumeNames()).sort();
  const imageList = await engine.request("GET", "/images/json?all=1");
  const images = (JSON.parse(imageList.body) as { Id: string }[])
    .map((image) => image.Id).sort();
  const details: Record<string, string> = {};
  for (const name of containers) {
    const answer = await engine.request("GET", `/containers/${name}/json`);
    if (answer.status !== 200) continue;
    const inspected = JSON.parse(answer.body) as Inspected;
    details[name] = JSON.stringify({
      running: inspected.State.Running,
      execs: [...(inspected.ExecIDs ?? [])].sort(),
      hostConfig: inspected.HostConfig,
    });
  }
  return { containers, volumes, images, details };
}

/** One request as the stand-in engine received it. */
export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

/** A recording stand-in for the engine socket. */
export interface RecordingEngine {
  readonly socketPath: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP server on a unix socket that records every request and
 * responds like a quiet engine: `OK` for `_ping`, `201 {}` for creates,
 * `204` for everything else. Tests use it in place of the real engine
 * only where they must see the exact bytes the proxy forwards (headers,
 * the re-serialised body), which the real engine does not show.
 */
export async function startRecordingEngine(): Promise<RecordingEngine> {
  const dir = await mkdtemp("/tmp/dsp-rec-");
  const socketPath = join(dir, "engine.sock");
  const requests: RecordedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      requests.push({
        method: request.method ?? "",
        url: request.url ?? "",
        headers: request.headers,
        rawHeaders: request.rawHeaders,
        body: Buffer.concat(chunks),
      });
      if (/\/_ping$/.test(request.url ?? "")) {
        response.writeHead(200, { "content-type": "text/plain" }).end("OK");
      } else if (/\/create(\?|$)/.test(request.url ?? "")) {
        response.writeHead(201, { "content-type": "application/json" })
          .end("{}");
      } else {
        response.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    socketPath,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
