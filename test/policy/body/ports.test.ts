import assert from "node:assert/strict";
import { test } from "node:test";
import {
  isHostPort,
  isLoopbackAddress,
  isPortKey,
} from "../../../src/policy/body/ports.ts";

const loopback = ["127.0.0.1", "127.255.255.255", "127.0.1.2", "::1"];
const notLoopback = [
  "", "0.0.0.0", "::", "localhost", "127.0.0", "127.0.0.1.", "127.0.0.256",
  "127.0.0.01", "0127.0.0.1", "128.0.0.1", "::ffff:127.0.0.1", "[::1]",
  "0:0:0:0:0:0:0:1", " 127.0.0.1", "127.0.0.1/8",
];

for (const address of loopback) {
  test(`isLoopbackAddress accepts ${address}`, () => {
    assert.equal(isLoopbackAddress(address), true);
  });
}

for (const address of notLoopback) {
  test(`isLoopbackAddress rejects ${JSON.stringify(address)}`, () => {
    assert.equal(isLoopbackAddress(address), false);
  });
}

test("isPortKey accepts ports 1 to 65535 with a protocol", () => {
  for (const key of ["1/tcp", "80/udp", "65535/sctp"]) {
    assert.equal(isPortKey(key), true, key);
  }
  for (const key of ["0/tcp", "65536/tcp", "80", "80/TCP", "080/tcp",
    "1-2/tcp", "80/tcp "]) {
    assert.equal(isPortKey(key), false, key);
  }
});

test("isHostPort accepts empty and 1 to 65535", () => {
  for (const port of ["", "1", "65535"]) {
    assert.equal(isHostPort(port), true, port);
  }
  for (const port of ["0", "65536", "01", "1-2", " 1", "-1"]) {
    assert.equal(isHostPort(port), false, port);
  }
});
