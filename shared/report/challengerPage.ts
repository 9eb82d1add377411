import type { ChallengerReport, ModelOutcomes } from '../domain/model/challenger';
import { escapeHtml, fmt } from './charts';
import { CSS } from './report';

/**
 * The challenger's evaluation as a page (docs/architecture.md, "Challenger"): written by every drift
 * check beside monitoring/challenger/yyyy/mm/dd/challenger.json, from the same report. The version
 * report is written once at training time; this one is the day's verdict on the two versions.
 */
const ROWS: { key: keyof ModelOutcomes; label: string; better: 'higher' | 'lower' }[] = [
  { key: 'auc', label: 'AUC-ROC', better: 'higher' },
  { key: 'pr_auc', label: 'PR-AUC', better: 'higher' },
  { key: 'brier', label: 'Brier score', better: 'lower' },
  { key: 'top10_positive_rate', label: 'Positive rate of the top 10 %', better: 'higher' },
];

function outcomesTable(m: NonNullable<ChallengerReport['models']>): string {
  const rows = ROWS.map(({ key, label, better }) => {
    const a = m.champion[key];
    const b = m.challenger[key];
    const d = b - a;
    const cls = d === 0 ? '' : d > 0 === (better === 'higher') ? 'good' : 'bad';
    return `<tr><td>${escapeHtml(label)}</td><td class="num">${fmt(a)}</td><td class="num">${fmt(b)}</td><td class="${cls}">${d >= 0 ? '+' : '−'}${fmt(Math.abs(d))}</td></tr>`;
  }).join('');
  return `<table><tr><th>Metric</th><th>Champion v${m.champion.version}</th><th>Challenger v${m.challenger.version}</th><th>Challenger − champion</th></tr>${rows}</table>`;
}

function delongTable(r: ChallengerReport): string {
  const d = r.delong!;
  const cells: [string, string][] = [
    ['AUC difference (challenger − champion)', fmt(r.auc_diff)],
    ['Variance of the champion’s AUC', d.var_a.toExponential(3)],
    ['Variance of the challenger’s AUC', d.var_b.toExponential(3)],
    ['Covariance', d.cov_ab.toExponential(3)],
    ['Variance of the difference', d.var_diff.toExponential(3)],
    ['z', fmt(d.z, 3)],
    ['p-value (two-sided)', d.p_value.toPrecision(3)],
  ];
  return `<table><tr><th>DeLong's paired test</th><th>Value</th></tr>${cells.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td class="num">${escapeHtml(v)}</td></tr>`).join('')}</table>`;
}

/** The whole page. Every value from the input that reaches the HTML goes through escapeHtml or fmt. */
export function renderChallengerPage(r: ChallengerReport): string {
  const badge = r.decision === 'promote' ? 'pass' : r.decision === 'retire' ? 'fail' : 'neutral';
  const facts: [string, string][] = [
    ['Drift check', r.date],
    [
      'Sends judged',
      `${r.n.toLocaleString('en-US')} matured sends (${r.positives.toLocaleString('en-US')} positive), sent ${r.from} .. ${r.to ?? '(none labelled yet)'}`,
    ],
    ['Decision', `${r.decision}${r.ready ? ' (ready: waiting for an operator to deploy it)' : ''}`],
    ['Why', r.reason],
    ['What it did', r.action === 'deployed' ? `deployed v${r.challenger}` : r.action === 'retired' ? `ended v${r.challenger} as the challenger` : 'nothing'],
  ];
  const body =
    r.models && r.delong
      ? `<h2>Both versions on the same sends</h2>\n${outcomesTable(r.models)}\n<h2>Is the difference real?</h2>\n${delongTable(r)}\n<p class="muted">Both versions score the same sends, so their AUCs are correlated; DeLong's test uses that covariance, which makes small differences detectable. The rule promotes only a gain of at least the configured minimum (PROMOTION_MIN_AUC_GAIN) that is significant, after enough sends (PROMOTION_MIN_SENDS).</p>`
      : `<p class="muted">Nothing to compare yet: the sends judged need both outcomes.</p>`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Champion v${r.champion} and challenger v${r.challenger}, ${escapeHtml(r.date)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
  <h1>Champion v${r.champion} and challenger v${r.challenger}</h1>
  <span class="badge ${badge}">${escapeHtml(r.decision)}</span>
</header>
<p class="meta">The drift check of ${escapeHtml(r.date)} scored both versions on the sends that matured since the challenger was set, each with its features as of its send day, as a training set is built. The same numbers are in challenger.json beside this page.</p>
<div class="card"><dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></div>
${body}
</main>
</body>
</html>
`;
}
