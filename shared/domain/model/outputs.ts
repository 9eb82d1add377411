import { FEATURES } from '../features/schema';
import type { ModelArtifact } from './artifact';
import type { Metrics, TrainResult } from './train';

/**
 * The three files a training run produces (weights.csv, metrics.json, model.json), rendered as
 * strings so the file run, the lake registration and the tests share one format. Numbers are
 * written with JavaScript's shortest round-trip form: parsing them back gives the same doubles.
 */
export type TrainingFiles = Record<'weights.csv' | 'metrics.json' | 'model.json', string>;

export function weightsCsv(artifact: ModelArtifact, modelVersion: number): string {
  const rows = FEATURES.map((f, j) => `${f},${artifact.raw_weights[j]},${artifact.offset},${modelVersion}`);
  return `feature,raw_weight,offset,model_version\n${rows.join('\n')}\n`;
}

export function metricsJson(metrics: Metrics): string {
  return `${JSON.stringify(metrics, null, 2)}\n`;
}

export function renderTrainingFiles(result: TrainResult, modelVersion: number, extra: Record<string, unknown> = {}): TrainingFiles {
  return {
    'weights.csv': weightsCsv(result.artifact, modelVersion),
    'metrics.json': metricsJson(result.metrics),
    'model.json': `${JSON.stringify({ model_version: modelVersion, ...result.artifact, ...extra }, null, 2)}\n`,
  };
}

const f4 = (v: number | null): string => (v === null ? '   n/a' : v.toFixed(4));

/** The metrics table the CLI prints: the model beside the equal-weights baseline, then the weights. */
export function formatMetricsTable(result: TrainResult): string {
  const { metrics: m, artifact: a } = result;
  const head = ['', 'AUC-ROC', 'PR-AUC', 'Brier', 'P@100', 'P@200', 'Lift@10%'];
  const row = (name: string, e: Metrics['baseline']): string[] => [
    name,
    f4(e.auc_roc),
    f4(e.pr_auc),
    f4(e.brier),
    f4(e.precision_at_100),
    f4(e.precision_at_200),
    f4(e.lift_at_10pct),
  ];
  const rows = [head, row('Equal weights', m.baseline), row(m.calibrated ? 'Logistic regression (Platt)' : 'Logistic regression', m)];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]): string => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ');
  const lines = [
    `train rows ${m.n_train}, validation rows ${m.n_valid}, validation positive rate ${m.positive_rate.toFixed(4)}`,
    '',
    ...rows.map(line),
    '',
    `${'feature'.padEnd(20)}  ${'raw weight'.padStart(14)}  ${'± 1.96·se'.padStart(12)}`,
    ...FEATURES.map(
      (f, j) => `${f.padEnd(20)}  ${a.raw_weights[j]!.toFixed(8).padStart(14)}  ${(1.96 * a.standard_errors.raw_weights[j]!).toFixed(8).padStart(12)}`,
    ),
    `${'offset'.padEnd(20)}  ${a.offset.toFixed(8).padStart(14)}  ${(1.96 * a.standard_errors.offset).toFixed(8).padStart(12)}`,
    '',
    `L-BFGS: ${a.iterations} iterations, ${a.converged ? 'converged' : 'NOT converged'}; C = ${a.C}` +
      (a.calibration ? `; Platt scaling a = ${a.calibration.a.toFixed(6)}, b = ${a.calibration.b.toFixed(6)}` : ''),
  ];
  return `${lines.join('\n')}\n`;
}
