/**
 * The seven features in canonical order (docs/architecture.md, "Features and labels"). Every file, table and vector
 * uses this order. The formulas that compute them from raw events live in shared/features/compute.ts.
 */
export const FEATURES = ['recency_days', 'fatigue_score', 'sentiment_score', 'engagement_rate_30d', 'reply_rate_90d', 'opt_out_risk', 'mms_affinity'] as const;

export type FeatureName = (typeof FEATURES)[number];
export const N_FEATURES = FEATURES.length;

/** Closed ranges the quality gate enforces (open ends are checked as closed; docs/architecture.md, "Features and labels"). */
export const FEATURE_RANGES: Readonly<Record<FeatureName, readonly [number, number]>> = {
  recency_days: [0, 60],
  fatigue_score: [0, 1],
  sentiment_score: [-2, 2],
  engagement_rate_30d: [0, 1],
  reply_rate_90d: [0, 1],
  opt_out_risk: [0, 1],
  mms_affinity: [0, 1],
};

export const LABEL_COLUMN = 'label';

export function isFeatureName(name: string): name is FeatureName {
  return (FEATURES as readonly string[]).includes(name);
}
