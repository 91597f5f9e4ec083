// NC_AUTOSTART_CONTAINERS starts the exited ExApp containers, and only
// those, when the proxy starts.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { connectEngine } from "../support/engine.ts";
import type { Engine } from "../support/engine.ts";
import { startProxy } from "../support/proxy.ts";
import type { Proxy } from "../support/proxy.ts";

const exApp = "nc_app_autostart_test";
const other = "dsp-autostart-other";
let engine: Engine;
let proxy: Proxy;

async function running(name: string): Promise<boolean> {
  const inspected = await engine.request("GET", `/containers/${name}/json`);
  return (JSON.parse(inspected.body) as { State: { Running: boolean } }).State.Running;
}

before(async () => {
  engine = await connectEngine();
  for (const name of [exApp, other]) {
    await engine.removeAll(name);
    const made = await engine.request("POST", `/containers/create?name=${name}`, {
      Image: engine.image,
      Cmd: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"],
      HostConfig: { NetworkMode: "none" },
    });
    assert.equal(made.status, 201, made.body);
    // Started and stopped once, so that the engine lists it as exited.
    await engine.request("POST", `/containers/${name}/start`);
    await engine.request("POST", `/containers/${name}/stop?t=1`);
  }
  proxy = await startProxy({
    socketPath: engine.socketPath,
    env: { NC_AUTOSTART_CONTAINERS: "true" },
  });
});

after(async () => {
  await proxy?.stop();
  await engine?.removeAll(exApp);
  await engine?.removeAll(other);
  await engine?.stop();
});

describe("NC_AUTOSTART_CONTAINERS", () => {
  it("starts the exited nc_app_ container", async () => {
    let started = false;
    for (let i = 0; i < 50 && !started; i++) {
      started = await running(exApp);
      if (!started) await sleep(100);
    }
    assert.equal(started, true, proxy.readLog());
    // The engine may report the container running before the line is out.
    const logged = /autostart container=nc_app_autostart_test status=204/;
    for (let i = 0; i < 50 && !logged.test(proxy.readLog()); i++) await sleep(100);
    assert.match(proxy.readLog(), logged);
  });

  it("leaves other containers alone", async () => {
    assert.equal(await running(other), false);
  });
});
