import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { createBasicAuth } from "../../src/auth/basic-auth.ts";

const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();
const basic = (text: string) => `Basic ${Buffer.from(text, "utf8").toString("base64")}`;

describe("createBasicAuth", () => {
  const password = "pä:ss wörd";
  const isAuthorized = createBasicAuth(password, sha256);

  it("accepts the AppAPI user with a UTF-8 password holding a colon", () => {
    assert.equal(isAuthorized(basic(`app_api_haproxy_user:${password}`)), true);
  });

  it("accepts the scheme in any case", () => {
    const header = basic(`app_api_haproxy_user:${password}`).replace("Basic", "bAsIc");
    assert.equal(isAuthorized(header), true);
  });

  const refused: readonly [string, string | undefined][] = [
    ["no header", undefined],
    ["wrong password", basic("app_api_haproxy_user:wrong")],
    ["wrong user", basic(`admin:${password}`)],
    ["password prefix", basic("app_api_haproxy_user:pä:ss")],
    ["other scheme", `Bearer ${Buffer.from(`app_api_haproxy_user:${password}`).toString("base64")}`],
    ["broken base64", "Basic ***"],
    ["empty token", "Basic "],
    ["latin-1 encoded password", `Basic ${Buffer.from(`app_api_haproxy_user:${password}`, "latin1").toString("base64")}`],
  ];
  for (const [name, header] of refused) {
    it(`rejects ${name}`, () => {
      assert.equal(isAuthorized(header), false);
    });
  }
});
