import { armOfBucket, checkSalt, treatmentBuckets } from '../domain/abSplit';
import { abBucketFast } from '../fast/abBucket';
import { dayStartMs } from '../domain/calendar';
import { parseCsv } from '../domain/csv';
import { twoProportionTest, type TwoProportionResult } from '../domain/model/proportions';
import type { Lake } from '../ports/lake';
import type { Log } from '../ports/log';
import type { Telemetry } from '../ports/telemetry';
import type { AbTest, Warehouse } from '../ports/warehouse';
import { readPartition } from './partitions';
import { labelledDates } from './trainingSet';

/**
 * The A/B split of campaigns (docs/architecture.md, "A/B split"): every contact is in the control arm
 * (the champion's scores) or the treatment arm (the challenger's) by a hash of the test's salt and its
 * id (domain/abSplit.ts), stored with the population so that ab_scores gives each its arm's score;
 * the results compare the arms' positive rates on the sends whose labels have matured.
 */
export interface AbDeps {
  lake: Lake;
  warehouse: Warehouse;
  telemetry: Telemetry;
  log: Log;
}

export interface AbStart {
  salt: string;
  treatmentPercent: number;
  /** The first send day counted (YYYY-MM-DD). */
  from: string;
  by: string;
}

export interface AbArmResult {
  arm: 'control' | 'treatment';
  version: number;
  sends: number;
  positives: number;
  rate: number | null;
}

/** `leadscore ab results`: the shape of seed 003's A/B results, on this product's matured labels. */
export interface AbResults {
  test: AbTest;
  /** The send days counted: the test's first day to the newest labelled day (or the day it stopped). */
  from: string;
  to: string | null;
  control: AbArmResult;
  treatment: AbArmResult;
  /** treatment − control, with the two-proportion z-test (pooled), its 95 % interval (Wald) and the two-sided p. */
  diff: number | null;
  /** diff / control rate. */
  relative_lift: number | null;
  z: number | null;
  p_value: number | null;
  ci95: [number, number] | null;
  /** p < 0.05. */
  significant: boolean;
  reason: string;
}

export async function startAbTest(deps: AbDeps, req: AbStart): Promise<AbTest> {
  checkSalt(req.salt);
  treatmentBuckets(req.treatmentPercent);
  dayStartMs(req.from);
  const test = await deps.warehouse.startAbTest(req);
  deps.telemetry.trackEvent('AbTestChanged', {
    action: 'start',
    abTestId: test.id,
    champion: test.champion,
    challenger: test.challenger,
    treatmentPercent: test.treatmentPercent,
    from: test.from,
    by: req.by,
  });
  await deps.telemetry.flush();
  deps.log.info(
    `A/B test ${test.id} started: v${test.champion} (control) against v${test.challenger} (treatment, ${test.treatmentPercent} %), ${test.arms.control} + ${test.arms.treatment} contacts`,
  );
  return test;
}

export async function stopAbTest(deps: AbDeps, by: string): Promise<AbTest | null> {
  const test = await deps.warehouse.stopAbTest(by, 'stopped by an operator');
  if (test) {
    deps.telemetry.trackEvent('AbTestChanged', { action: 'stop', abTestId: test.id, champion: test.champion, challenger: test.challenger, by });
    await deps.telemetry.flush();
    deps.log.info(`A/B test ${test.id} stopped`);
  }
  return test;
}

function arm(name: 'control' | 'treatment', version: number, n: number, positives: number): AbArmResult {
  return { arm: name, version, sends: n, positives, rate: n > 0 ? positives / n : null };
}

/**
 * Counts every matured send of the test's days into its contact's arm (the stored arms are the same
 * hash, so a send counts the same whether or not its contact was in the served population then).
 * Sends of a stopped test count up to the moment it stopped.
 */
export async function abResults(deps: Pick<AbDeps, 'lake' | 'warehouse'>): Promise<AbResults> {
  const test = await deps.warehouse.abTest();
  if (!test) throw new Error('no A/B test has been started (leadscore ab start --treatment 50 --salt S)');
  const buckets = treatmentBuckets(test.treatmentPercent);
  const stopMs = test.stoppedAt === null ? Infinity : Date.parse(test.stoppedAt);
  const stopDay = test.stoppedAt === null ? '9999-12-31' : test.stoppedAt.slice(0, 10);
  const days = (await labelledDates(deps.lake)).filter((d) => d >= test.from && d <= stopDay);
  const n = { control: 0, treatment: 0 };
  const pos = { control: 0, treatment: 0 };
  for (const date of days) {
    const labels = await readPartition(deps.lake, 'labels', date);
    if (!labels) continue;
    // send_id, contact_id, campaign_id, channel, sent_at, label, labeled_at (domain/quality.ts LABEL_COLUMNS)
    for (const r of parseCsv(labels.text).slice(1)) {
      if (Date.parse(r[4] ?? '') >= stopMs) continue;
      const a = armOfBucket(abBucketFast(test.salt, r[1] ?? ''), buckets);
      n[a]++;
      if (r[5] === '1') pos[a]++;
    }
  }
  const out: AbResults = {
    test,
    from: test.from,
    to: days[days.length - 1] ?? null,
    control: arm('control', test.champion, n.control, pos.control),
    treatment: arm('treatment', test.challenger, n.treatment, pos.treatment),
    diff: null,
    relative_lift: null,
    z: null,
    p_value: null,
    ci95: null,
    significant: false,
    reason: '',
  };
  if (n.control === 0 || n.treatment === 0) {
    out.reason = `no matured sends in the ${n.control === 0 ? 'control' : 'treatment'} arm since ${test.from} yet`;
    return out;
  }
  const t: TwoProportionResult = twoProportionTest({ n: n.control, positives: pos.control }, { n: n.treatment, positives: pos.treatment });
  Object.assign(out, {
    diff: t.diff,
    relative_lift: t.control.rate > 0 ? t.diff / t.control.rate : null,
    z: t.z,
    p_value: t.p_value,
    ci95: t.ci95,
    significant: t.p_value < 0.05,
    reason:
      t.p_value < 0.05
        ? `the treatment's rate differs from the control's (p = ${t.p_value.toPrecision(2)} < 0.05)`
        : `no significant difference yet (p = ${t.p_value.toPrecision(2)})`,
  });
  return out;
}
