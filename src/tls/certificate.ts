import type { Fields, Logger } from "../log/logger.ts";

/** A certificate expiring sooner than this is logged at warn. */
export const EXPIRY_WARNING_MS = 14 * 24 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

/** Fields of the server certificate (the leaf) that the log shows. */
export interface CertificateInfo {
  /** Distinguished name, `CN=…, O=…`. */
  readonly subject: string;
  readonly issuer: string;
  readonly subjectAltName: string | undefined;
  readonly notAfter: Date;
  /** SHA-256 fingerprint, colon-separated hex. */
  readonly fingerprint: string;
  /** Number of certificates in the chain, leaf included. */
  readonly chainLength: number;
}

/**
 * Error for a certificate file that cannot be used. The message names
 * the file and the problem. At start-up it stops the program with exit
 * code 1.
 */
export class CertificateError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CertificateError";
  }
}

/** Turns a multi-line distinguished name into one comma-separated line. */
export function formatDistinguishedName(text: string): string {
  return text.split("\n").filter((part) => part !== "").join(", ");
}

/** Renders a certificate as log fields. */
export function describeCertificate(info: CertificateInfo): Fields {
  return {
    subject: info.subject,
    issuer: info.issuer,
    subject_alt_name: info.subjectAltName,
    not_after: info.notAfter.toISOString(),
    fingerprint_sha256: info.fingerprint,
    chain_length: info.chainLength,
  };
}

/**
 * Returns a warning when the certificate has expired or expires within
 * `EXPIRY_WARNING_MS` of `nowMs`, else `undefined`.
 */
export function expiryWarning(
  info: CertificateInfo,
  nowMs: number,
): string | undefined {
  const leftMs = info.notAfter.getTime() - nowMs;
  const date = info.notAfter.toISOString();
  if (leftMs <= 0) {
    return `The certificate expired on ${date}: clients reject it; ` +
      "replace CERT_FILE";
  }
  if (leftMs >= EXPIRY_WARNING_MS) return undefined;
  const days = Math.floor(leftMs / DAY_MS);
  const left = days === 0 ? "less than a day" : `${days} day(s)`;
  return `The certificate expires in ${left}, on ${date}: renew it ` +
    "and replace CERT_FILE";
}

/** Logs a certificate at info, and at warn when it is close to expiry. */
export function logCertificate(
  logger: Logger,
  event: string,
  info: CertificateInfo,
  nowMs: number,
  extra: Fields = {},
): void {
  logger.info(event, { ...extra, ...describeCertificate(info) });
  const warning = expiryWarning(info, nowMs);
  if (warning !== undefined) {
    logger.warn("certificate expiry", {
      subject: info.subject,
      not_after: info.notAfter.toISOString(),
      reason: warning,
    });
  }
}
