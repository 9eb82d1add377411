import { HttpRequest, InvocationContext, type HttpResponseInit } from '@azure/functions';
import { FEATURES, N_FEATURES } from '../../../shared/domain/features/schema';
import { trainModel } from '../../../shared/domain/model/train';
import { scoreContactHandler } from '../../../shared/http/weights';
import { scorePartition } from '../../../shared/app/scoring';
import { registerVersion, deployVersion } from '../../../shared/app/versions';
import { formatNumber } from '../../../shared/domain/csv';
import { loadSeed } from '../../support/seed';
import { appOf, env, FEATURES_HEADER, type Env } from '../../support/fixtures';
import { silentLog } from '../../../shared/ports/log';

/**
 * The real-time path (POST /api/score, TypeScript) and lead_scores (the SQL view) are two
 * computations of one definition: with the seed's fitted weights, on every row of the seed's
 * validation set, they give the same lead_score (to the bit), probability, score_100, band and top
 * three factors.
 */
let e: Env;
afterAll(async () => e && (await e.close()));

test('POST /api/score and lead_scores agree on the whole seed validation set', async () => {
  e = await env();
  const { train, valid } = loadSeed();
  const fit = await trainModel(train, valid);
  await registerVersion(e, {
    artifact: fit.artifact,
    metrics: fit.metrics as never,
    weightsCsv: 'feature,raw_weight,offset,model_version\n',
    trigger: 'manual',
    window: null,
  });
  await deployVersion(e, 1, { by: 't', export: false });

  // The validation rows as one features partition (formatNumber is how the product writes values).
  const ids = Array.from({ length: valid.n }, (_, i) => `v${String(i).padStart(5, '0')}`);
  const x = (i: number): number[] => Array.from(valid.x.subarray(i * N_FEATURES, (i + 1) * N_FEATURES));
  const lines = ids.map(
    (id, i) =>
      `${id},2026-05-04,${x(i)
        .map((v) => formatNumber(v))
        .join(',')}`,
  );
  await e.lake.write('processed/features/2026/05/04/part-0.csv', `${FEATURES_HEADER}\n${lines.join('\n')}\n`);
  await e.lake.write('processed/features/2026/05/04/_SUCCESS', '');
  expect(await scorePartition({ lake: e.lake, warehouse: e.warehouse, ledger: e.ledger, log: silentLog }, 'processed/features/2026/05/04')).toMatchObject({
    status: 'scored',
    contacts: valid.n,
  });

  const app = await appOf(e);
  const handler = scoreContactHandler(async () => app);
  const ctx = new InvocationContext({ functionName: 'parity', logHandler: () => undefined });
  let factorsCompared = 0;
  for (let i = 0; i < valid.n; i++) {
    const served = (await e.warehouse.getLeadScore(ids[i]!))!;
    const features = Object.fromEntries(FEATURES.map((f, j) => [f, Number(formatNumber(x(i)[j]!))]));
    const r: HttpResponseInit = await handler(
      new HttpRequest({ method: 'POST', url: 'http://localhost/api/score', body: { string: JSON.stringify({ contact_id: ids[i], features }) } }),
      ctx,
    );
    const api = r.jsonBody as {
      model_version: number;
      lead_score: number;
      probability: number;
      score_100: number;
      band: string;
      top_factors: { feature: string; contribution: number }[];
    };
    expect(api.model_version).toBe(served.modelVersion);
    expect(api.lead_score).toBe(served.leadScore);
    expect(Math.abs(api.probability - served.probability)).toBeLessThanOrEqual(1e-15);
    expect([ids[i], api.score_100, api.band]).toEqual([ids[i], served.score100, served.band]);
    const sqlFactors = JSON.parse(served.topFactors) as [string, number][];
    expect(sqlFactors.map(([f]) => f)).toEqual(api.top_factors.map((t) => t.feature));
    // SQL rounds the contribution to 4 decimals; the API gives it whole.
    sqlFactors.forEach(([, c], k) => expect(Math.abs(c - api.top_factors[k]!.contribution)).toBeLessThanOrEqual(5e-5 + 1e-12));
    factorsCompared += sqlFactors.length;
  }
  expect(factorsCompared).toBe(3 * valid.n);
}, 120_000);
