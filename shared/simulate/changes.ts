import { FEATURES, isFeatureName, type FeatureName } from '../domain/features/schema';
import { dayStartMs } from '../domain/calendar';

/**
 * What the simulator can change from a date on (simulate.ts): a drift moves what a feature measures
 * or how the population behaves, an effect change alters how the outcome depends on the hidden traits.
 */
export interface Drift {
  feature: FeatureName;
  shift: number;
  from: string;
}

/** What `--drift <feature>:<shift>` moves, from its date on (also the CLI's help text). */
export const DRIFT_EFFECTS: Record<FeatureName, string> = {
  recency_days: 'response propensity (logit) += shift',
  fatigue_score: 'send cadence × (1 + shift)',
  sentiment_score:
    'NLP sentiment scores += shift (a new scoring model): every reply scored from the date on, and on the date the replies of the 90 days before are re-scored',
  engagement_rate_30d: 'response propensity (logit) += shift',
  reply_rate_90d: 'share of responses that are replies += shift',
  opt_out_risk: 'CRM opt_out_risk += shift (every contact re-scored on the drift date)',
  mms_affinity: 'response propensity of MMS sends (logit) += shift',
};

/** Parses `<feature>:<shift>@<YYYY-MM-DD>`. */
export function parseDrift(spec: string): Drift {
  const m = /^([a-z_0-9]+):([-+]?\d*\.?\d+)@(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (!m) throw new Error(`--drift ${JSON.stringify(spec)}: expected <feature>:<shift>@<YYYY-MM-DD>, e.g. sentiment_score:-1@2026-03-01`);
  const feature = m[1] as string;
  if (!isFeatureName(feature)) throw new Error(`--drift: unknown feature ${JSON.stringify(feature)}; one of ${FEATURES.join(', ')}`);
  const from = m[3] as string;
  dayStartMs(from);
  return { feature, shift: Number(m[2]), from };
}

/** From `from` on, the outcome's dependence on the hidden traits changes: TRUTH's coefficients replaced. */
export interface EffectChange {
  effect: EffectName;
  value: number;
  from: string;
}

/** The coefficients of the logit (TRUTH) that `--effect` can change. */
export const EFFECTS = ['mood', 'risk', 'fatigue', 'hot'] as const;
export type EffectName = (typeof EFFECTS)[number];

/** Parses `<effect>=<value>@<YYYY-MM-DD>`, e.g. risk=-7.5@2026-03-01. */
export function parseEffect(spec: string): EffectChange {
  const m = /^([a-z]+)=([-+]?\d*\.?\d+)@(\d{4}-\d{2}-\d{2})$/.exec(spec);
  if (!m) throw new Error(`--effect ${JSON.stringify(spec)}: expected <effect>=<value>@<YYYY-MM-DD>, e.g. risk=-7.5@2026-03-01`);
  if (!(EFFECTS as readonly string[]).includes(m[1]!)) throw new Error(`--effect: unknown effect ${JSON.stringify(m[1])}; one of ${EFFECTS.join(', ')}`);
  dayStartMs(m[3]!);
  return { effect: m[1] as EffectName, value: Number(m[2]), from: m[3]! };
}
