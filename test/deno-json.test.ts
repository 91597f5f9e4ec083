// deno.json must stay in step with package.json and the variable table,
// or `deno task start` would run other package versions or be denied a
// variable.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VARIABLES } from '../src/config/variables.ts';
import { repoRoot } from './support/log-dir.ts';

type DenoJson = {
  imports: Record<string, string>;
  tasks: Record<string, { command: string }>;
};

const denoJson = JSON.parse(
  readFileSync(join(repoRoot, 'deno.json'), 'utf8'),
) as DenoJson;
const packageJson = JSON.parse(
  readFileSync(join(repoRoot, 'package.json'), 'utf8'),
) as { dependencies: Record<string, string> };

describe('deno.json', () => {
  it('imports the package.json versions', () => {
    for (const [name, version] of Object.entries(packageJson.dependencies)) {
      assert.equal(denoJson.imports[name], `npm:${name}@${version}`, name);
      assert.equal(denoJson.imports[`${name}/`], `npm:/${name}@${version}/`,
        `${name}/`);
    }
  });

  it('start task allows every variable', () => {
    const command = denoJson.tasks.start?.command ?? '';
    const allowed = /--allow-env=(\S+)/.exec(command)?.[1]?.split(',');
    const names = Object.values(VARIABLES).map((variable) => variable.name);

    assert.deepEqual(allowed?.sort(), [...names].sort());
  });
});
