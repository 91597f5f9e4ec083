// Opens many authenticated keep-alive connections and leaves them idle,
// as a busy Nextcloud with many workers would.
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { countOpenFiles, readMemory, type Memory } from './process-stats.ts';

/** Connections opened at once; later ones wait for a free slot. */
const OPEN_BATCH = 100;
/** A connection without a response within this time fails the bench. */
const ANSWER_TIMEOUT_MS = 10_000;

function openOne(host: string, port: number, request: string) {
  return new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host, port });
    let received = '';
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`Idle connection ${host}:${port}: ${why}`));
    };
    const timer = setTimeout(() => fail('no answer in time'),
      ANSWER_TIMEOUT_MS);
    socket.setEncoding('latin1');
    socket.on('error', (error) => fail(error.message));
    socket.once('connect', () => socket.write(request));
    const onData = (chunk: string) => {
      received += chunk;
      if (!received.includes('\r\n\r\n')) return;
      clearTimeout(timer);
      socket.off('data', onData);
      if (!received.startsWith('HTTP/1.1 200 ')) {
        fail(`expected 200, got ${JSON.stringify(received.slice(0, 40))}`);
        return;
      }
      // The rest of the body, if any, is read and dropped.
      socket.on('data', () => {});
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/**
 * Opens `count` connections to `host:port`, sends one authenticated
 * `GET /_ping` on each and keeps every connection open after its 200.
 */
export async function openIdleConnections(
  host: string,
  port: number,
  count: number,
  authorization: string,
) {
  const request = 'GET /_ping HTTP/1.1\r\nHost: bench\r\n' +
    `Authorization: ${authorization}\r\nConnection: keep-alive\r\n\r\n`;
  const sockets: Socket[] = [];
  const closeAll = () => sockets.forEach((socket) => socket.destroy());
  try {
    while (sockets.length < count) {
      const batch = Math.min(OPEN_BATCH, count - sockets.length);
      const opened = await Promise.allSettled(Array.from({ length: batch },
        () => openOne(host, port, request)));
      for (const result of opened) {
        if (result.status === 'fulfilled') sockets.push(result.value);
      }
      const failed = opened.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (error) {
    closeAll();
    throw error;
  }
  return {
    /** Counts the connections that the proxy has closed since. */
    closedCount: () => sockets.filter((socket) => socket.destroyed ||
      socket.readyState !== 'open').length,
    close: closeAll,
  };
}

/**
 * Opens `count` idle connections to a proxy, waits `settleMs`, and
 * returns its memory and open files then. Fails when the proxy closed
 * any of them in the meantime.
 */
export async function measureIdleConnections(
  proxy: { host: string; port: number; authHeader: string; pid: number },
  count: number,
  settleMs: number,
): Promise<{ memory: Memory; openFiles: number }> {
  const connections = await openIdleConnections(proxy.host, proxy.port,
    count, proxy.authHeader);
  try {
    await sleep(settleMs);
    const memory = readMemory(proxy.pid);
    const closed = connections.closedCount();
    if (closed > 0) {
      throw new Error(`The proxy closed ${closed} of ${count} idle ` +
        'connections');
    }
    return { memory, openFiles: countOpenFiles(proxy.pid) };
  } finally {
    connections.close();
  }
}
