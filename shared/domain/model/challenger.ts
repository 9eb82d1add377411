import type { DeLongResult } from './delong';

/**
 * The champion/challenger promotion rule, as a pure function of DeLong's test on the same sends.
 *
 * promote  n ≥ minSends, auc_diff ≥ minAucGain (> 0), p < alpha and the gates passed
 * retire   n ≥ minSends, auc_diff < 0, p < alpha
 * continue otherwise, with the reason
 *
 * Both decisions wait for minSends, retiring too: DeLong's normal approximation is loose on a few
 * positives, and a test looked at after every batch would, with an early exit on one side only,
 * end challengers on their first unlucky stretch. One sample size for both keeps the rule symmetric.
 * A challenger significantly better that fails a gate continues rather than retires: the gates
 * judge the version on other grounds than the ranking the test measured.
 *
 * minAucGain: a promotion changes what every campaign reads, so it needs a gain that matters, not only
 * one that is significant. Outcomes drift slowly even when nothing happened (contacts opt out, their
 * histories grow), so a challenger trained on newer weeks is often significantly better by a hair: on
 * the simulated proof's unchanged process, 0.0018 with p = 0.015 on 6,117 sends.
 */
export interface PromotionRule {
  /** Sends scored by both before either decision; default 2000. */
  minSends: number;
  /** Two-sided significance level; default 0.05. */
  alpha: number;
  /** The smallest AUC gain (challenger − champion) that promotes; default 0.005. */
  minAucGain: number;
}

export const DEFAULT_PROMOTION_RULE: PromotionRule = { minSends: 2000, alpha: 0.05, minAucGain: 0.005 };

export type ChallengerDecision = 'promote' | 'retire' | 'continue';

/** One version's outcomes on the sends judged. */
export interface ModelOutcomes {
  version: number;
  auc: number;
  pr_auc: number;
  brier: number;
  /** Positive rate of the top 10 % of the sends by this version's score. */
  top10_positive_rate: number;
}

/** A drift check's evaluation of the challenger: monitoring/challenger/yyyy/mm/dd/challenger.json, and the page beside it. */
export interface ChallengerReport {
  date: string;
  champion: number;
  challenger: number;
  /** The send days judged: the challenger's start to the newest labelled day. */
  from: string;
  to: string | null;
  n: number;
  positives: number;
  auc_champion: number | null;
  auc_challenger: number | null;
  auc_diff: number | null;
  delong: Omit<DeLongResult, 'auc_a' | 'auc_b' | 'auc_diff'> | null;
  p_value: number | null;
  models: { champion: ModelOutcomes; challenger: ModelOutcomes } | null;
  decision: ChallengerDecision;
  reason: string;
  /** promote under AUTO_DEPLOY=false: ready, and waiting for the operator's deploy. */
  ready: boolean;
  /** What the decision did: deployed the challenger, ended it, or nothing. */
  action: 'deployed' | 'retired' | 'none';
}

const fmt = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(4)).toString() : String(x));

export function challengerDecision(
  r: Pick<DeLongResult, 'n' | 'auc_diff' | 'p_value'>,
  rule: PromotionRule,
  gatesPassed: boolean,
): { decision: ChallengerDecision; reason: string } {
  if (!Number.isInteger(rule.minSends) || rule.minSends < 0) throw new Error(`minSends must be a whole number ≥ 0: got ${rule.minSends}`);
  if (!(rule.alpha > 0 && rule.alpha < 1)) throw new Error(`alpha must be between 0 and 1: got ${rule.alpha}`);
  if (!(rule.minAucGain >= 0 && rule.minAucGain < 1)) throw new Error(`minAucGain must be in [0, 1): got ${rule.minAucGain}`);
  const stats = `AUC difference ${fmt(r.auc_diff)} (challenger − champion), p = ${fmt(r.p_value)}, ${r.n} sends`;
  if (r.n < rule.minSends) return { decision: 'continue', reason: `${r.n} sends of the ${rule.minSends} needed before a decision; so far ${stats}` };
  const significant = r.p_value < rule.alpha;
  if (significant && r.auc_diff > 0) {
    if (r.auc_diff < rule.minAucGain)
      return { decision: 'continue', reason: `the challenger ranks better, but by less than the ${rule.minAucGain} that promotes: ${stats}` };
    if (gatesPassed) return { decision: 'promote', reason: `the challenger ranks better: ${stats}, p < ${rule.alpha}, gates passed` };
    return { decision: 'continue', reason: `the challenger ranks better (${stats}, p < ${rule.alpha}) but failed a gate` };
  }
  if (significant && r.auc_diff < 0) return { decision: 'retire', reason: `the challenger ranks worse: ${stats}, p < ${rule.alpha}` };
  return { decision: 'continue', reason: `no significant difference yet: ${stats}, p ≥ ${rule.alpha}` };
}

/**
 * The positive rate among the top share of rows by score (default the top 10 %): k = ⌈share·N⌉
 * rows (at least 1; the ceiling allows 1e-9, so that 0.1 × 30, 3.0000000000000004 in doubles, is 3),
 * and every row tied with the k-th highest score is included, so the rate does not depend on the
 * rows' order (the count can exceed k): ties at a threshold are treated as the grades treat them.
 */
export function topShareRate(scores: ArrayLike<number>, y: ArrayLike<number>, share = 0.1): number {
  const N = scores.length;
  if (y.length !== N) throw new Error(`topShareRate needs one label per score: ${N} scores, ${y.length} labels`);
  if (N === 0) throw new Error('topShareRate needs at least one row');
  if (!(share > 0 && share <= 1)) throw new Error(`share must be in (0, 1]: got ${share}`);
  const sorted = Float64Array.from(scores);
  if (sorted.some((s) => !Number.isFinite(s))) throw new Error('topShareRate needs finite scores');
  sorted.sort();
  const k = Math.max(1, Math.ceil(share * N - 1e-9));
  const threshold = sorted[N - k]!;
  let rows = 0;
  let positives = 0;
  for (let i = 0; i < N; i++) {
    if (scores[i]! >= threshold) {
      rows++;
      positives += y[i]!;
    }
  }
  return positives / rows;
}
