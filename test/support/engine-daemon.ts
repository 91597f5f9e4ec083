// Starts one private test engine for `scripts/test.mjs` and keeps it until
// SIGTERM, SIGINT or the end of stdin. When the engine is ready it prints
// one JSON line to stdout: {"socketPath", "image", "logFile"}. Watching
// stdin and stdout stops the engine even when the runner dies without a
// signal, because its ends of the pipes close then.
import { startEngine, type Engine } from './engine.ts';

let engine: Engine | undefined;
let runnerGone = false;

function shutdown(exitCode: number): void {
  runnerGone = true;
  if (engine === undefined) return;
  engine.stop().then(
    () => process.exit(exitCode),
    (error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    },
  );
}

process.stdin.resume();
process.stdin.once('end', () => shutdown(0));
process.stdout.on('error', () => shutdown(1));

try {
  engine = await startEngine();
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}

if (runnerGone) {
  shutdown(1);
} else {
  const { socketPath, image, logFile } = engine;
  process.stdout.write(`${JSON.stringify({ socketPath, image, logFile })}\n`);
}
// startEngine's own handlers stop the engine on SIGTERM, SIGINT and SIGHUP
// and then end this process by the same signal.
