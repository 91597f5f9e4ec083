import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describePemProblem, splitPem } from "../../src/tls/pem.ts";
import type { PemProblem } from "../../src/tls/pem.ts";

function block(label: string, body = "AAAA"): string {
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

const leaf = block("CERTIFICATE", "bGVhZg==");
const ca = block("CERTIFICATE", "Y2E=");
const key = block("PRIVATE KEY", "a2V5");

describe("splitPem", () => {
  it("returns the chain and key when the key comes last", () => {
    const parts = splitPem(leaf + ca + key);

    assert.deepEqual(parts, { certificates: [leaf.trim(), ca.trim()], key: key.trim() });
  });

  it("returns the chain in file order when the key comes first", () => {
    const parts = splitPem(key + leaf + ca);

    assert.notEqual(typeof parts, "string");
    if (typeof parts === "string") return;
    assert.deepEqual(parts.certificates, [leaf.trim(), ca.trim()]);
    assert.equal(parts.key, key.trim());
  });

  it("skips foreign blocks and text between blocks", () => {
    const text = "Bag Attributes\n" + block("EC PARAMETERS") + leaf +
      "subject=CN=x\n" + block("EC PRIVATE KEY", "ZWM=") +
      block("DH PARAMETERS");

    const parts = splitPem(text);

    assert.notEqual(typeof parts, "string");
    if (typeof parts === "string") return;
    assert.deepEqual(parts.certificates, [leaf.trim()]);
    assert.equal(parts.key, block("EC PRIVATE KEY", "ZWM=").trim());
  });

  it("accepts CRLF line ends", () => {
    const parts = splitPem((leaf + key).replace(/\n/g, "\r\n"));

    assert.notEqual(typeof parts, "string");
  });

  it("accepts an RSA key in PKCS#1 form", () => {
    const parts = splitPem(leaf + block("RSA PRIVATE KEY"));

    assert.notEqual(typeof parts, "string");
  });

  const problems: readonly [string, string, PemProblem][] = [
    ["empty file", "", "no-certificate"],
    ["garbage", "not a pem file\n", "no-certificate"],
    ["key only", key, "no-certificate"],
    ["certificate only", leaf + ca, "no-key"],
    ["public key only", leaf + block("PUBLIC KEY"), "no-key"],
    ["two keys", leaf + key + block("EC PRIVATE KEY"), "several-keys"],
    ["PKCS#8 encrypted key", leaf + block("ENCRYPTED PRIVATE KEY"),
      "encrypted-key"],
    ["legacy encrypted key", leaf + block("RSA PRIVATE KEY",
      "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA"),
    "encrypted-key"],
    ["unterminated block", leaf + "-----BEGIN PRIVATE KEY-----\nAAAA\n",
      "no-key"],
    ["mismatched END label", leaf +
      "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END CERTIFICATE-----\n",
    "no-key"],
  ];
  for (const [name, text, expected] of problems) {
    it(`returns ${expected} for ${name}`, () => {
      assert.equal(splitPem(text), expected);
    });
  }
});

describe("describePemProblem", () => {
  it("names the missing key and the accepted block labels", () => {
    const text = describePemProblem("no-key");

    assert.match(text, /no private key found/);
    assert.match(text, /BEGIN PRIVATE KEY/);
  });

  it("tells how to remove a passphrase", () => {
    assert.match(describePemProblem("encrypted-key"), /openssl pkey/);
  });
});
