import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../../src/log/logger.ts";
import {
  describeCertificate,
  EXPIRY_WARNING_MS,
  expiryWarning,
  formatDistinguishedName,
  logCertificate,
} from "../../src/tls/certificate.ts";
import type { CertificateInfo } from "../../src/tls/certificate.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
const NOW = Date.parse("2026-12-04T12:00:00Z");

function expiringIn(ms: number): CertificateInfo {
  return {
    subject: "CN=dsp.example",
    issuer: "CN=Example CA",
    subjectAltName: "DNS:dsp.example",
    notAfter: new Date(NOW + ms),
    fingerprint: "AA:BB",
    chainLength: 2,
  };
}

describe("expiryWarning", () => {
  it("returns nothing when more than 14 days are left", () => {
    assert.equal(expiryWarning(expiringIn(15 * DAY_MS), NOW), undefined);
  });

  it("returns nothing at exactly 14 days", () => {
    assert.equal(expiryWarning(expiringIn(EXPIRY_WARNING_MS), NOW), undefined);
  });

  it("counts whole days when fewer than 14 are left", () => {
    const warning = expiryWarning(expiringIn(13.5 * DAY_MS), NOW);

    assert.match(warning ?? "", /expires in 13 day\(s\), on 2026-12-18T00:00:00\.000Z/);
  });

  it("says less than a day in the last day", () => {
    const warning = expiryWarning(expiringIn(60_000), NOW);

    assert.match(warning ?? "", /expires in less than a day/);
  });

  it("says expired once the date has passed", () => {
    const warning = expiryWarning(expiringIn(-DAY_MS), NOW);

    assert.match(warning ?? "", /expired on 2026-12-03T12:00:00\.000Z/);
  });
});

describe("formatDistinguishedName", () => {
  it("joins the lines of a name with commas", () => {
    assert.equal(formatDistinguishedName("C=DE\nO=Example\nCN=dsp\n"),
      "C=DE, O=Example, CN=dsp");
  });
});

describe("describeCertificate", () => {
  it("renders the expiry date as ISO 8601", () => {
    const fields = describeCertificate(expiringIn(DAY_MS));

    assert.equal(fields.not_after, "2026-12-05T12:00:00.000Z");
    assert.equal(fields.subject, "CN=dsp.example");
    assert.equal(fields.issuer, "CN=Example CA");
    assert.equal(fields.chain_length, 2);
  });
});

describe("logCertificate", () => {
  function capture() {
    const lines: string[] = [];
    const logger = createLogger({
      format: "json", level: "info", write: (line) => lines.push(line),
    });
    return { logger, entries: () => lines.map((line) => JSON.parse(line)) };
  }

  it("logs one info line for a certificate far from expiry", () => {
    const { logger, entries } = capture();

    logCertificate(logger, "certificate loaded", expiringIn(90 * DAY_MS), NOW);

    assert.equal(entries().length, 1);
    assert.equal(entries()[0].level, "info");
    assert.equal(entries()[0].subject, "CN=dsp.example");
  });

  it("adds a warn line when expiry is near", () => {
    const { logger, entries } = capture();

    logCertificate(logger, "certificate reloaded", expiringIn(3 * DAY_MS),
      NOW, { trigger: "SIGHUP" });

    assert.equal(entries().length, 2);
    assert.equal(entries()[0].trigger, "SIGHUP");
    assert.equal(entries()[1].level, "warn");
    assert.match(entries()[1].reason, /expires in 3 day/);
  });
});
