// Checks the test harness itself against the real engine: if these fail,
// every other end-to-end failure is suspect.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  connectEngine,
  demuxDockerStream,
  type Engine,
} from '../support/engine.ts';

const prefix = 'dsp-e2e-engine-';
let engine: Engine;

before(async () => {
  engine = await connectEngine();
});

after(async () => {
  await engine.removeAll(prefix);
  await engine.stop();
});

test('engine returns OK for GET /_ping', async () => {
  const response = await engine.request('GET', '/_ping');

  assert.equal(response.status, 200);
  assert.equal(response.body, 'OK');
});

test('engine has the busybox image after start', async () => {
  const response = await engine.request(
    'GET',
    `/images/${encodeURIComponent(engine.image)}/json`,
  );

  assert.equal(response.status, 200);
  const image = JSON.parse(response.body) as { RepoTags: string[] };
  assert.ok(image.RepoTags.includes(engine.image), response.body);
});

test('container on network none returns echo output in logs', async () => {
  const name = `${prefix}echo`;
  const created = await engine.request(
    'POST',
    `/containers/create?name=${name}`,
    {
      Image: engine.image,
      Cmd: ['sh', '-c', 'echo hello from busybox; cat /etc/os-release'],
      HostConfig: { NetworkMode: 'none' },
    },
  );
  assert.equal(created.status, 201, created.body);
  const { Id: id } = JSON.parse(created.body) as { Id: string };

  const started = await engine.request('POST', `/containers/${id}/start`);
  assert.equal(started.status, 204, started.body);
  const waited = await engine.request('POST', `/containers/${id}/wait`);
  assert.equal(waited.status, 200, waited.body);
  const exit = JSON.parse(waited.body) as { StatusCode: number };
  assert.equal(exit.StatusCode, 0);

  const logs = await engine.request(
    'GET',
    `/containers/${id}/logs?stdout=1&stderr=1`,
  );
  assert.equal(logs.status, 200, logs.body);
  const output = demuxDockerStream(logs.rawBody);
  assert.equal(output.stdout, 'hello from busybox\nID=debian\n');
  assert.equal(output.stderr, '');
});

test('dockerCli runs a container on the engine', async () => {
  const result = await engine.dockerCli([
    'run', '--rm', '--name', `${prefix}cli`, '--network', 'none',
    engine.image, 'echo', 'hello from the CLI',
  ]);

  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, 'hello from the CLI\n');
});

test('removeAll removes containers and volumes with the prefix', async () => {
  const volume = await engine.request('POST', '/volumes/create', {
    Name: `${prefix}data`,
  });
  assert.equal(volume.status, 201, volume.body);
  const container = await engine.request(
    'POST',
    `/containers/create?name=${prefix}sleeper`,
    {
      Image: engine.image,
      Cmd: ['sleep', '600'],
      HostConfig: {
        NetworkMode: 'none',
        Binds: [`${prefix}data:/data`],
      },
    },
  );
  assert.equal(container.status, 201, container.body);
  const { Id: id } = JSON.parse(container.body) as { Id: string };
  const started = await engine.request('POST', `/containers/${id}/start`);
  assert.equal(started.status, 204, started.body);

  await engine.removeAll(prefix);

  const containers = await engine.containerNames();
  assert.deepEqual(containers.filter((n) => n.startsWith(prefix)), []);
  const volumes = await engine.volumeNames();
  assert.deepEqual(volumes.filter((n) => n.startsWith(prefix)), []);
});
