import { constants, createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync, statSync, watch } from "node:fs";
import type { FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import { clearTimeout, setTimeout } from "node:timers";
import tls from "node:tls";
import type { Logger } from "../log/logger.ts";
import {
  CertificateError,
  formatDistinguishedName,
  logCertificate,
} from "./certificate.ts";
import type { CertificateInfo } from "./certificate.ts";
import { describePemProblem, splitPem } from "./pem.ts";

/** Oldest TLS version the frontends accept. */
export const MIN_TLS_VERSION = "TLSv1.2";

/** Largest certificate file read; a chain and a key take a few KiB. */
const MAX_CERT_FILE_BYTES = 1024 * 1024;

/** Quiet time after the last change in the folder before a reload. */
const RELOAD_DEBOUNCE_MS = 200;

/** A validated certificate file, ready for a TLS server. */
export interface LoadedCertificate {
  /** The file as read, to tell whether it has changed since. */
  readonly text: string;
  readonly context: tls.SecureContextOptions;
  readonly info: CertificateInfo;
}

function messageOf(error: unknown): string {
  return (error as Error)?.message ?? String(error);
}

function parseChain(
  pems: readonly string[],
  invalid: (detail: string) => Error,
) {
  return pems.map((pem, index) => {
    try {
      return new X509Certificate(pem);
    } catch (error) {
      throw invalid(`certificate ${index + 1} cannot be parsed: ` +
        messageOf(error));
    }
  });
}

/**
 * Validates the content of CERT_FILE: a chain, leaf first, and the
 * leaf's private key. Throws a CertificateError that names the problem.
 */
export function parseCertificate(
  path: string,
  text: string,
): LoadedCertificate {
  const invalid = (detail: string) =>
    new CertificateError(
      `Invalid CERT_FILE ${JSON.stringify(path)}: ${detail}`);
  const parts = splitPem(text);
  if (typeof parts === "string") throw invalid(describePemProblem(parts));
  const chain = parseChain(parts.certificates, invalid);
  const key = parseKey(parts.key, invalid);
  const leaf = chain[0];
  if (leaf === undefined || !leaf.checkPrivateKey(key)) {
    throw invalid("the private key does not match the first certificate: " +
      "put the server certificate first, then its chain");
  }
  const context: tls.SecureContextOptions = {
    cert: parts.certificates.join("\n"),
    key: parts.key,
    minVersion: MIN_TLS_VERSION,
    // Client-started TLS 1.2 renegotiation only costs the server CPU.
    secureOptions: constants.SSL_OP_NO_RENEGOTIATION,
  };
  try {
    // OpenSSL's own checks, e.g. a key too small for its security level.
    tls.createSecureContext(context);
  } catch (error) {
    throw invalid(
      `OpenSSL rejected the certificate or key: ${messageOf(error)}`);
  }
  return { text, context, info: describeLeaf(leaf, chain.length) };
}

function parseKey(pem: string, invalid: (detail: string) => Error) {
  try {
    return createPrivateKey(pem);
  } catch (error) {
    throw invalid(`the private key cannot be parsed: ${messageOf(error)}`);
  }
}

function describeLeaf(
  leaf: X509Certificate,
  chainLength: number,
): CertificateInfo {
  return {
    subject: formatDistinguishedName(leaf.subject),
    issuer: formatDistinguishedName(leaf.issuer),
    subjectAltName: leaf.subjectAltName,
    notAfter: new Date(leaf.validTo),
    fingerprint: leaf.fingerprint256,
    chainLength,
  };
}

/** Reads and validates CERT_FILE. Throws a CertificateError on failure. */
export function loadCertificate(path: string): LoadedCertificate {
  let text: string;
  try {
    // Reading a FIFO or a device would block the whole event loop, and
    // a huge file would fill memory: only a regular, small file is read.
    const stats = statSync(path);
    if (!stats.isFile()) throw new Error("not a regular file");
    if (stats.size > MAX_CERT_FILE_BYTES) {
      throw new Error(`larger than ${MAX_CERT_FILE_BYTES} bytes`);
    }
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new CertificateError(
      `Cannot read CERT_FILE ${JSON.stringify(path)}: ${messageOf(error)}`,
      { cause: error });
  }
  return parseCertificate(path, text);
}

/** Swaps the certificate of running TLS servers. */
export interface CertificateReloader {
  /**
   * Reads CERT_FILE again and installs it on every server. A file that
   * has not changed is installed only when `force` is set. A file that
   * fails validation is logged, and the current certificate stays.
   */
  readonly reload: (trigger: string, force: boolean) => void;
  /** The certificate the servers use now. */
  readonly current: () => LoadedCertificate;
  readonly close: () => void;
}

/** Options of {@link createCertificateReloader}. */
export interface ReloaderOptions {
  readonly path: string;
  readonly initial: LoadedCertificate;
  readonly servers: readonly tls.Server[];
  readonly logger: Logger;
  readonly now?: () => number;
}

/**
 * Reloads the certificate when its folder changes. The folder is watched,
 * not the file: tools that replace a file by renaming a new one over it
 * (certbot, Kubernetes secrets, `mv`) leave a watch on the old file
 * silent.
 */
export function createCertificateReloader(
  options: ReloaderOptions,
): CertificateReloader {
  const { path, servers, logger } = options;
  const now = options.now ?? Date.now;
  let current = options.initial;

  function reload(trigger: string, force: boolean) {
    let loaded: LoadedCertificate;
    try {
      loaded = loadCertificate(path);
    } catch (error) {
      logger.error("certificate reload failed", {
        trigger,
        error: messageOf(error),
        current_subject: current.info.subject,
        current_fingerprint_sha256: current.info.fingerprint,
      });
      return;
    }
    if (!force && loaded.text === current.text) return;
    try {
      for (const server of servers) server.setSecureContext(loaded.context);
    } catch (error) {
      logger.error("certificate reload failed",
        { trigger, error: messageOf(error),
          current_subject: current.info.subject });
      return;
    }
    current = loaded;
    logCertificate(logger, "certificate reloaded", loaded.info, now(),
      { trigger });
  }

  const stopWatching = watchForChanges(path, logger,
    () => reload("file change", false));
  return { reload, current: () => current, close: stopWatching };
}

/**
 * Calls `onChange` once the folder of `path` has been quiet for
 * RELOAD_DEBOUNCE_MS after a change of the file. Returns a function that
 * stops watching.
 */
function watchForChanges(
  path: string,
  logger: Logger,
  onChange: () => void,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Reading the file may itself raise an event (an access-time change),
  // so only a new identity, size or modification time counts as a change.
  let signature = fileSignature(path);
  const onQuiet = () => {
    const next = fileSignature(path);
    if (next === signature) return;
    signature = next;
    onChange();
  };
  const watcher = watchFolder(path, logger, () => {
    clearTimeout(timer);
    timer = setTimeout(onQuiet, RELOAD_DEBOUNCE_MS);
    timer.unref();
  });
  return () => {
    clearTimeout(timer);
    watcher?.close();
  };
}

/** Identity, size and change times of a file, `undefined` if missing. */
function fileSignature(path: string): string | undefined {
  try {
    const stat = statSync(path);
    return [stat.dev, stat.ino, stat.size, stat.mtimeMs, stat.ctimeMs]
      .join(":");
  } catch {
    return undefined;
  }
}

function watchFolder(
  path: string,
  logger: Logger,
  onChange: () => void,
): FSWatcher | undefined {
  const folder = dirname(path);
  const fallback = "reload the certificate with SIGHUP";
  try {
    // Every event counts, whatever its file name: a Kubernetes secret
    // swaps a symlinked folder, and the file itself never shows up.
    const watcher = watch(folder, { persistent: false }, onChange);
    watcher.on("error", (error) => {
      logger.warn("certificate watch stopped", {
        folder, error: error.message, reason: fallback,
      });
      watcher.close();
    });
    logger.debug("certificate watch started",
      { folder, file: basename(path) });
    return watcher;
  } catch (error) {
    logger.warn("certificate watch failed", {
      folder, error: messageOf(error), reason: fallback,
    });
    return undefined;
  }
}
