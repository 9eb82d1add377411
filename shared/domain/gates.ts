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

export type GateName = 'data_sufficiency' | 'data_quality' | 'learns_something' | 'safety' | 'approval';

export interface GateOutcome {
  name: GateName;
  passed: boolean;
  /** Waiting rather than failed: approval of a staged version. */
  pending?: boolean;
  detail: string;
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
  return {
    name: 'data_sufficiency',
    passed: problems.length === 0,
    detail: problems.length ? problems.join('; ') : `${train.n} training rows (${tp} positive), ${valid.n} validation rows (${vp} positive)`,
  };
}

export function dataQualityGate(reports: readonly ValidationReport[]): GateOutcome {
  const failed = reports.filter((r) => !r.ok);
  return {
    name: 'data_quality',
    passed: failed.length === 0,
    detail: failed.length
      ? `${failed.length} of ${reports.length} partitions failed validation: ${failed
          .slice(0, 5)
          .map((r) => r.partition)
          .join(', ')}${failed.length > 5 ? ', …' : ''}`
      : `${reports.length} partitions passed validation`,
  };
}

export function learnsSomethingGate(metrics: Metrics, t: GateThresholds): GateOutcome {
  const needed = t.prAucLift * metrics.baseline.pr_auc;
  return {
    name: 'learns_something',
    passed: metrics.pr_auc >= needed,
    detail: `PR-AUC ${metrics.pr_auc.toFixed(4)} vs ${t.prAucLift} × baseline ${metrics.baseline.pr_auc.toFixed(4)} = ${needed.toFixed(4)}`,
  };
}

/** `production` is null when no version is active yet: nothing to protect. */
export function safetyGate(aucNew: number, production: { version: number; auc: number } | null, t: GateThresholds): GateOutcome {
  if (!production) return { name: 'safety', passed: true, detail: 'no production version yet' };
  const floor = production.auc - t.maxAucDrop;
  return {
    name: 'safety',
    passed: aucNew >= floor,
    detail: `AUC ${aucNew.toFixed(4)} vs production v${production.version} ${production.auc.toFixed(4)} − ${t.maxAucDrop} on the same validation rows`,
  };
}

export function approvalGate(autoDeploy: boolean): GateOutcome {
  return {
    name: 'approval',
    passed: autoDeploy,
    pending: !autoDeploy,
    detail: autoDeploy
      ? 'AUTO_DEPLOY=true: activated at once'
      : 'AUTO_DEPLOY=false: left to an operator, who deploys it with POST /api/weights/{version}/deploy',
  };
}
