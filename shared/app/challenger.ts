import { addDays, daysBetween } from '../domain/calendar';
import { challengerPagePath, challengerReportPath } from '../domain/lakeLayout';
import { challengerDecision, topShareRate, type ChallengerReport, type ModelOutcomes, type PromotionRule } from '../domain/model/challenger';
import type { Dataset } from '../domain/model/dataset';
import { delongPaired } from '../domain/model/delong';
import { evaluate } from '../domain/model/metrics';
import { leadScores, sigmoid } from '../domain/model/score';
import type { FreshnessLimits } from '../domain/gates';
import type { Lake } from '../ports/lake';
import type { Telemetry } from '../ports/telemetry';
import type { ChallengerModel } from '../ports/warehouse';
import { renderChallengerPage } from '../report/challengerPage';
import { buildTrainingSet, newestData } from './trainingSet';
import { deployVersion, type ChangeResult, type VersionDeps } from './versions';

/**
 * Champion and challenger (docs/architecture.md, "Challenger"): a staged version scored beside the
 * active one by the same SQL (challenger_scores), judged by every drift check on the sends that
 * matured since it was set, with their features as of each send (as the training set is built), and
 * promoted, retired or kept by a configurable rule.
 */
export interface ChallengerDeps extends VersionDeps {
  telemetry: Telemetry;
  rule: PromotionRule;
  autoDeploy: boolean;
  freshness: FreshnessLimits;
}

export type { ChallengerReport, ModelOutcomes } from '../domain/model/challenger';

export async function setChallenger(deps: ChallengerDeps, version: number, opts: { from: string; by: string }): Promise<{ previous: number | null }> {
  const out = await deps.warehouse.setChallenger({ version, from: opts.from, by: opts.by });
  deps.telemetry.trackEvent('ChallengerChanged', { version, previous: out.previous ?? '', from: opts.from, by: opts.by, action: 'set' });
  await deps.telemetry.flush();
  deps.log.info(`v${version} is the challenger from ${opts.from}${out.previous !== null && out.previous !== version ? ` (replacing v${out.previous})` : ''}`);
  return out;
}

export async function clearChallenger(deps: ChallengerDeps, by: string, reason = 'ended by an operator'): Promise<number | null> {
  const was = await deps.warehouse.clearChallenger(by);
  if (was !== null) {
    deps.telemetry.trackEvent('ChallengerChanged', { version: was, by, reason, action: 'clear' });
    await deps.telemetry.flush();
    deps.log.info(`v${was} is no longer the challenger: ${reason}`);
  }
  return was;
}

function outcomes(version: number, model: { weights: readonly number[]; offset: number }, rows: Dataset): { z: Float64Array; m: ModelOutcomes } {
  const z = leadScores(model.weights, model.offset, rows);
  const e = evaluate(z.map(sigmoid), rows.y);
  return { z, m: { version, auc: e.auc_roc, pr_auc: e.pr_auc, brier: e.brier, top10_positive_rate: topShareRate(z, rows.y, 0.1) } };
}

/** The sends matured since the challenger's start, up to `date`, with features as of each send. */
async function maturedSince(lake: Lake, c: ChallengerModel, date: string): Promise<{ rows: Dataset; to: string | null; labelsAge: number | null }> {
  const newest = (await newestData(lake, date)).labels;
  const labelsAge = newest === null ? null : daysBetween(newest, date);
  if (newest === null || newest < c.from) return { rows: { n: 0, x: new Float64Array(0), y: new Uint8Array(0) }, to: newest, labelsAge };
  const set = await buildTrainingSet(lake, { asOf: date, trainDays: 0, validDays: daysBetween(c.from, newest) + 1 });
  return { rows: set.valid, to: newest, labelsAge };
}

/** The champion against the challenger on what has matured, the rule's decision, and what it does. */
export async function evaluateChallenger(deps: ChallengerDeps, date: string): Promise<ChallengerReport | null> {
  const challenger = await deps.warehouse.challenger();
  const champion = await deps.warehouse.getActiveWeights();
  if (!challenger || !champion) return null;
  const { rows, to, labelsAge } = await maturedSince(deps.lake, challenger, date);
  let positives = 0;
  for (let i = 0; i < rows.n; i++) positives += rows.y[i]!;
  const report: ChallengerReport = {
    date,
    champion: champion.version,
    challenger: challenger.version,
    from: challenger.from,
    to,
    n: rows.n,
    positives,
    auc_champion: null,
    auc_challenger: null,
    auc_diff: null,
    delong: null,
    p_value: null,
    models: null,
    decision: 'continue',
    reason: '',
    ready: false,
    action: 'none',
  };
  if (positives === 0 || positives === rows.n) {
    report.reason = `${rows.n} matured sends since ${challenger.from}${rows.n ? ', fewer than 2 of a class' : ''}: nothing to compare yet`;
  } else {
    const a = outcomes(champion.version, champion, rows);
    const b = outcomes(challenger.version, challenger, rows);
    const { auc_a, auc_b, auc_diff, ...test } = delongPaired(a.z, b.z, rows.y);
    Object.assign(report, {
      auc_champion: auc_a,
      auc_challenger: auc_b,
      auc_diff,
      delong: test,
      p_value: test.p_value,
      models: { champion: a.m, challenger: b.m },
    });
    // The challenger passed its own gates when it was trained (it is staged, not rejected); the labels
    // it is judged on must be fresh, as the freshness gate requires of a retrain.
    const fresh = labelsAge !== null && labelsAge <= deps.freshness.maxLabelAgeDays;
    const verdict = challengerDecision({ n: rows.n, auc_diff, p_value: test.p_value }, deps.rule, fresh);
    report.decision = verdict.decision;
    report.reason = fresh ? verdict.reason : `${verdict.reason}; the labels are ${labelsAge} days old (limit ${deps.freshness.maxLabelAgeDays})`;
  }
  await act(deps, report);
  await deps.lake.write(challengerReportPath(date), `${JSON.stringify(report, null, 2)}\n`);
  await deps.lake.write(challengerPagePath(date), renderChallengerPage(report));
  deps.telemetry.trackEvent('ChallengerEvaluated', {
    date,
    champion: report.champion,
    challenger: report.challenger,
    n: report.n,
    aucChampion: report.auc_champion,
    aucChallenger: report.auc_challenger,
    aucDiff: report.auc_diff,
    pValue: report.p_value,
    decision: report.decision,
    action: report.action,
  });
  await deps.telemetry.flush();
  deps.log.info(
    `challenger ${date}: v${report.challenger} vs v${report.champion} on ${report.n} sends: ${report.decision} (${report.action}) — ${report.reason}; page ${challengerPagePath(date)}`,
  );
  return report;
}

/** promote: the ordinary deploy (one transaction) under AUTO_DEPLOY, else ready for the operator; retire: the challenger ends. */
async function act(deps: ChallengerDeps, report: ChallengerReport): Promise<ChangeResult | null> {
  if (report.decision === 'retire') {
    await clearChallenger(deps, 'challenger-rule', report.reason);
    report.action = 'retired';
    return null;
  }
  if (report.decision !== 'promote') return null;
  if (!deps.autoDeploy) {
    report.ready = true;
    report.reason += `; AUTO_DEPLOY=false: ready, waiting for an operator to deploy v${report.challenger}`;
    return null;
  }
  const change = await deployVersion(deps, report.challenger, { by: 'challenger-rule', reason: report.reason });
  report.action = 'deployed';
  return change;
}

/** The challenger's first judged day when set as of `asOf`: sends of the next day on (nothing it scored before counts). */
export function challengerStart(asOf: string): string {
  return addDays(asOf, 1);
}
