import { createHash } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import process from "node:process";
import type { Runtime } from "./types.ts";

/** The runtime adapter for Node (Deno's Node compatibility uses it too). */
export const nodeRuntime: Runtime = {
  name: "node",
  args: process.argv.slice(2),
  env: () => process.env,
  readTextFile: (path) => readFileSync(path, "utf8"),
  fileExists(path) {
    try {
      statSync(path);
      return true;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return false;
      throw error;
    }
  },
  digest: (data) => createHash("sha256").update(data).digest(),
  writeOut: (text) => void process.stdout.write(text),
  writeErr: (text) => void process.stderr.write(text),
  onSignal: (signal, handler) => void process.on(signal, handler),
  onUncaughtError(handler) {
    process.on("uncaughtException", handler);
    process.on("unhandledRejection", handler);
  },
  exit: (code) => process.exit(code),
};
