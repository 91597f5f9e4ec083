/** Certificate chain and private key taken apart from one PEM file. */
export interface PemParts {
  /** Every certificate in file order, each a complete PEM block. */
  readonly certificates: readonly string[];
  /** The one private key block. */
  readonly key: string;
}

/** Problem that keeps a PEM file from serving as certificate and key. */
export type PemProblem =
  | "no-certificate"
  | "no-key"
  | "several-keys"
  | "encrypted-key";

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/** Labels of the unencrypted private keys that TLS servers accept. */
const KEY_LABELS = new Set([
  "PRIVATE KEY",
  "RSA PRIVATE KEY",
  "EC PRIVATE KEY",
]);

/**
 * Splits a PEM file holding a certificate chain and a private key, in
 * any order, as `cat fullchain.pem privkey.pem` writes it. Blocks of
 * other kinds (`EC PARAMETERS`, `DH PARAMETERS`) and text around the
 * blocks are skipped: Deno's crypto fails on a block it does not expect,
 * so each block is handed on alone.
 */
export function splitPem(text: string): PemParts | PemProblem {
  const certificates: string[] = [];
  const keys: string[] = [];
  let encrypted = false;
  for (const match of text.matchAll(BLOCK)) {
    const label = match[1] ?? "";
    if (label === "CERTIFICATE") certificates.push(match[0]);
    else if (KEY_LABELS.has(label)) keys.push(match[0]);
    else if (label === "ENCRYPTED PRIVATE KEY") encrypted = true;
  }
  if (certificates.length === 0) return "no-certificate";
  if (keys.length > 1) return "several-keys";
  const key = keys[0];
  if (key === undefined) return encrypted ? "encrypted-key" : "no-key";
  if (/^Proc-Type: 4,ENCRYPTED/m.test(key)) return "encrypted-key";
  return { certificates, key };
}

const PROBLEM_TEXT: Readonly<Record<PemProblem, string>> = {
  "no-certificate": "no certificate found (expected a PEM block " +
    "BEGIN CERTIFICATE)",
  "no-key": "no private key found (expected a PEM block BEGIN PRIVATE KEY, " +
    "BEGIN RSA PRIVATE KEY or BEGIN EC PRIVATE KEY)",
  "several-keys": "more than one private key found: keep only the key " +
    "of the first certificate",
  "encrypted-key": "the private key is encrypted: store it without a " +
    "passphrase (openssl pkey -in key.pem -out plain-key.pem)",
};

/** Describes a PEM problem for the operator, with what to do. */
export function describePemProblem(problem: PemProblem): string {
  return PROBLEM_TEXT[problem];
}
