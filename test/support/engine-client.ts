import { spawn } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** Status, headers and body of an HTTP response. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body decoded as UTF-8. */
  body: string;
  /** The body as received, e.g. for multiplexed log streams. */
  rawBody: Buffer;
}

/** Exit code and output of a docker CLI run. */
export interface CliResult {
  /** Exit code; -1 when the CLI was killed, e.g. after the timeout. */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for one docker CLI run. */
export interface DockerCliOptions {
  /** Extra environment variables, applied last. */
  env?: Record<string, string>;
  /** DOCKER_HOST, e.g. `tcp://127.0.0.1:2375`; defaults to the engine. */
  host?: string;
  /** DOCKER_CONFIG folder; defaults to a private one of the engine. */
  configDir?: string;
  /** Kills the CLI after this long; defaults to 60 s. */
  timeoutMs?: number;
}

/** Environment variables of the host that would redirect the docker CLI. */
const hostDockerVariables = [
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DOCKER_CONFIG',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_API_VERSION',
];

/**
 * Sends one request to the engine's unix socket. A string body is sent as
 * is; any other body is sent as JSON.
 */
export function requestUnixSocket(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<HttpResult> {
  const payload = body === undefined || typeof body === 'string'
    ? body
    : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (payload !== undefined) {
    headers['content-type'] = typeof body === 'string'
      ? 'text/plain'
      : 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { socketPath, method, path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const rawBody = Buffer.concat(chunks);
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: rawBody.toString('utf8'),
            rawBody,
          });
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * Runs `docker` from PATH with the host's DOCKER_* variables removed, so
 * it talks to `host` and reads only `configDir`.
 */
export function runDockerCli(
  args: string[],
  host: string,
  configDir: string,
  options: DockerCliOptions = {},
): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of hostDockerVariables) delete env[name];
  env.DOCKER_HOST = options.host ?? host;
  env.DOCKER_CONFIG = options.configDir ?? configDir;
  Object.assign(env, options.env);

  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    const timer = setTimeout(
      () => child.kill('SIGKILL'),
      options.timeoutMs ?? 60_000,
    );
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`Running docker ${args.join(' ')} failed: ${error}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: code ?? -1,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/**
 * Splits a multiplexed Docker stream (logs or attach of a container
 * without a TTY) into its stdout and stderr text. Each frame has an
 * 8-byte header: stream type, 3 zero bytes, then the big-endian length.
 */
export function demuxDockerStream(
  stream: Buffer,
): { stdout: string; stderr: string } {
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  let offset = 0;
  while (offset + 8 <= stream.length) {
    const streamType = stream[offset];
    const length = stream.readUInt32BE(offset + 4);
    const frame = stream.subarray(offset + 8, offset + 8 + length);
    if (streamType === 2) stderr.push(frame);
    else stdout.push(frame);
    offset += 8 + length;
  }
  return {
    stdout: Buffer.concat(stdout).toString('utf8'),
    stderr: Buffer.concat(stderr).toString('utf8'),
  };
}
