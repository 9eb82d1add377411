import * as echarts from 'echarts';
import type { ModelArtifact, PsiBaseline } from '../domain/model/artifact';
import type { CalibrationBin, CurvePoint, Evaluation } from '../domain/model/metrics';

/**
 * models/v{N}/report.html: one self-contained page (no external URL; charts are inline SVG rendered on
 * the server by ECharts) that shows what a retrain produced and why it was or was not deployed.
 */

export interface GateOutcome {
  name: string;
  passed: boolean;
  /** Not failed, waiting: the approval gate of a staged version. */
  pending?: boolean;
  detail: string;
}

/** What the curves are drawn from: the trainer's EvaluationDetail has exactly these fields. */
export interface CurveSet {
  roc: CurvePoint[];
  pr: CurvePoint[];
  calibration_curve: CalibrationBin[];
}

export interface ReportInput {
  version: number;
  /** ISO time the version was trained. */
  createdAt: string;
  /** What started the run: timer, alert, manual (free text). */
  trigger?: string;
  /** Outcome of the run for this version, e.g. active / staged / rejected. */
  status?: string;
  /** Human-readable data windows, e.g. { training: '2025-01-01 .. 2025-04-30', validation: '…' }. */
  dataWindow?: Record<string, string>;
  artifact: ModelArtifact;
  /** The trainer's metrics on the validation rows (train.ts Metrics fits). */
  metrics: Evaluation & { n_train: number; n_valid: number; positive_rate: number; calibrated: boolean };
  /** The equal-weights baseline on the same validation rows. */
  baselineMetrics: Evaluation;
  /** The version in production, evaluated on the same validation rows; absent on the first run. */
  production?: { version: number; metrics: Evaluation } | null;
  curves: { model: CurveSet; baseline: CurveSet };
  /** Validation probabilities and labels, for the score histogram. */
  validation: { probabilities: ArrayLike<number>; labels: ArrayLike<number> };
  gates: GateOutcome[];
}

const COLORS = { model: '#2563eb', baseline: '#9ca3af', production: '#f59e0b', positive: '#16a34a', negative: '#cbd5e1', ink: '#1f2937' };
const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function fmt(v: number | null | undefined, digits = 4): string {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(digits);
}

/** Renders one ECharts option to an SVG string on the server (no DOM, no animation). */
export function renderChart(option: echarts.EChartsOption, width: number, height: number): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, textStyle: { fontFamily: FONT, color: COLORS.ink }, ...option });
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

const axis = (name: string, extra: Record<string, unknown> = {}) => ({
  type: 'value' as const,
  name,
  nameLocation: 'middle' as const,
  nameGap: 30,
  min: 0,
  max: 1,
  splitLine: { lineStyle: { color: '#eef0f3' } },
  ...extra,
});

const xy = (points: CurvePoint[]) => points.map((p) => [p.x, p.y]);

/** The report's square line charts (ROC, precision-recall, calibration): one layout, their own series. */
function lineChart(title: string, xName: string, yName: string, series: echarts.SeriesOption[]): string {
  return renderChart(
    {
      title: { text: title, left: 'center', textStyle: { fontSize: 15 } },
      legend: { bottom: 0, width: 500, textStyle: { fontSize: 11 } },
      grid: { left: 60, right: 20, top: 45, bottom: 80 },
      xAxis: axis(xName),
      yAxis: axis(yName, { nameGap: 40 }),
      series,
    },
    540,
    420,
  );
}

function rocChart(input: ReportInput): string {
  const m = input.metrics.auc_roc;
  const b = input.baselineMetrics.auc_roc;
  return lineChart('ROC curve', 'False positive rate', 'True positive rate', [
    {
      name: `v${input.version} (AUC ${fmt(m, 3)})`,
      type: 'line',
      showSymbol: false,
      data: xy(input.curves.model.roc),
      lineStyle: { width: 2.5, color: COLORS.model },
      itemStyle: { color: COLORS.model },
    },
    {
      name: `Equal weights (AUC ${fmt(b, 3)})`,
      type: 'line',
      showSymbol: false,
      data: xy(input.curves.baseline.roc),
      lineStyle: { width: 2, type: 'dashed', color: COLORS.baseline },
      itemStyle: { color: COLORS.baseline },
    },
    {
      name: 'Chance',
      type: 'line',
      showSymbol: false,
      data: [
        [0, 0],
        [1, 1],
      ],
      lineStyle: { width: 1, type: 'dotted', color: '#d1d5db' },
      itemStyle: { color: '#d1d5db' },
    },
  ]);
}

function prChart(input: ReportInput): string {
  const rate = input.metrics.positive_rate;
  return lineChart('Precision–recall curve', 'Recall', 'Precision', [
    {
      name: `v${input.version} (PR-AUC ${fmt(input.metrics.pr_auc, 3)})`,
      type: 'line',
      showSymbol: false,
      data: xy(input.curves.model.pr),
      lineStyle: { width: 2.5, color: COLORS.model },
      itemStyle: { color: COLORS.model },
    },
    {
      name: `Equal weights (PR-AUC ${fmt(input.baselineMetrics.pr_auc, 3)})`,
      type: 'line',
      showSymbol: false,
      data: xy(input.curves.baseline.pr),
      lineStyle: { width: 2, type: 'dashed', color: COLORS.baseline },
      itemStyle: { color: COLORS.baseline },
    },
    {
      name: `Base rate (${fmt(rate, 3)})`,
      type: 'line',
      showSymbol: false,
      data: [
        [0, rate],
        [1, rate],
      ],
      lineStyle: { width: 1, type: 'dotted', color: '#9ca3af' },
      itemStyle: { color: '#9ca3af' },
    },
  ]);
}

function calibrationChart(input: ReportInput): string {
  const points = (bins: CalibrationBin[]) =>
    bins.filter((b) => b.mean_predicted !== null && b.fraction_positive !== null).map((b) => [b.mean_predicted!, b.fraction_positive!, b.count]);
  return lineChart('Calibration (10 bins)', 'Mean predicted probability', 'Observed share of positives', [
    {
      name: `v${input.version}${input.metrics.calibrated ? ' (Platt-calibrated)' : ''}`,
      type: 'line',
      data: points(input.curves.model.calibration_curve),
      symbolSize: 7,
      lineStyle: { width: 2.5, color: COLORS.model },
      itemStyle: { color: COLORS.model },
    },
    {
      name: 'Perfectly calibrated',
      type: 'line',
      showSymbol: false,
      data: [
        [0, 0],
        [1, 1],
      ],
      lineStyle: { width: 1, type: 'dotted', color: '#9ca3af' },
      itemStyle: { color: '#9ca3af' },
    },
  ]);
}

/** Counts of validation rows per score_100 bin of width 5, split by label. */
export function scoreHistogram(probabilities: ArrayLike<number>, labels: ArrayLike<number>, bins = 20): { positives: number[]; negatives: number[] } {
  if (probabilities.length !== labels.length) {
    throw new Error(`scoreHistogram: ${probabilities.length} probabilities but ${labels.length} labels`);
  }
  const positives = new Array<number>(bins).fill(0);
  const negatives = new Array<number>(bins).fill(0);
  for (let i = 0; i < probabilities.length; i++) {
    const p = probabilities[i]!;
    if (!(p >= 0 && p <= 1)) throw new Error(`scoreHistogram: probability at index ${i} is ${p}, not in [0, 1]`);
    const b = Math.min(bins - 1, Math.floor(p * bins));
    if (labels[i]) positives[b]!++;
    else negatives[b]!++;
  }
  return { positives, negatives };
}

function histogramChart(input: ReportInput): string {
  const bins = 20;
  const { positives, negatives } = scoreHistogram(input.validation.probabilities, input.validation.labels, bins);
  const labels = Array.from({ length: bins }, (_, b) => `${b * 5}–${b * 5 + 5}`);
  // Shade the score bands (docs/architecture.md, "SQL schema and serving") (Low 40-59, Medium 60-79, High >= 80) over whole bins.
  const band = (from: number, to: number, name: string, color: string) => [
    { xAxis: `${from}–${from + 5}`, name, itemStyle: { color } },
    { xAxis: `${to - 5}–${to}` },
  ];
  return renderChart(
    {
      title: { text: 'Score distribution on validation rows (score_100)', left: 'center', textStyle: { fontSize: 15 } },
      legend: { bottom: 0 },
      grid: { left: 60, right: 20, top: 70, bottom: 85 },
      xAxis: { type: 'category', data: labels, name: 'score_100', nameLocation: 'middle', nameGap: 40, axisLabel: { rotate: 45, fontSize: 10 } },
      yAxis: { type: 'value', name: 'Rows', nameLocation: 'middle', nameGap: 45, splitLine: { lineStyle: { color: '#eef0f3' } } },
      series: [
        {
          name: 'Label 0',
          type: 'bar',
          stack: 'rows',
          data: negatives,
          itemStyle: { color: COLORS.negative },
          markArea: {
            silent: true,
            label: { position: 'top', color: '#4b5563', fontSize: 12 },
            data: [
              band(40, 60, 'Low', 'rgba(251,191,36,0.08)'),
              band(60, 80, 'Medium', 'rgba(96,165,250,0.10)'),
              band(80, 100, 'High', 'rgba(22,163,74,0.10)'),
            ] as never,
          },
        },
        { name: 'Label 1 (clicked or replied)', type: 'bar', stack: 'rows', data: positives, itemStyle: { color: COLORS.positive } },
      ],
    },
    1100,
    380,
  );
}

/** 95% interval of a raw weight: weight ± 1.96·se. */
export function weightInterval(weight: number, se: number): [number, number] {
  return [weight - 1.96 * se, weight + 1.96 * se];
}

function weightsChart(input: ReportInput): string {
  const a = input.artifact;
  // Raw weights have different units (per day, per unit of rate); times the feature's std they compare.
  const rows = a.features.map((f, i) => {
    const sd = a.scaler.std[i]!;
    const [lo, hi] = weightInterval(a.raw_weights[i]!, a.standard_errors.raw_weights[i]!);
    return { f, w: a.raw_weights[i]! * sd, lo: lo * sd, hi: hi * sd };
  });
  return renderChart(
    {
      title: { text: 'Effect of one standard deviation (raw weight × std) with 95% interval', left: 'center', textStyle: { fontSize: 15 } },
      grid: { left: 170, right: 40, top: 50, bottom: 45 },
      yAxis: { type: 'category', data: rows.map((r) => r.f), inverse: true, axisLabel: { fontSize: 12 } },
      xAxis: { type: 'value', name: 'Change in lead_score (log-odds)', nameLocation: 'middle', nameGap: 28, splitLine: { lineStyle: { color: '#eef0f3' } } },
      series: [
        {
          name: 'Effect',
          type: 'bar',
          data: rows.map((r) => ({ value: r.w, itemStyle: { color: r.w >= 0 ? '#60a5fa' : '#f87171' } })),
          barWidth: 18,
        },
        {
          name: '95% interval',
          type: 'custom',
          data: rows.map((r, i) => [i, r.lo, r.hi]),
          renderItem: (_params, api) => {
            const y = api.value(0) as number;
            const low = api.coord([api.value(1), y]);
            const high = api.coord([api.value(2), y]);
            const cap = 6;
            const style = { stroke: COLORS.ink, lineWidth: 1.5 };
            return {
              type: 'group',
              children: [
                { type: 'line', shape: { x1: low[0], y1: low[1], x2: high[0], y2: high[1] }, style },
                { type: 'line', shape: { x1: low[0], y1: low[1]! - cap, x2: low[0], y2: low[1]! + cap }, style },
                { type: 'line', shape: { x1: high[0], y1: high[1]! - cap, x2: high[0], y2: high[1]! + cap }, style },
              ],
            };
          },
          encode: { x: [1, 2], y: 0 },
          z: 10,
        },
      ],
    },
    1100,
    380,
  );
}

export function binLabels(edges: readonly number[]): string[] {
  const e = edges.map((v) => Number(v.toPrecision(4)).toString());
  if (e.length === 0) return ['all'];
  return [`≤ ${e[0]}`, ...e.slice(1).map((v, k) => `${e[k]}–${v}`), `> ${e[e.length - 1]}`];
}

function psiChart(name: string, b: PsiBaseline): string {
  return renderChart(
    {
      title: { text: name, left: 'center', textStyle: { fontSize: 13 } },
      grid: { left: 42, right: 8, top: 35, bottom: 62 },
      xAxis: { type: 'category', data: binLabels(b.edges), axisLabel: { rotate: 40, fontSize: 9, interval: 0 } },
      yAxis: {
        type: 'value',
        axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%`, fontSize: 10 },
        splitLine: { lineStyle: { color: '#eef0f3' } },
      },
      series: [{ type: 'bar', data: b.proportions, itemStyle: { color: '#818cf8' }, barMaxWidth: 28 }],
    },
    270,
    220,
  );
}

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
        `<tr><td>${escapeHtml(g.name)}</td><td><span class="badge ${g.passed ? 'pass' : g.pending ? 'wait' : 'fail'}">${g.passed ? 'passed' : g.pending ? 'waiting' : 'failed'}</span></td><td>${escapeHtml(g.detail)}</td></tr>`,
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

const CSS = `
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
  const status = input.status ?? (allPassed ? 'passed every gate' : 'blocked by a gate');
  const facts: [string, string][] = [
    ['Trained', input.createdAt],
    ...(input.trigger ? [['Trigger', input.trigger] as [string, string]] : []),
    ...Object.entries(input.dataWindow ?? {}).map(([k, v]) => [`Data (${k})`, v] as [string, string]),
    [
      'Rows',
      `${input.metrics.n_train.toLocaleString('en-US')} training, ${input.metrics.n_valid.toLocaleString('en-US')} validation (positive rate ${fmt(input.metrics.positive_rate, 3)})`,
    ],
    ['Regularisation', `L2, C = ${a.C}; L-BFGS ${a.iterations} iterations, ${a.converged ? 'converged' : 'NOT converged'}`],
    ['Calibration', a.calibration ? `Platt scaling folded into the weights (a = ${fmt(a.calibration.a)}, b = ${fmt(a.calibration.b)})` : 'none needed'],
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
  <span class="badge ${allPassed ? 'pass' : 'fail'}">${escapeHtml(status)}</span>
</header>
<p class="meta">Weights learned from SMS/MMS campaign outcomes; production scores are one weighted sum: lead_score = Σ weight·feature + offset.</p>
<div class="card"><dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl></div>

<h2>Gates</h2>
${gateTable(input.gates)}

<h2>Validation metrics</h2>
${summaryTable(input)}

<h2>Ranking and calibration</h2>
<div class="charts">
${chart(rocChart(input))}
${chart(prChart(input))}
${chart(calibrationChart(input))}
<div class="card"><p class="strong">Reading the curves</p><p class="muted">All curves are measured on the ${input.metrics.n_valid.toLocaleString('en-US')} most recent validation rows, which the model never saw in training. The equal-weights baseline weights every standardized feature ±1 by the sign of its training correlation with the label; a model that does not beat it clearly has not learned anything useful. Calibration compares predicted probabilities with the observed share of positives in ten equal-width bins.</p></div>
</div>
${chart(histogramChart(input))}

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
