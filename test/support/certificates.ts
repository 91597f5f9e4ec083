// Certificates made by openssl at test time: one test CA and server
// certificates it signs, valid for the loopback addresses tests use.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Names every address a test proxy may listen on. */
const SUBJECT_ALT_NAME = [
  "DNS:localhost",
  "IP:::1",
  ...Array.from({ length: 9 }, (_, i) => `IP:127.0.0.${i + 1}`),
].join(",");

/** A server certificate signed by the test CA. */
export interface Leaf {
  readonly commonName: string;
  /** The certificate alone, PEM. */
  readonly cert: string;
  /** Its private key, PEM. */
  readonly key: string;
  /** Certificate, CA certificate, then key: `cat fullchain privkey`. */
  readonly combined: string;
}

/** A test CA in its own temporary folder. */
export interface TestAuthority {
  readonly dir: string;
  /** The CA certificate, PEM: what a verifying client trusts. */
  readonly caCert: string;
  /** Issues a server certificate valid for `days` (30 by default). */
  issue(commonName: string, days?: number): Promise<Leaf>;
  /** Deletes the folder. */
  remove(): void;
}

async function openssl(args: string[]): Promise<void> {
  await run("openssl", args, { timeout: 30_000 });
}

/** Creates a CA with an EC P-256 key, valid for two days. */
export async function createTestAuthority(): Promise<TestAuthority> {
  const dir = mkdtempSync(join(tmpdir(), "dsp-certs-"));
  const caKey = join(dir, "ca.key");
  const caCertFile = join(dir, "ca.pem");
  await openssl(["req", "-x509", "-newkey", "ec",
    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
    "-keyout", caKey, "-out", caCertFile, "-days", "2",
    "-subj", "/CN=appapi-dsp test CA"]);
  const caCert = readFileSync(caCertFile, "utf8");
  let serial = 0;

  async function issue(commonName: string, days = 30): Promise<Leaf> {
    serial += 1;
    const base = join(dir, `leaf-${serial}`);
    writeFileSync(`${base}.ext`, [
      `subjectAltName=${SUBJECT_ALT_NAME}`,
      "basicConstraints=CA:FALSE",
      "extendedKeyUsage=serverAuth",
      "",
    ].join("\n"));
    await openssl(["req", "-new", "-newkey", "ec",
      "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
      "-keyout", `${base}.key`, "-out", `${base}.csr`,
      "-subj", `/CN=${commonName}`]);
    await openssl(["x509", "-req", "-in", `${base}.csr`, "-CA", caCertFile,
      "-CAkey", caKey, "-set_serial", String(serial), "-days", String(days),
      "-extfile", `${base}.ext`, "-out", `${base}.pem`]);
    const cert = readFileSync(`${base}.pem`, "utf8");
    const key = readFileSync(`${base}.key`, "utf8");
    return { commonName, cert, key, combined: cert + caCert + key };
  }

  return {
    dir,
    caCert,
    issue,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
