import * as v from "valibot";
import { type BodyPolicy, defineBodyPolicy } from "./body-policy.ts";
import type { BodyRules } from "./check-body.ts";
import { deviceMappingSchema, deviceRequestSchema } from "./devices.ts";
import { stringList, stringOrList, uintPair } from "./go-types.ts";
import { checkVolumeSources, mountSchema } from "./mounts.ts";
import { networkingConfigSchema, networkModeSchema } from "./networking.ts";
import { exposedPortsSchema, portBindingsSchema } from "./ports.ts";
import { resourceEntries, restartPolicy } from "./resources.ts";

/**
 * Builds the policy for `POST /containers/create`: what AppAPI sends (a
 * data volume, admin bind mounts, GPUs, loopback port bindings, limits)
 * and the zero-valued rest of what the docker CLI sends.
 *
 * Every field left out is rejected unless zero. That covers privileged
 * mode, capabilities, security options, host namespaces, `Binds`,
 * `VolumesFrom`, sysctls, cgroup settings, runtimes and log drivers, and
 * also the copy of `HostConfig` that the engine reads from the top level
 * for old clients (a top-level `Privileged` or `Binds`).
 */
export function createContainerCreatePolicy(rules: BodyRules): BodyPolicy {
  const hostConfig = v.strictObject({
    NetworkMode: v.optional(networkModeSchema),
    Mounts: v.optional(v.array(mountSchema(rules.allowedBindSources))),
    RestartPolicy: v.optional(restartPolicy),
    PortBindings: v.optional(portBindingsSchema),
    DeviceRequests: v.optional(v.array(deviceRequestSchema)),
    Devices: v.optional(
      v.array(deviceMappingSchema(rules.allowedDevices)),
    ),
    ...resourceEntries,
    AutoRemove: v.optional(v.boolean()),
    // Dropping capabilities only takes privileges away.
    CapDrop: v.optional(stringOrList),
    ConsoleSize: v.optional(uintPair),
  });
  const schema = v.strictObject({
    Image: v.pipe(v.string(), v.minLength(1)),
    Hostname: v.optional(v.string()),
    Domainname: v.optional(v.string()),
    Env: v.optional(stringList),
    Cmd: v.optional(stringOrList),
    Entrypoint: v.optional(stringOrList),
    Labels: v.optional(v.record(v.string(), v.string())),
    ExposedPorts: v.optional(exposedPortsSchema),
    WorkingDir: v.optional(v.string()),
    Tty: v.optional(v.boolean()),
    OpenStdin: v.optional(v.boolean()),
    StdinOnce: v.optional(v.boolean()),
    AttachStdin: v.optional(v.boolean()),
    AttachStdout: v.optional(v.boolean()),
    AttachStderr: v.optional(v.boolean()),
    HostConfig: v.optional(hostConfig),
    NetworkingConfig: v.optional(networkingConfigSchema),
  });
  return defineBodyPolicy(
    schema,
    (output, context) =>
      checkVolumeSources(output.HostConfig?.Mounts, context.containerName),
  );
}
