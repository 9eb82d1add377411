import { z } from 'zod';
import { FEATURES, FEATURE_RANGES, type FeatureName } from '../features/schema';

export const versionParam = z.coerce.number({ error: 'must be a version number' }).int('must be an integer').positive('must be positive');

export const deployBody = z.strictObject({
  reason: z.string().max(1000).optional(),
});

export const rollbackBody = z.strictObject({
  toVersion: z.number({ error: 'must be a version number' }).int('must be an integer').positive('must be positive').optional(),
  reason: z.string().max(1000).optional(),
});

const featureShape = Object.fromEntries(
  FEATURES.map((f) => {
    const [lo, hi] = FEATURE_RANGES[f];
    return [f, z.number({ error: 'must be a number' }).min(lo, `must be ≥ ${lo}`).max(hi, `must be ≤ ${hi}`)];
  }),
) as Record<FeatureName, z.ZodNumber>;

export const scoreBody = z.strictObject({
  contact_id: z.string().min(1).max(64).optional(),
  features: z.strictObject(featureShape),
});

export type ScoreBody = z.infer<typeof scoreBody>;
