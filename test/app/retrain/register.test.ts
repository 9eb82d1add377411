import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { trainModel, type TrainResult } from '../../../shared/domain/model/train';
import { weightsCsv } from '../../../shared/domain/model/outputs';
import { deployVersion, registerVersion, type RegisterInput } from '../../../shared/app/versions';
import { loadSeed } from '../../support/seed';
import { openEnv, type Env } from './fixture';

/**
 * Defence in depth (issue 12, item 2): the trainer never hands out a fit that did not converge, and
 * registerVersion itself refuses one unless it is recorded as rejected, which can never be activated.
 */
let empty: string;
let e: Env;
const { train, valid } = loadSeed();
let trained: TrainResult;

beforeAll(async () => {
  trained = await trainModel(train, valid, { C: 1 });
  empty = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-empty-lake-'));
});
afterAll(() => fs.rmSync(empty, { recursive: true, force: true }));
beforeEach(async () => {
  e = await openEnv(empty);
});
afterEach(async () => {
  await e.close();
});

function input(converged: boolean, status?: RegisterInput['status']): RegisterInput {
  const artifact = { ...trained.artifact, converged };
  return {
    artifact,
    metrics: { ...trained.metrics },
    weightsCsv: (v) => weightsCsv(artifact, v),
    trigger: 'manual',
    window: null,
    ...(status ? { status } : {}),
  };
}

test('an artifact with converged: false is refused as staged: no SQL row, no lake folder', async () => {
  for (const status of [undefined, 'staged'] as const) {
    await expect(registerVersion(e.deps, input(false, status))).rejects.toThrow(
      `artifact.converged is false (${trained.artifact.iterations} iterations): a fit that did not converge can be registered only as rejected, never staged`,
    );
  }
  expect(await e.deps.warehouse.listVersions()).toEqual([]);
  expect(await e.deps.lake.list('models/')).toEqual([]);
});

test('as rejected it is recorded, and deploy refuses it', async () => {
  const v = await registerVersion(e.deps, input(false, 'rejected'));
  expect(v).toMatchObject({ version: 1, status: 'rejected' });
  await expect(deployVersion(e.deps, 1, { by: 'test' })).rejects.toThrow('model version 1 was rejected by the gates and cannot be activated');
  expect(await e.deps.warehouse.getActiveWeights()).toBeUndefined();
});

test('a converged artifact registers as staged and deploys, as before', async () => {
  expect(await registerVersion(e.deps, input(true))).toMatchObject({ version: 1, status: 'staged' });
  const change = await deployVersion(e.deps, 1, { by: 'test', export: false });
  expect(change.deployment.toVersion).toBe(1);
  expect((await e.deps.warehouse.getActiveWeights())?.version).toBe(1);
});
