import type { ModelArtifact } from '../domain/model/artifact';
import type { Evaluation } from '../domain/model/metrics';
import { calibrationChart, escapeHtml, FONT, fmt, histogramChart, prChart, psiChart, rocChart, weightInterval, weightsChart } from './charts';
import type { GateOutcome, ReportInput } from './input';
import { sigmoid } from '../domain/model/score';
import { calibrationSection } from './calibration';

/**
 * models/v{N}/report.html: one self-contained page (no external URL; charts are inline SVG rendered on
 * the server by ECharts) that shows what a retrain produced and why it was or was not deployed.
 */

export type { CurveSet, GateOutcome, ReportInput } from './input';
export { binLabels, escapeHtml, renderChart, scoreHistogram, weightInterval } from './charts';

const METRIC_ROWS: { key: keyof Evaluation; label: string; better: 'higher' | 'lower' }[] = [
  { key: 'auc_roc', label: 'AUC-ROC', better: 'higher' },
  { key: 'pr_auc', label: 'PR-AUC (average precision)', better: 'higher' },
  { key: 'brier', label: 'Brier score', better: 'lower' },
  { key: 'precision_at_100', label: 'Precision@100', better: 'higher' },
  { key: 'precision_at_200', label: 'Precision@200', better: 'higher' },
  { key: 'lift_at_10pct', label: 'Lift in top 10%', better: 'higher' },
];

function summaryTable(input: ReportInput): string {
  const prod = input.production;
  const head = `<tr><th>Metric</th><th>v${input.version}</th><th>Equal weights</th><th>Δ vs equal weights</th>${
    prod ? `<th>Production v${prod.version}</th><th>Δ vs production</th>` : ''
  }</tr>`;
  const delta = (a: number | null, b: number | null, better: 'higher' | 'lower') => {
    if (a === null || b === null) return '<td>–</td>';
    const d = a - b;
    const good = better === 'higher' ? d >= 0 : d <= 0;
    return `<td class="${good ? 'good' : 'bad'}">${d >= 0 ? '+' : ''}${fmt(d)}</td>`;
  };
  const rows = METRIC_ROWS.map(({ key, label, better }) => {
    const m = input.metrics[key];
    const b = input.baselineMetrics[key];
    const p = prod?.metrics[key] ?? null;
    return `<tr><td>${escapeHtml(label)}${better === 'lower' ? ' <span class="muted">(lower is better)</span>' : ''}</td><td class="num strong">${fmt(m)}</td><td class="num">${fmt(b)}</td>${delta(m, b, better)}${
      prod ? `<td class="num">${fmt(p)}</td>${delta(m, p, better)}` : ''
    }</tr>`;
  }).join('');
  return `<table>${head}${rows}</table>`;
}

function gateTable(gates: GateOutcome[]): string {
  if (gates.length === 0) return '<p class="muted">No gates were evaluated.</p>';
  const rows = gates
    .map(
      (g) =>
        `<tr><td>${escapeHtml(g.name)}</td><td><span class="badge ${g.passed ? 'pass' : g.pending ? 'wait' : 'fail'}">${g.passed ? 'passed' : g.pending ? 'operator' : 'failed'}</span></td><td>${escapeHtml(g.detail)}</td></tr>`,
    )
    .join('');
  return `<table><tr><th>Gate</th><th>Outcome</th><th>Detail</th></tr>${rows}</table>`;
}

function weightTable(a: ModelArtifact): string {
  const rows = a.features
    .map((f, i) => {
      const w = a.raw_weights[i]!;
      const se = a.standard_errors.raw_weights[i]!;
      const [lo, hi] = weightInterval(w, se);
      const excludesZero = lo > 0 || hi < 0;
      return `<tr><td>${escapeHtml(f)}</td><td class="num strong">${fmt(w, 5)}</td><td class="num">${fmt(se, 5)}</td><td class="num">[${fmt(lo, 5)}, ${fmt(hi, 5)}]</td><td class="num">${fmt(a.scaler.mean[i], 4)}</td><td class="num">${fmt(a.scaler.std[i], 4)}</td><td>${excludesZero ? 'yes' : '<span class="muted">no</span>'}</td></tr>`;
    })
    .join('');
  const [olo, ohi] = weightInterval(a.offset, a.standard_errors.offset);
  return `<table><tr><th>Feature</th><th>Raw weight</th><th>Std. error</th><th>95% interval</th><th>Training mean</th><th>Training std</th><th>Interval excludes 0</th></tr>${rows}<tr class="sep"><td>offset</td><td class="num strong">${fmt(a.offset, 5)}</td><td class="num">${fmt(a.standard_errors.offset, 5)}</td><td class="num">[${fmt(olo, 5)}, ${fmt(ohi, 5)}]</td><td></td><td></td><td></td></tr></table>`;
}

/**
 * The grades (docs/architecture.md, "SQL schema and serving"): each one's threshold on lead_score and
 * as a probability, its training rows, and on validation its rows, positives, observed positive rate
 * and that rate's lift over the validation base rate.
 */
function gradesSection(input: ReportInput): string {
  const g = input.artifact.grades;
  if (!g) return '<p class="muted">This version has no grade thresholds: its served grade is NULL.</p>';
  const [a, b, c] = g.shares.map((s) => fmt(s, s % 1 === 0 ? 0 : 2));
  const base = input.metrics.positive_rate;
  const nTrain = g.training_rows.reduce((x, y) => x + y, 0);
  const valid = input.metrics.grades ?? [];
  const rows = ['A', 'B', 'C', 'D']
    .map((name, k) => {
      const min = g.min_lead_score[k];
      const v = valid[k];
      const rate = v?.positive_rate ?? null;
      return `<tr><td class="strong">${name}</td><td class="num">${min === undefined ? `below ${fmt(g.min_lead_score[2], 4)}` : `≥ ${fmt(min, 4)}`}</td><td class="num">${
        min === undefined ? `below ${fmt(sigmoid(g.min_lead_score[2]!), 4)}` : `≥ ${fmt(sigmoid(min), 4)}`
      }</td><td class="num">${g.training_rows[k]!.toLocaleString('en-US')} (${fmt((100 * g.training_rows[k]!) / nTrain, 1)}%)</td><td class="num">${
        v ? v.rows.toLocaleString('en-US') : '–'
      }</td><td class="num">${v ? v.positives.toLocaleString('en-US') : '–'}</td><td class="num strong">${fmt(rate, 3)}</td><td class="num">${
        rate === null || !(base > 0) ? '–' : `${fmt(rate / base, 2)}×`
      }</td></tr>`;
    })
    .join('');
  return `<p class="muted">A grade says where a lead's lead_score ranks among this version's ${nTrain.toLocaleString('en-US')} training rows: A is the top ${a}%, B the next ${b}%, C the next ${c}%, D the rest (GRADE_SHARES). Each threshold is the lead_score of the training row at that rank; rows tied with it share its grade, so a grade can hold more than its share. lead_scores grades every served contact against these thresholds in the same SELECT as its score. On the validation rows, the observed positive rate is what a lead of each grade turned out to be worth, and lift is that rate divided by the validation positive rate (${fmt(base, 3)}).${
    input.refit
      ? " The validation columns are those of the fit the gates judged, graded by its own thresholds at the same shares: the version's weights saw the validation days, so its own grades there would flatter it."
      : ''
  }</p>
<table><tr><th>Grade</th><th>Lead score</th><th>Probability</th><th>Training rows</th><th>Validation rows</th><th>Positives</th><th>Observed positive rate</th><th>Lift</th></tr>${rows}</table>`;
}

/** The house style of every page the product writes (the version report, the challenger's evaluation). */
export const CSS = `
  :root { color-scheme: light; }
  body { font-family: ${FONT}; color: #1f2937; background: #f6f7f9; margin: 0; line-height: 1.5; font-size: 15px; }
  main { max-width: 1160px; margin: 0 auto; padding: 28px 28px 60px; }
  header { display: flex; align-items: baseline; gap: 16px; flex-wrap: wrap; }
  h1 { font-size: 28px; margin: 0; }
  h2 { font-size: 19px; margin: 34px 0 10px; padding-bottom: 6px; border-bottom: 1px solid #e5e7eb; }
  .meta { color: #4b5563; margin: 6px 0 0; }
  .card { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 14px; }
  .charts { display: grid; grid-template-columns: repeat(2, 1fr); gap: 16px; }
  .small-multiples { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
  .chart svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
  table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; overflow: hidden; }
  th, td { padding: 7px 12px; text-align: left; border-bottom: 1px solid #f0f1f3; }
  th { background: #f3f4f6; font-weight: 600; font-size: 13px; color: #374151; }
  td.num { font-variant-numeric: tabular-nums; }
  .strong { font-weight: 600; }
  .good { color: #15803d; font-variant-numeric: tabular-nums; }
  .bad { color: #b91c1c; font-variant-numeric: tabular-nums; }
  .muted { color: #6b7280; font-size: 13px; }
  tr.sep td { border-top: 2px solid #e5e7eb; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600; }
  .badge.pass { background: #dcfce7; color: #166534; }
  .badge.fail { background: #fee2e2; color: #991b1b; }
  .badge.wait { background: #fef9c3; color: #854d0e; }
  .badge.neutral { background: #e0e7ff; color: #3730a3; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; }
  dt { color: #6b7280; } dd { margin: 0; }
`;

/** The whole page. Every value from the input that reaches the HTML goes through escapeHtml. */
export function renderReport(input: ReportInput): string {
  const a = input.artifact;
  if (a.raw_weights.length !== a.features.length || a.standard_errors.raw_weights.length !== a.features.length) {
    throw new Error('renderReport: artifact weights, standard errors and features differ in length');
  }
  const allPassed = input.gates.every((g) => g.passed || g.pending);
  // The gates' verdict, which never changes; whether the version is active now does (deploy, rollback),
  // and this page is written once, at training time, so it links to where that is answered.
  const verdict = allPassed ? 'passed every gate' : 'blocked by a gate';
  const facts: [string, string][] = [
    ['Trained', input.createdAt],
    ...(input.trigger ? [['Trigger', input.trigger] as [string, string]] : []),
    ...Object.entries(input.dataWindow ?? {}).map(([k, v]) => [`Data (${k})`, v] as [string, string]),
    [
      'Rows',
      `${input.metrics.n_train.toLocaleString('en-US')} training, ${input.metrics.n_valid.toLocaleString('en-US')} validation (positive rate ${fmt(input.metrics.positive_rate, 3)})`,
    ],
    ['Regularisation', `L2, C = ${a.C}; L-BFGS ${a.iterations} iterations, ${a.converged ? 'converged' : 'NOT converged'}`],
    [
      'Calibration',
      a.calibration
        ? `Platt scaling folded into the weights (a = ${fmt(a.calibration.a)}, b = ${fmt(a.calibration.b)})`
        : input.metrics.calibration?.after
          ? 'Platt scaling tried and rejected (see Calibration)'
          : 'none needed',
    ],
  ];
  const psiNames = Object.keys(a.psi_baseline) as (keyof ModelArtifact['psi_baseline'])[];
  const chart = (svg: string) => `<div class="card chart">${svg}</div>`;

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lead scoring model v${input.version}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
  <h1>Lead scoring model v${input.version}</h1>
  <span class="badge ${allPassed ? 'pass' : 'fail'}">${escapeHtml(verdict)}</span>
</header>
<p class="meta">This page is written once, when the version is trained. Which version serves now: <code>GET /api/weights</code>, <code>GET /api/status</code> or <code>leadscore versions</code>.</p>
<p class="meta">Weights learned from SMS/MMS campaign outcomes; production scores are one weighted sum: lead_score = Σ weight·feature + offset.</p>
<div class="card"><dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></div>

<h2>Gates</h2>
${gateTable(input.gates)}

<h2>Validation metrics</h2>
${summaryTable(input)}

<h2>Grades</h2>
${gradesSection(input)}

<h2>Ranking and calibration</h2>
<div class="charts">
${chart(rocChart(input))}
${chart(prChart(input))}
${chart(calibrationChart(input))}
<div class="card"><p class="strong">Reading the curves</p><p class="muted">All curves are measured on the ${input.metrics.n_valid.toLocaleString('en-US')} most recent validation rows, which the model never saw in training.${input.refit ? ` The version's weights were then fitted again, by the same recipe, on every labelled day ${input.refit.from} .. ${input.refit.to} (${input.refit.rows.toLocaleString('en-US')} rows, the validation days included), so that it has seen the newest days; the curves and metrics here are those of the fit the gates judged.` : ''} The equal-weights baseline rescales each feature to [0, 1] by its documented range, turns it so that larger means better by the sign of its training correlation with the label, and averages the seven: the average is its probability. A model that does not beat it clearly has not learned anything useful. Calibration compares predicted probabilities with the observed share of positives in ten equal-width bins.</p></div>
</div>
${chart(histogramChart(input))}

<h2>Calibration</h2>
${calibrationSection(input.metrics.calibration)}

<h2>Weights</h2>
${chart(weightsChart(input))}
<p class="muted">Raw weights apply to the features as stored (recency in days, rates in 0..1); the 95% interval is weight ± 1.96 × standard error.</p>
${weightTable(a)}

<h2>Drift baseline (training distribution)</h2>
<p class="muted">Decile bins of each feature and of lead_score on the training rows. The daily drift check compares new data with these proportions (PSI &gt; 0.2 counts as drift).</p>
<div class="small-multiples">
${psiNames.map((n) => chart(psiChart(n, a.psi_baseline[n]))).join('\n')}
</div>
</main>
</body>
</html>
`;
}
