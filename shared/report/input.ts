import type { ModelArtifact } from '../domain/model/artifact';
import type { CalibrationRecord } from '../domain/model/calibration';
import type { CalibrationBin, CurvePoint, Evaluation } from '../domain/model/metrics';
import type { GradeRow } from '../domain/model/grades';

/** What a report is drawn from: one training run's version, metrics, curves and gates. */

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
  /** Human-readable data windows, e.g. { training: '2025-01-01 .. 2025-04-30', validation: '…' }. */
  dataWindow?: Record<string, string>;
  /** The whole window the version's weights were fitted on after the holdout fit was judged (a retrain). */
  refit?: { from: string; to: string; rows: number } | null;
  artifact: ModelArtifact;
  /** The trainer's metrics on the validation rows (train.ts Metrics fits). */
  metrics: Evaluation & { n_train: number; n_valid: number; positive_rate: number; calibrated: boolean; grades?: GradeRow[]; calibration?: CalibrationRecord };
  /** The equal-weights baseline on the same validation rows. */
  baselineMetrics: Evaluation;
  /** The version in production, evaluated on the same validation rows; absent on the first run. */
  production?: { version: number; metrics: Evaluation } | null;
  curves: { model: CurveSet; baseline: CurveSet };
  /** Validation probabilities and labels, for the score histogram. */
  validation: { probabilities: ArrayLike<number>; labels: ArrayLike<number> };
  gates: GateOutcome[];
}
