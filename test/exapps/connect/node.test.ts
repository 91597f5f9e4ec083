// Connects to real loopback listeners; only the resolver is replaced, so
// that `::1` comes first whatever this host's /etc/hosts contains.
import assert from "node:assert/strict";
import net from "node:net";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Family } from "../../../src/config/types.ts";
import { UpstreamError } from "../../../src/engine/upstream-error.ts";
import {
  connectToExApp,
  describeExApp,
  systemLookup,
} from "../../../src/exapps/connect/node.ts";

let server: net.Server;
let port: number;

before(async () => {
  server = net.createServer((socket) => {
    socket.on("error", () => {});
    socket.end("hello\n");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => server?.close());

const target = (family: Family = 0) =>
  ({ host: "localhost", family, connectTimeoutMs: 2_000 });

describe("connectToExApp", () => {
  it("falls back to IPv4 when ::1 refuses", async () => {
    const socket = await connectToExApp(target(), port,
      async () => ["::1", "127.0.0.1"]);

    assert.equal(socket.remoteAddress, "127.0.0.1");
    socket.destroy();
  });

  it("passes the forced family to the resolver", async () => {
    const families: Family[] = [];

    const socket = await connectToExApp(target(4), port, async (_, family) => {
      families.push(family);
      return ["127.0.0.1"];
    });

    assert.deepEqual(families, [4]);
    socket.destroy();
  });

  it("returns 502 when no address accepts", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    await assert.rejects(
      connectToExApp(target(), closedPort, async () => ["::1", "127.0.0.1"]),
      (error) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, 502);
        assert.match(error.message, /::1 ECONNREFUSED, 127\.0\.0\.1 ECONNREFUSED/);
        return true;
      });
  });

  it("returns 502 naming the host when it does not resolve", async () => {
    await assert.rejects(
      connectToExApp(target(), port, () =>
        Promise.reject(Object.assign(new Error("not found"), { code: "ENOTFOUND" }))),
      (error) => {
        assert.ok(error instanceof UpstreamError);
        assert.equal(error.status, 502);
        assert.match(error.message, /Cannot resolve "localhost" .*: ENOTFOUND/);
        return true;
      });
  });
});

describe("systemLookup", () => {
  it("resolves localhost to a loopback address", async () => {
    const addresses = await systemLookup("localhost", 0);

    assert.ok(addresses.some((a) => a === "127.0.0.1" || a === "::1"), String(addresses));
  });

  it("returns an IPv4 literal unchanged", async () => {
    assert.deepEqual(await systemLookup("127.0.0.1", 4), ["127.0.0.1"]);
  });
});

describe("describeExApp", () => {
  it("brackets an IPv6 host", () => {
    assert.equal(describeExApp({ ...target(), host: "::1" }, 23000),
      "the ExApp at [::1]:23000");
  });
});
