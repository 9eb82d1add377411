import * as fs from 'node:fs';
import * as path from 'node:path';
import { abArm } from '../../../shared/domain/abSplit';
import { addDays } from '../../../shared/domain/calendar';
import { twoProportionTest } from '../../../shared/domain/model/proportions';
import { deployVersion } from '../../../shared/app/versions';
import { buildLake, START } from '../retrain/fixture';
import { appOf, env, register, W1, W2, type Env } from '../../support/fixtures';

/**
 * The A/B split end to end on a simulated lake (issue 15.4): the arms stored with the served population
 * are the hash's, ab_scores serves each contact its arm's version, and `ab results` counts every matured
 * send of the test's days into its contact's arm — checked against the labels files read here, apart
 * from the product's readers. The simulator does not target its sends by score, so the two arms are
 * random halves of the same sends: the test is an A/A check here, and must not find a difference.
 */
const DAYS = 30;
const FROM = addDays(START, 10);
let e: Env;
afterAll(async () => e && (await e.close()));

/** sends and positives per arm, straight from lake/labels/yyyy/mm/dd/part-0.csv. */
function countFromFiles(lakeDir: string, salt: string, pct: number, from: string): Record<'control' | 'treatment', { n: number; positives: number }> {
  const out = { control: { n: 0, positives: 0 }, treatment: { n: 0, positives: 0 } };
  for (let d = from; d <= addDays(START, DAYS - 1); d = addDays(d, 1)) {
    const file = path.join(lakeDir, 'labels', d.replaceAll('-', '/'), 'part-0.csv');
    if (!fs.existsSync(file)) continue;
    const [header, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
    expect(header).toBe('send_id,contact_id,campaign_id,channel,sent_at,label,labeled_at');
    for (const line of lines) {
      const f = line.split(',');
      const arm = out[abArm(salt, f[1]!, pct)];
      arm.n++;
      arm.positives += f[5] === '1' ? 1 : 0;
    }
  }
  return out;
}

test('ab start, results and stop on a simulated lake: arms by the hash, counts by the labels files, the z-test on them', async () => {
  e = await env();
  const lakeDir = path.join(e.home, 'lake');
  await buildLake(lakeDir, 800, DAYS);
  await register(e, W1, -0.3);
  await register(e, W2, 0.2);
  await deployVersion(e, 1, { by: 't' });
  const app = await appOf(e);
  const u = app.useCases;
  await u.setChallenger(2, { from: FROM, by: 't' });
  const newest = (await u.completeFeaturesDates())[0]!;
  expect((await u.scorePartition(`processed/features/${newest.replaceAll('-', '/')}`)).status).toBe('scored');

  await expect(u.startAbTest({ salt: '', treatmentPercent: 50, from: FROM, by: 't' })).rejects.toThrow(/salt must be 1 to 100 printable characters/);
  await expect(u.startAbTest({ salt: 's', treatmentPercent: 50.001, from: FROM, by: 't' })).rejects.toThrow(/at most 2 decimals/);
  await expect(u.abResults()).rejects.toThrow(/no A\/B test has been started/);
  const t = await u.startAbTest({ salt: 'campaign-2026-q1', treatmentPercent: 50, from: FROM, by: 't' });
  const served = (await e.warehouse.servedState()).population!.contacts;
  expect(t.arms.control + t.arms.treatment).toBe(served);

  // ab_scores: each served contact has its arm's version, and the arm is the hash's.
  const sample = (await e.warehouse.topLeadScores(40)).map((x) => x.contactId);
  const arms = new Set<string>();
  for (const id of sample) {
    const arm = abArm('campaign-2026-q1', id, 50);
    arms.add(arm);
    expect(await e.warehouse.getAbScore(id)).toMatchObject({ contactId: id, arm, modelVersion: arm === 'treatment' ? 2 : 1, abTestId: t.id });
  }
  expect(arms.size).toBe(2);

  const r = await u.abResults();
  const files = countFromFiles(lakeDir, 'campaign-2026-q1', 50, FROM);
  expect(r.control).toEqual({
    arm: 'control',
    version: 1,
    sends: files.control.n,
    positives: files.control.positives,
    rate: files.control.positives / files.control.n,
  });
  expect(r.treatment).toMatchObject({ arm: 'treatment', version: 2, sends: files.treatment.n, positives: files.treatment.positives });
  expect(files.control.n + files.treatment.n).toBeGreaterThan(4000);
  const z = twoProportionTest(files.control, files.treatment);
  expect(r).toMatchObject({ diff: z.diff, z: z.z, p_value: z.p_value, ci95: z.ci95, from: FROM, to: addDays(START, DAYS - 1 - 7) });
  // The pooled z by hand from the same counts.
  const p = (files.control.positives + files.treatment.positives) / (files.control.n + files.treatment.n);
  const rc = files.control.positives / files.control.n;
  const rt = files.treatment.positives / files.treatment.n;
  expect(r.z!).toBeCloseTo((rt - rc) / Math.sqrt(p * (1 - p) * (1 / files.control.n + 1 / files.treatment.n)), 12);
  expect(r.relative_lift!).toBeCloseTo((rt - rc) / rc, 12);
  // Untargeted sends: an A/A test, no significant difference.
  expect(r.significant).toBe(false);

  const stopped = (await u.stopAbTest('t'))!;
  expect(stopped).toMatchObject({ id: t.id, running: false, stoppedBy: 't' });
  expect(await e.warehouse.getAbScore(sample[0]!)).toMatchObject({ arm: null, modelVersion: 1 });
  // Its results stay readable: every send was before the stop.
  expect((await u.abResults()).control.sends).toBe(files.control.n);
  const events = fs
    .readFileSync(path.join(e.home, 'telemetry.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { name: string; properties: Record<string, unknown> })
    .filter((x) => x.name === 'AbTestChanged');
  expect(events.map((x) => x.properties.action)).toEqual(['start', 'stop']);
}, 120_000);
