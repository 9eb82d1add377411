import * as echarts from 'echarts';
import type { PsiBaseline } from '../domain/model/artifact';
import type { CalibrationBin, CurvePoint } from '../domain/model/metrics';
import type { ReportInput } from './input';

/** The report's charts: ECharts options rendered to inline SVG on the server (no DOM, no animation). */

export const COLORS = { model: '#2563eb', baseline: '#9ca3af', production: '#f59e0b', positive: '#16a34a', negative: '#cbd5e1', ink: '#1f2937' };
export const FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function fmt(v: number | null | undefined, digits = 4): string {
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

export function rocChart(input: ReportInput): string {
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

export function prChart(input: ReportInput): string {
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

export function calibrationChart(input: ReportInput): string {
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

export function histogramChart(input: ReportInput): string {
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

export function weightsChart(input: ReportInput): string {
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

export function psiChart(name: string, b: PsiBaseline): string {
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
