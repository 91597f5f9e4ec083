import { request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { HttpResult } from './engine-client.ts';

/** Where and how to reach a running proxy. */
export interface ProxyEndpoint {
  readonly host: string;
  readonly port: number;
  readonly protocol: 'http' | 'https';
  /** `Basic …` header value for the configured user and password. */
  readonly authHeader: string;
}

/** TLS client settings for a proxy that serves HTTPS. */
export interface ClientTlsOptions {
  /** CA certificates in PEM; without them the system CAs are trusted. */
  ca?: string | Buffer;
  servername?: string;
  rejectUnauthorized?: boolean;
}

/** One HTTP request to the proxy. */
export interface ProxyRequestOptions {
  method?: string;
  /** Sent unmodified, so dot segments and `%2f` reach the proxy as is. */
  path: string;
  headers?: OutgoingHttpHeaders;
  /** A string or Buffer is sent as is; anything else as JSON. */
  body?: unknown;
  /** Adds the proxy's Authorization header; true unless set to false. */
  auth?: boolean;
  /** Source address, e.g. `127.0.0.2` to act as another client. */
  localAddress?: string;
  /** Another port of the same proxy, e.g. an ExApp port. */
  port?: number;
  timeoutMs?: number;
  tls?: ClientTlsOptions;
}

/** How a raw connection ended. */
export type RawOutcome = 'closed' | 'reset' | 'timeout';

/** Bytes received on a raw connection and how it ended. */
export interface RawResult {
  data: Buffer;
  text: string;
  outcome: RawOutcome;
}

/** Options for `rawRequest`. */
export interface RawRequestOptions {
  /** Gives up waiting after this long and reports `timeout`. */
  timeoutMs?: number;
  localAddress?: string;
  host?: string;
  /** Half-closes the connection after writing; false by default. */
  endAfterWrite?: boolean;
  tls?: ClientTlsOptions;
}

const defaultTimeoutMs = 10_000;

/**
 * Sends one request to the proxy with node:http or node:https on a fresh
 * connection and resolves with the response. node:http rejects paths
 * with spaces or control characters; use `rawRequest` for those.
 */
export function request(
  proxy: ProxyEndpoint,
  options: ProxyRequestOptions,
): Promise<HttpResult> {
  const headers: OutgoingHttpHeaders = { ...options.headers };
  if (options.auth !== false) headers.authorization ??= proxy.authHeader;
  const payload = encodeBody(options.body, headers);
  const send = proxy.protocol === 'https' ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;

  return new Promise((resolve, reject) => {
    const outgoing = send({
      host: proxy.host,
      port: options.port ?? proxy.port,
      method: options.method ?? 'GET',
      path: options.path,
      headers,
      agent: false,
      ...(options.localAddress === undefined
        ? {}
        : { localAddress: options.localAddress }),
      ...options.tls,
    }, (response) => {
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
    });
    outgoing.setTimeout(timeoutMs, () => {
      outgoing.destroy(new Error(
        `${options.method ?? 'GET'} ${options.path} timed out after ` +
          `${timeoutMs} ms`,
      ));
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

function encodeBody(
  body: unknown,
  headers: OutgoingHttpHeaders,
): string | Buffer | undefined {
  if (body === undefined) return undefined;
  let payload: string | Buffer;
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    payload = body;
  } else {
    payload = JSON.stringify(body);
    headers['content-type'] ??= 'application/json';
  }
  headers['content-length'] ??= String(Buffer.byteLength(payload));
  return payload;
}

/**
 * Writes raw bytes to a proxy port and collects what comes back until the
 * proxy closes (`closed`), resets (`reset`) the connection, or
 * `timeoutMs` passes (`timeout`, the connection is then destroyed). A
 * banned client expects `timeout` with no bytes. Other socket errors, e.g.
 * a refused connection, reject.
 */
export function rawRequest(
  port: number,
  bytes: string | Buffer,
  options: RawRequestOptions = {},
): Promise<RawResult> {
  const host = options.host ?? '127.0.0.1';
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  const address = {
    host,
    port,
    ...(options.localAddress === undefined
      ? {}
      : { localAddress: options.localAddress }),
  };
  return new Promise((resolve, reject) => {
    const socket: Socket = options.tls === undefined
      ? netConnect(address)
      : tlsConnect({ ...address, ...options.tls });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const data = Buffer.concat(chunks);
      resolve({ data, text: data.toString('latin1'), outcome });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    const connectEvent = options.tls === undefined
      ? 'connect'
      : 'secureConnect';
    socket.once(connectEvent, () => {
      socket.write(bytes);
      if (options.endAfterWrite === true) socket.end();
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish('closed'));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE: the reset arrived before or while we wrote.
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
        finish('reset');
        return;
      }
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`Raw request to ${host}:${port} failed: ${error}`));
    });
  });
}
