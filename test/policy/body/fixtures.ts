// Request bodies shared by the body policy tests: what AppAPI and the
// docker CLI really send, in their wire form.
import {
  type BodyRules,
  createBodyChecker,
} from "../../../src/policy/body/check-body.ts";

/** Rules the tests run with: one admin bind source, the default devices. */
export const TEST_RULES: BodyRules = {
  allowedBindSources: ["/srv/models"],
  allowedDevices: ["/dev/kfd", "/dev/dri"],
};

/** A checker built from {@link TEST_RULES}. */
export const checkBody = createBodyChecker(TEST_RULES);

/** Encodes a body the way a client puts it on the wire. */
export function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/**
 * Encodes like PHP `json_encode` with no flags, as AppAPI does: compact,
 * `/` escaped as `\/` and every non-ASCII character as `\uXXXX`.
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll("/", "\\/")
    .replace(/[\u0080-\uffff]/g, (char) =>
      `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`
    );
}

/** A 128-character AppAPI secret; the real alphabet has `+` and `/`. */
const APP_SECRET = "Kq3/x+Zr9".repeat(14).slice(0, 128);

function appEnv(appId: string, port: number, device: string): string[] {
  return [
    "AA_VERSION=35.0.0-dev.1",
    `APP_SECRET=${APP_SECRET}`,
    `APP_ID=${appId}`,
    "APP_DISPLAY_NAME=Café Skeleton",
    "APP_VERSION=3.0.3",
    "APP_HOST=0.0.0.0",
    `APP_PORT=${port}`,
    `APP_PERSISTENT_STORAGE=/nc_app_${appId}_data`,
    "NEXTCLOUD_URL=https://cloud.example.com",
    `COMPUTE_DEVICE=${device}`,
  ];
}

function dataVolume(appId: string) {
  return {
    Type: "volume",
    Source: `nc_app_${appId}_data`,
    Target: `/nc_app_${appId}_data`,
    ReadOnly: false,
  };
}

/** Sample A: HTTP proxy, custom network, CPU. */
export const sampleA = phpJsonEncode({
  Image: "ghcr.io/nextcloud/app-skeleton-python:latest",
  Hostname: "app-skeleton-python",
  HostConfig: {
    NetworkMode: "master_bridge",
    Mounts: [dataVolume("app-skeleton-python")],
    RestartPolicy: { Name: "unless-stopped" },
  },
  Env: [...appEnv("app-skeleton-python", 23000, "CPU"), "TEST_ENV_1=0"],
  NetworkingConfig: {
    EndpointsConfig: { master_bridge: { Aliases: ["app-skeleton-python"] } },
  },
});

const bindings = [
  { HostPort: "23001", HostIp: "127.0.0.1" },
  { HostPort: "23001", HostIp: "::1" },
];

/** Sample B: HTTPS proxy, NVIDIA on Docker, admin bind mount, limits. */
export const sampleB = phpJsonEncode({
  Image: "ghcr.io/nextcloud/context_chat_backend:4.2.0-cuda",
  Hostname: "context_chat_backend",
  HostConfig: {
    NetworkMode: "master_bridge",
    Mounts: [
      dataVolume("context_chat_backend"),
      { Source: "/srv/models", Target: "/models", Type: "bind",
        ReadOnly: true },
    ],
    RestartPolicy: { Name: "unless-stopped" },
    PortBindings: { "23001/tcp": bindings, "23001/udp": bindings },
    DeviceRequests: [
      { Driver: "nvidia", Count: -1, Capabilities: [["compute", "utility"]] },
    ],
    Memory: 17179869184,
    NanoCPUs: 4000000000,
  },
  Env: [
    ...appEnv("context_chat_backend", 23001, "CUDA"),
    "NVIDIA_VISIBLE_DEVICES=all",
    "NVIDIA_DRIVER_CAPABILITIES=compute,utility",
  ],
  ExposedPorts: { "23001/tcp": {}, "23001/udp": {} },
  NetworkingConfig: {
    EndpointsConfig: { master_bridge: { Aliases: ["context_chat_backend"] } },
  },
});

/** Sample C: HTTPS proxy, host network, AMD ROCm devices. */
export const sampleC = phpJsonEncode({
  Image: "ghcr.io/nextcloud/llm2:0.3.0-rocm",
  Hostname: "llm2",
  HostConfig: {
    NetworkMode: "host",
    Mounts: [dataVolume("llm2")],
    RestartPolicy: { Name: "unless-stopped" },
    Devices: [
      { PathOnHost: "/dev/kfd", PathInContainer: "/dev/kfd",
        CgroupPermissions: "rwm" },
      { PathOnHost: "/dev/dri", PathInContainer: "/dev/dri",
        CgroupPermissions: "rwm" },
    ],
  },
  Env: appEnv("llm2", 23002, "ROCM"),
});

/** Sample D: Podman with CUDA through CDI. */
export const sampleD = phpJsonEncode({
  Image: "ghcr.io/nextcloud/llm2:0.3.0-cuda",
  Hostname: "llm2",
  HostConfig: {
    NetworkMode: "bridge",
    Mounts: [dataVolume("llm2")],
    RestartPolicy: { Name: "unless-stopped" },
    DeviceRequests: [{ Driver: "cdi", DeviceIDs: ["nvidia.com/gpu=all"] }],
  },
  Env: appEnv("llm2", 23003, "CUDA"),
});

/** Sample A's opening exactly as the AppAPI documentation quotes it. */
export const sampleAWire = [
  String.raw`{"Image":"ghcr.io\/nextcloud\/app-skeleton-python:latest",`,
  String.raw`"Hostname":"app-skeleton-python","HostConfig":{`,
  String.raw`"NetworkMode":"master_bridge","Mounts":[{"Type":"volume",`,
  String.raw`"Source":"nc_app_app-skeleton-python_data",`,
  String.raw`"Target":"\/nc_app_app-skeleton-python_data","ReadOnly":false}],`,
  String.raw`"RestartPolicy":{"Name":"unless-stopped"}},`,
  String.raw`"Env":["AA_VERSION=35.0.0-dev.1",`,
  String.raw`"APP_DISPLAY_NAME=App Skeleton \u00e9",`,
  String.raw`"NEXTCLOUD_URL=http:\/\/nextcloud\/index.php"],`,
  String.raw`"NetworkingConfig":{"EndpointsConfig":{"master_bridge":`,
  String.raw`{"Aliases":["app-skeleton-python"]}}}}`,
].join("");

/** Container create samples with the container name that their query has. */
export const appApiCreateSamples = [
  { name: "sample A", body: sampleA, container: "nc_app_app-skeleton-python" },
  { name: "sample A wire", body: sampleAWire,
    container: "nc_app_app-skeleton-python" },
  { name: "sample B", body: sampleB, container: "nc_app_context_chat_backend" },
  { name: "sample C", body: sampleC, container: "nc_app_llm2" },
  { name: "sample D", body: sampleD, container: "nc_app_llm2" },
] as const;

/** `docker create busybox echo hi` from docker CLI 27, all fields present. */
export const dockerCliCreate = `{"Hostname":"","Domainname":"","User":"",` +
  `"AttachStdin":false,"AttachStdout":true,"AttachStderr":true,` +
  `"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":[],` +
  `"Cmd":["echo","hi"],"Image":"busybox","Volumes":{},"WorkingDir":"",` +
  `"Entrypoint":null,"OnBuild":null,"Labels":{},"HostConfig":{` +
  `"Binds":null,"ContainerIDFile":"","LogConfig":{"Type":"","Config":{}},` +
  `"NetworkMode":"default","PortBindings":{},` +
  `"RestartPolicy":{"Name":"no","MaximumRetryCount":0},"AutoRemove":false,` +
  `"VolumeDriver":"","VolumesFrom":null,"ConsoleSize":[0,0],` +
  `"CapAdd":null,"CapDrop":null,"CgroupnsMode":"","Dns":[],` +
  `"DnsOptions":[],"DnsSearch":[],"ExtraHosts":null,"GroupAdd":null,` +
  `"IpcMode":"","Cgroup":"","Links":null,"OomScoreAdj":0,"PidMode":"",` +
  `"Privileged":false,"PublishAllPorts":false,"ReadonlyRootfs":false,` +
  `"SecurityOpt":null,"UTSMode":"","UsernsMode":"","ShmSize":0,` +
  `"Isolation":"","CpuShares":0,"Memory":0,"NanoCpus":0,` +
  `"CgroupParent":"","BlkioWeight":0,"BlkioWeightDevice":[],` +
  `"BlkioDeviceReadBps":[],"BlkioDeviceWriteBps":[],` +
  `"BlkioDeviceReadIOps":[],"BlkioDeviceWriteIOps":[],"CpuPeriod":0,` +
  `"CpuQuota":0,"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,` +
  `"CpusetCpus":"","CpusetMems":"","Devices":[],"DeviceCgroupRules":null,` +
  `"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,` +
  `"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,` +
  `"Ulimits":[],"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,` +
  `"IOMaximumBandwidth":0,"MaskedPaths":null,"ReadonlyPaths":null},` +
  `"NetworkingConfig":{"EndpointsConfig":{"default":{"IPAMConfig":null,` +
  `"Links":null,"Aliases":null,"MacAddress":"","DriverOpts":null,` +
  `"GwPriority":0,"NetworkID":"","EndpointID":"","Gateway":"",` +
  `"IPAddress":"","IPPrefixLen":0,"IPv6Gateway":"",` +
  `"GlobalIPv6Address":"","GlobalIPv6PrefixLen":0,"DNSNames":null}}}}`;

/**
 * `docker create -e A=b -l x=y -p 127.0.0.1:8080:80 -m 512m --cpus 1.5
 * --restart unless-stopped busybox` with the zero fields left out.
 */
export const dockerCliCreateWithOptions = `{"Hostname":"","Env":["A=b"],` +
  `"ExposedPorts":{"80/tcp":{}},"Cmd":null,"Image":"busybox",` +
  `"Labels":{"x":"y"},"HostConfig":{"NetworkMode":"default",` +
  `"PortBindings":{"80/tcp":[{"HostIp":"127.0.0.1","HostPort":"8080"}]},` +
  `"RestartPolicy":{"Name":"unless-stopped","MaximumRetryCount":0},` +
  `"Memory":536870912,"NanoCpus":1500000000,"MemorySwap":-1,` +
  `"PidsLimit":null,"Privileged":false}}`;

/** `docker exec busybox echo hi` from docker CLI 27. */
export const dockerCliExec = `{"User":"","Privileged":false,"Tty":false,` +
  `"ConsoleSize":[0,0],"AttachStdin":false,"AttachStderr":true,` +
  `"AttachStdout":true,"Detach":false,"DetachKeys":"","Env":null,` +
  `"WorkingDir":"","Cmd":["echo","hi"]}`;

/** AppAPI's exec create for its OS probe, in wire form. */
export const appApiExec = String.raw`{"Cmd":["cat","\/etc\/os-release"],` +
  `"AttachStdout":true,"AttachStderr":true}`;

/** `docker update --memory 1g` from docker CLI 27. */
export const dockerCliUpdate = `{"CpuShares":0,"Memory":1073741824,` +
  `"NanoCpus":0,"CgroupParent":"","BlkioWeight":0,` +
  `"BlkioWeightDevice":null,"BlkioDeviceReadBps":null,` +
  `"BlkioDeviceWriteBps":null,"BlkioDeviceReadIOps":null,` +
  `"BlkioDeviceWriteIOps":null,"CpuPeriod":0,"CpuQuota":0,` +
  `"CpuRealtimePeriod":0,"CpuRealtimeRuntime":0,"CpusetCpus":"",` +
  `"CpusetMems":"","Devices":null,"DeviceCgroupRules":null,` +
  `"DeviceRequests":null,"MemoryReservation":0,"MemorySwap":0,` +
  `"MemorySwappiness":null,"OomKillDisable":null,"PidsLimit":null,` +
  `"Ulimits":null,"CpuCount":0,"CpuPercent":0,"IOMaximumIOps":0,` +
  `"IOMaximumBandwidth":0,"RestartPolicy":{"Name":"","MaximumRetryCount":0}}`;

/** AppAPI's volume create, with its lowercase key. */
export const appApiVolumeCreate = `{"name":"nc_app_context_chat_backend_data"}`;
