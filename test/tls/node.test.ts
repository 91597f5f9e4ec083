// Loads and reloads real certificates made by openssl; the reload tests
// run a real HTTPS server on loopback.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { createLogger } from "../../src/log/logger.ts";
import { CertificateError } from "../../src/tls/certificate.ts";
import {
  createCertificateReloader,
  loadCertificate,
  parseCertificate,
} from "../../src/tls/node.ts";
import type { CertificateReloader } from "../../src/tls/node.ts";
import { createTestAuthority } from "../support/certificates.ts";
import type { Leaf, TestAuthority } from "../support/certificates.ts";

let authority: TestAuthority;
let leafA: Leaf;
let leafB: Leaf;

before(async () => {
  authority = await createTestAuthority();
  leafA = await authority.issue("dsp-test-a");
  leafB = await authority.issue("dsp-test-b", 5);
});

after(() => authority?.remove());

function rejects(text: string, pattern: RegExp) {
  assert.throws(() => parseCertificate("/certs/cert.pem", text), (error) => {
    assert.ok(error instanceof CertificateError);
    assert.match(error.message, /^Invalid CERT_FILE "\/certs\/cert\.pem": /);
    assert.match(error.message, pattern);
    return true;
  });
}

describe("parseCertificate", () => {
  it("reads subject, issuer and chain length of a combined file", () => {
    const loaded = parseCertificate("/certs/cert.pem", leafA.combined);

    assert.equal(loaded.info.subject, "CN=dsp-test-a");
    assert.equal(loaded.info.issuer, "CN=appapi-dsp test CA");
    assert.equal(loaded.info.chainLength, 2);
    assert.match(loaded.info.subjectAltName ?? "", /IP Address:127\.0\.0\.1/);
    assert.ok(loaded.info.notAfter.getTime() > Date.now());
  });

  it("accepts the key before the chain", () => {
    const loaded = parseCertificate("/certs/cert.pem",
      leafA.key + leafA.cert + authority.caCert);

    assert.equal(loaded.info.subject, "CN=dsp-test-a");
  });

  it("hands TLS only the certificate and key blocks", () => {
    const text = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n" +
      "-----END EC PARAMETERS-----\n" + leafA.combined;

    const loaded = parseCertificate("/certs/cert.pem", text);

    assert.doesNotMatch(String(loaded.context.key), /EC PARAMETERS/);
    assert.equal(loaded.context.minVersion, "TLSv1.2");
  });

  it("rejects a file without a key", () => {
    rejects(leafA.cert, /no private key found/);
  });

  it("rejects a file without a certificate", () => {
    rejects(leafA.key, /no certificate found/);
  });

  it("rejects a key that belongs to another certificate", () => {
    rejects(leafA.cert + leafB.key, /does not match the first certificate/);
  });

  it("rejects a chain whose first certificate is the CA", () => {
    rejects(authority.caCert + leafA.cert + leafA.key,
      /does not match the first certificate/);
  });

  it("rejects a certificate block that does not parse", () => {
    const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";

    rejects(broken + leafA.key, /certificate 1 cannot be parsed/);
  });

  it("rejects a key that OpenSSL finds too weak", () => {
    const keyFile = join(authority.dir, "weak.key");
    const certFile = join(authority.dir, "weak.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:512", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-subj", "/CN=weak", "-days", "1"],
    { stdio: "ignore" });
    const text = readFileSync(certFile, "utf8") + readFileSync(keyFile, "utf8");

    rejects(text, /OpenSSL rejected the certificate or key: .*too small/);
  });
});

describe("loadCertificate", () => {
  it("names the file and the error when it cannot be read", () => {
    assert.throws(() => loadCertificate(authority.dir), (error) => {
      assert.ok(error instanceof CertificateError);
      assert.match(error.message,
        new RegExp(`^Cannot read CERT_FILE "${authority.dir}": not a regular file`));
      return true;
    });
  });
});

/** Subject CN of the certificate a new connection to `port` gets. */
function peerName(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port, ca: authority.caCert });
    socket.once("secureConnect", () => {
      const name = String(socket.getPeerCertificate().subject.CN);
      socket.destroy();
      resolve(name);
    });
    socket.once("error", reject);
  });
}

async function waitFor<T>(read: () => Promise<T> | T, done: (value: T) => boolean) {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) return value;
    await sleep(50);
  }
}

describe("createCertificateReloader", () => {
  let server: https.Server;
  let port: number;
  let reloader: CertificateReloader;
  let file: string;
  const lines: string[] = [];
  const logged = (event: string) =>
    lines.map((line) => JSON.parse(line)).filter((entry) => entry.event === event);

  before(async () => {
    file = join(authority.dir, "cert.pem");
    writeFileSync(file, leafA.combined);
    const initial = loadCertificate(file);
    server = https.createServer(initial.context, (_, response) => response.end("ok"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
    reloader = createCertificateReloader({
      path: file,
      initial,
      servers: [server],
      logger: createLogger({
        format: "json", level: "debug", write: (line) => lines.push(line),
      }),
    });
  });

  after(() => {
    reloader?.close();
    server?.close();
  });

  it("installs a file renamed over the old one", async () => {
    writeFileSync(`${file}.new`, leafB.combined);
    renameSync(`${file}.new`, file);

    const name = await waitFor(() => peerName(port), (cn) => cn === "dsp-test-b");

    assert.equal(name, "dsp-test-b");
    assert.equal(reloader.current().info.subject, "CN=dsp-test-b");
  });

  it("warns on reload when the new certificate expires soon", () => {
    const warnings = logged("certificate expiry");

    assert.equal(warnings.length, 1);
    assert.match(warnings[0].reason, /expires in 4 day/);
  });

  it("keeps the certificate when the new file is broken", async () => {
    writeFileSync(file, "garbage\n");

    const failures = await waitFor(() => logged("certificate reload failed"),
      (found) => found.length > 0);

    assert.equal(failures.length, 1);
    assert.match(failures[0].error, /no certificate found/);
    assert.equal(failures[0].current_subject, "CN=dsp-test-b");
    assert.equal(await peerName(port), "dsp-test-b");
  });

  it("logs a broken file once while it stays unchanged", async () => {
    await sleep(600);

    assert.equal(logged("certificate reload failed").length, 1);
  });

  it("installs an unchanged file only when forced", () => {
    writeFileSync(file, leafB.combined);
    const before = logged("certificate reloaded").length;

    reloader.reload("test", false);
    const unforced = logged("certificate reloaded").length;
    reloader.reload("SIGHUP", true);

    assert.equal(unforced, before);
    const reloads = logged("certificate reloaded");
    assert.equal(reloads.length, before + 1);
    assert.equal(reloads.at(-1).trigger, "SIGHUP");
  });
});
