import { daysBetween } from './calendar';
import type { Dataset } from './model/dataset';
import type { Metrics } from './model/train';
import type { ValidationReport } from './quality';

/**
 * The safety gates (docs/architecture.md, "Gates"), as pure decisions. A run that fails one changes
 * nothing in production, records why, and alerts. Thresholds come from configuration.
 */
export interface GateThresholds {
  minTrainRows: number;
  minTrainPerClass: number;
  minValidRows: number;
  minValidPerClass: number;
  /** PR-AUC must reach this multiple of the equal-weights baseline's. */
  prAucLift: number;
  /** AUC may fall at most this far below production's on the same validation rows. */
  maxAucDrop: number;
}

export const DEFAULT_GATES: GateThresholds = {
  minTrainRows: 1000,
  minTrainPerClass: 100,
  minValidRows: 200,
  minValidPerClass: 20,
  prAucLift: 1.05,
  maxAucDrop: 0.02,
};

export type GateName = 'data_freshness' | 'data_sufficiency' | 'data_quality' | 'learns_something' | 'safety' | 'approval';

/** Every gate, in the order a retrain applies them. */
export const GATES: readonly GateName[] = ['data_freshness', 'data_sufficiency', 'data_quality', 'learns_something', 'safety', 'approval'];

export interface GateOutcome {
  name: GateName;
  /** What happened: `not evaluated` when an earlier gate (or the run's end) came first. */
  outcome: 'passed' | 'failed' | 'pending' | 'not evaluated';
  passed: boolean;
  /** Waiting rather than failed: approval of a staged version. */
  pending?: boolean;
  detail: string;
}

function gate(name: GateName, passed: boolean, detail: string): GateOutcome {
  return { name, outcome: passed ? 'passed' : 'failed', passed, detail };
}

/** The gates a run did not reach, after those it did, so that every run record lists all of them. */
export function withGatesNotEvaluated(evaluated: readonly GateOutcome[], why: string): GateOutcome[] {
  const seen = new Set(evaluated.map((g) => g.name));
  return [...evaluated, ...GATES.filter((n) => !seen.has(n)).map((name): GateOutcome => ({ name, outcome: 'not evaluated', passed: false, detail: why }))];
}

export interface FreshnessLimits {
  /** The newest labelled send day may be at most this many days before the as-of day. */
  maxLabelAgeDays: number;
  /** The newest complete features partition may be at most this many days before the as-of day. */
  maxFeaturesAgeDays: number;
}

export const DEFAULT_FRESHNESS: FreshnessLimits = { maxLabelAgeDays: 10, maxFeaturesAgeDays: 2 };

/**
 * Data freshness: a retrain as of a day trains on labels and serves into a population of that day's
 * time, not on what the lake held months before. Labels mature LABEL_WINDOW_DAYS (7) after a send, so
 * the newest labelled day is normally 7–8 days old; features land daily.
 */
export function dataFreshnessGate(asOf: string, newest: { labels: string | null; features: string | null }, limits: FreshnessLimits): GateOutcome {
  const problems: string[] = [];
  const ages: string[] = [];
  for (const [what, day, max] of [
    ['labelled send day', newest.labels, limits.maxLabelAgeDays],
    ['features partition', newest.features, limits.maxFeaturesAgeDays],
  ] as const) {
    if (day === null) {
      problems.push(`no ${what} on or before ${asOf}`);
      continue;
    }
    const age = daysBetween(day, asOf);
    ages.push(`newest ${what} ${day} (${age} days old, limit ${max})`);
    if (age > max) problems.push(`the newest ${what} ${day} is ${age} days older than ${asOf} (limit ${max})`);
  }
  return gate('data_freshness', problems.length === 0, problems.length ? problems.join('; ') : ages.join('; '));
}

function classCounts(d: Dataset): [number, number] {
  let pos = 0;
  for (let i = 0; i < d.n; i++) pos += d.y[i]!;
  return [d.n - pos, pos];
}

export function dataSufficiencyGate(train: Dataset, valid: Dataset, t: GateThresholds): GateOutcome {
  const [tn, tp] = classCounts(train);
  const [vn, vp] = classCounts(valid);
  const problems: string[] = [];
  if (train.n < t.minTrainRows) problems.push(`${train.n} training rows < ${t.minTrainRows}`);
  if (Math.min(tn, tp) < t.minTrainPerClass) problems.push(`training classes ${tn}/${tp} (negative/positive) < ${t.minTrainPerClass} each`);
  if (valid.n < t.minValidRows) problems.push(`${valid.n} validation rows < ${t.minValidRows}`);
  if (Math.min(vn, vp) < t.minValidPerClass) problems.push(`validation classes ${vn}/${vp} < ${t.minValidPerClass} each`);
  return gate(
    'data_sufficiency',
    problems.length === 0,
    problems.length ? problems.join('; ') : `${train.n} training rows (${tp} positive), ${valid.n} validation rows (${vp} positive)`,
  );
}

export function dataQualityGate(reports: readonly ValidationReport[]): GateOutcome {
  const failed = reports.filter((r) => !r.ok);
  return gate(
    'data_quality',
    failed.length === 0,
    failed.length
      ? `${failed.length} of ${reports.length} partitions failed validation: ${failed
          .slice(0, 5)
          .map((r) => r.partition)
          .join(', ')}${failed.length > 5 ? ', …' : ''}`
      : `${reports.length} partitions passed validation`,
  );
}

export function learnsSomethingGate(metrics: Metrics, t: GateThresholds): GateOutcome {
  const needed = t.prAucLift * metrics.baseline.pr_auc;
  return gate(
    'learns_something',
    metrics.pr_auc >= needed,
    `PR-AUC ${metrics.pr_auc.toFixed(4)} vs ${t.prAucLift} × baseline ${metrics.baseline.pr_auc.toFixed(4)} = ${needed.toFixed(4)}`,
  );
}

/** `production` is null when no version is active yet: nothing to protect. */
export function safetyGate(aucNew: number, production: { version: number; auc: number } | null, t: GateThresholds): GateOutcome {
  if (!production) return gate('safety', true, 'no production version yet');
  const floor = production.auc - t.maxAucDrop;
  return gate(
    'safety',
    aucNew >= floor,
    `AUC ${aucNew.toFixed(4)} vs production v${production.version} ${production.auc.toFixed(4)} − ${t.maxAucDrop} on the same validation rows`,
  );
}

export function approvalGate(autoDeploy: boolean, mode: 'deploy' | 'challenger' = 'deploy'): GateOutcome {
  if (mode === 'challenger') {
    return {
      name: 'approval',
      outcome: 'pending',
      passed: false,
      pending: true,
      detail: 'RETRAIN_MODE=challenger: it becomes the challenger; the challenger rule judges it on the outcomes that mature',
    };
  }
  return {
    name: 'approval',
    outcome: autoDeploy ? 'passed' : 'pending',
    passed: autoDeploy,
    pending: !autoDeploy,
    detail: autoDeploy
      ? 'AUTO_DEPLOY=true: activated at once'
      : 'AUTO_DEPLOY=false: left to an operator, who deploys it with POST /api/weights/{version}/deploy',
  };
}
