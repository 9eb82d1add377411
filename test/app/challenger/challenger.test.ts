import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateChallenger, type ChallengerDeps } from '../../../shared/app/challenger';
import { ingestRange } from '../../../shared/app/ingest';
import { collectLabelsRange } from '../../../shared/app/labels';
import { retrain } from '../../../shared/app/retrain';
import { LocalLake } from '../../../shared/adapters/lake/local';
import { addDays } from '../../../shared/domain/calendar';
import { DEFAULT_FRESHNESS } from '../../../shared/domain/gates';
import { DEFAULT_PROMOTION_RULE } from '../../../shared/domain/model/challenger';
import { silentLog } from '../../../shared/ports/log';
import { simulate, type EffectChange } from '../../../shared/simulate/simulate';
import { openEnv, type Env } from '../retrain/fixture';

/**
 * The simulated proof of the champion/challenger rule (issue 15): the champion is trained before a
 * change of the generating process, the challenger (RETRAIN_MODE=challenger) on the weeks after it,
 * and the drift checks that follow judge both on the sends that mature. When the process changed
 * (opt-out risk weighs three times as much), the retrained challenger is truly better and the rule
 * promotes it; when nothing changed, it is better only by the hair that newer weeks give (0.0018 AUC,
 * which DeLong finds significant on 6,117 sends), under the gain that promotes, and the rule does not.
 */
/** Simulated history starts 90 days before the pipeline, so every features partition sees whole 90-day windows. */
const HISTORY = '2025-10-07';
const START = addDays(HISTORY, 90);
const CHANGE = addDays(START, 45);
const CHALLENGER_AS_OF = addDays(START, 79);
const JUDGED = addDays(START, 99);
const CONTACTS = 2000;

const opened: Env[] = [];
const templates: string[] = [];
afterAll(async () => {
  for (const e of opened) await e.close();
  for (const t of templates) fs.rmSync(t, { recursive: true, force: true });
});

/** A lake simulated to `to`, its features and labels as the daily timers would have made them. */
async function lakeUpTo(dir: string, to: string, effect: EffectChange | undefined): Promise<void> {
  const lake = new LocalLake(dir);
  const days = Math.round((Date.parse(to) - Date.parse(HISTORY)) / 86_400_000) + 1;
  await simulate(lake, { contacts: CONTACTS, days, start: HISTORY, seed: 11, ...(effect ? { effect } : {}) });
  await ingestRange(lake, START, to);
  await collectLabelsRange(lake, START, to, { windowDays: 7, log: silentLog });
}

async function scenario(effect: EffectChange | undefined): Promise<{ decision: string; report: Awaited<ReturnType<typeof evaluateChallenger>> }> {
  const template = fs.mkdtempSync(path.join(os.tmpdir(), 'leadscore-challenger-'));
  templates.push(template);
  await lakeUpTo(template, addDays(CHANGE, -1), effect);
  // Both versions are fitted by the same recipe on windows of the same length: 21 training days, 7 validation days.
  const env = await openEnv(template, { autoDeploy: true, trainDays: 21, validDays: 7 });
  opened.push(env);
  const champion = await retrain(env.deps, { trigger: 'manual', reason: 'champion', asOf: addDays(CHANGE, -1) });
  expect(champion.details.outcome).toBe('deployed');

  // The weeks after the change, then a retrain on them alone that becomes the challenger.
  const lakeDir = path.join(env.home, 'lake');
  await lakeUpTo(lakeDir, CHALLENGER_AS_OF, effect);
  const settings = { ...env.deps.settings, mode: 'challenger' as const };
  const run = await retrain({ ...env.deps, settings }, { trigger: 'schedule', reason: 'challenger', asOf: CHALLENGER_AS_OF });
  expect(run.details.outcome).toBe('challenger');
  const challenger = (await env.deps.warehouse.challenger())!;
  expect(challenger).toMatchObject({ version: 2, from: addDays(CHALLENGER_AS_OF, 1) });
  expect((await env.deps.warehouse.getActiveWeights())!.version).toBe(1);

  // Three weeks of outcomes later, the drift check judges both on what matured.
  await lakeUpTo(lakeDir, JUDGED, effect);
  const deps: ChallengerDeps = {
    lake: env.deps.lake,
    warehouse: env.deps.warehouse,
    telemetry: env.deps.telemetry,
    log: silentLog,
    rule: DEFAULT_PROMOTION_RULE,
    autoDeploy: true,
    freshness: DEFAULT_FRESHNESS,
  };
  const report = await evaluateChallenger(deps, JUDGED);
  return { decision: report!.decision, report };
}

describe('champion and challenger on simulated outcomes', () => {
  test('the generating process changed: the retrained challenger is better on matured sends, and the rule promotes it', async () => {
    const { report } = await scenario({ effect: 'risk', value: -7.5, from: CHANGE });
    expect(report).toMatchObject({ champion: 1, challenger: 2, from: addDays(CHALLENGER_AS_OF, 1), decision: 'promote', action: 'deployed' });
    expect(report!.n).toBeGreaterThanOrEqual(2000);
    expect(report!.auc_diff).toBeGreaterThan(0);
    expect(report!.p_value).toBeLessThan(0.05);
    expect(report!.auc_diff).toBeGreaterThanOrEqual(DEFAULT_PROMOTION_RULE.minAucGain);
    // Promoted under AUTO_DEPLOY: the ordinary deploy, which also ended it as challenger.
    const env = opened[opened.length - 1]!;
    expect((await env.deps.warehouse.getActiveWeights())!.version).toBe(2);
    expect(await env.deps.warehouse.challenger()).toBeUndefined();
    expect(await env.deps.lake.exists(`monitoring/challenger/${JUDGED.replaceAll('-', '/')}/challenger.json`)).toBe(true);
    // The page beside it shows the same verdict and numbers.
    const page = (await env.deps.lake.read(`monitoring/challenger/${JUDGED.replaceAll('-', '/')}/challenger.html`)).toString('utf8');
    expect(page).toContain('<span class="badge pass">promote</span>');
    expect(page).toContain(`<td class="num">${report!.auc_challenger!.toFixed(4)}</td>`);
    expect(page).toContain(`deployed v2`);
  }, 300_000);

  test('nothing changed: the retrained challenger is no better, and the rule does not promote it', async () => {
    const { report } = await scenario(undefined);
    expect(report!.n).toBeGreaterThanOrEqual(2000);
    expect(report!.decision).not.toBe('promote');
    const env = opened[opened.length - 1]!;
    expect((await env.deps.warehouse.getActiveWeights())!.version).toBe(1);
    // The challenger stays the challenger: nothing decided yet (or retired, were it significantly worse).
    if (report!.decision === 'continue') expect((await env.deps.warehouse.challenger())!.version).toBe(2);
  }, 300_000);
});
