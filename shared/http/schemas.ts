import { z } from 'zod';
import { FEATURES, FEATURE_RANGES, type FeatureName } from '../domain/features/schema';
import { parseVersionNumber, VERSION_MESSAGE, VERSION_PATTERN } from '../domain/versions';

export { VERSION_PATTERN, parseVersionNumber };

export const versionNumber = z.string({ error: VERSION_MESSAGE }).regex(VERSION_PATTERN, VERSION_MESSAGE).transform(Number);

/**
 * A JSON number as the client wrote it. JSON.parse keeps only the value, which cannot tell `1` from
 * `1.0` or `1e0`; the body reader hands over the text of the fields a body lists (Node 22's
 * JSON.parse source text access), so that they are held to the same rule as the route.
 */
export class WrittenNumber {
  constructor(readonly text: string) {}
}

/** A body field holding a version: a JSON number written as versionNumber requires (not a string). */
const writtenVersion = z
  .instanceof(WrittenNumber, { error: VERSION_MESSAGE })
  .transform((n) => n.text)
  .pipe(versionNumber);

/** `force`: activate a version whose registering run did not finish (after checking its artifacts). */
export const deployBody = z.strictObject({
  reason: z.string().max(1000).optional(),
  force: z.boolean().optional(),
});

/** `from`: the first send day the challenger is judged on (YYYY-MM-DD). */
export const challengerBody = z.strictObject({
  from: z.iso.date({ error: 'must be a date, YYYY-MM-DD' }).optional(),
});

export const rollbackBody = z.strictObject({
  toVersion: writtenVersion.optional(),
  reason: z.string().max(1000).optional(),
  force: z.boolean().optional(),
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
