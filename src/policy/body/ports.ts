import * as v from "valibot";
import { describeValue } from "./describe-value.ts";
import { emptyStruct } from "./go-types.ts";
import { policyCheck } from "./policy-check.ts";

const PORT_AND_PROTOCOL = /^([1-9][0-9]{0,4})\/(?:tcp|udp|sctp)$/;
const HOST_PORT = /^(?:[1-9][0-9]{0,4})?$/;
const IPV4_LOOPBACK =
  /^127(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}$/;

/** Tells whether `key` is `<1-65535>/<tcp|udp|sctp>`. */
export function isPortKey(key: string): boolean {
  const port = PORT_AND_PROTOCOL.exec(key)?.[1];
  return port !== undefined && Number(port) <= 65535;
}

/** Tells whether `port` is a host port, 1 to 65535, or `""` for any. */
export function isHostPort(port: string): boolean {
  return HOST_PORT.test(port) && Number(port) <= 65535;
}

/**
 * Tells whether `address` is a loopback address: `127.0.0.0/8` in dotted
 * decimal without leading zeros (Go's parser rejects them) or `::1`. An
 * empty address means every interface, so it is not loopback.
 */
export function isLoopbackAddress(address: string): boolean {
  return address === "::1" || IPV4_LOOPBACK.test(address);
}

const portKey = v.pipe(
  v.string(),
  policyCheck(
    "body.port",
    isPortKey,
    (input) =>
      `Port ${describeValue(input)} is not <1-65535>/<tcp|udp|sctp>`,
  ),
);

/** Schema for `ExposedPorts`: port keys with empty objects as values. */
export const exposedPortsSchema = v.record(portKey, emptyStruct);

/**
 * Schema for `HostConfig.PortBindings`: each port publishes on loopback
 * only, so an ExApp is never reachable from outside the host.
 */
export const portBindingsSchema = v.record(
  portKey,
  v.pipe(
    v.array(v.strictObject({
      HostIp: v.pipe(
        v.string(),
        policyCheck(
          "body.port-binding-address",
          isLoopbackAddress,
          (input) =>
            `Port binding host IP ${describeValue(input)} is not a ` +
            "loopback address",
        ),
      ),
      HostPort: v.optional(
        v.pipe(
          v.string(),
          policyCheck(
            "body.port",
            isHostPort,
            (input) => `Host port ${describeValue(input)} is not 1-65535`,
          ),
        ),
      ),
    })),
    v.minLength(1),
  ),
);
