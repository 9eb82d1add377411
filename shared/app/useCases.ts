import type { SimulateOptions, SimulateSummary } from '../simulate/simulate';
import type { RunRecord } from '../ports/ledger';
import type { AbTest, ModelVersion } from '../ports/warehouse';
import type { AbResults, AbStart } from './abTest';
import type { ChallengerReport } from './challenger';
import type { DriftReport } from './drift';
import type { IngestResult } from './ingest';
import type { LabelResult } from './labels';
import type { RetrainRequest, RetrainRun } from './retrain';
import type { ExportResult } from './scoresExport';
import type { ScoreOptions, ScorePartitionResult } from './scoring';
import type { StatusSnapshot } from './status';
import type { LakeTrainingRun, TrainFromLakeOptions } from './trainFromLake';
import type { ChangeOptions, ChangeResult, RegisterInput } from './versions';
/**
 * The product's use cases, bound to the container's ports, settings and log: the surface every door
 * (functions/, cli/) calls. Types only; container.ts builds them.
 */
export interface UseCases {
  ingestDate(date: string): Promise<IngestResult>;
  ingestRange(from: string, to: string): Promise<IngestResult[]>;
  collectPendingLabels(): Promise<LabelResult[]>;
  collectLabelsRange(from: string, to: string): Promise<LabelResult[]>;
  /** Simulated raw days into the lake (the local run and `leadscore simulate`). */
  simulate(options: Omit<SimulateOptions, 'log'>): Promise<SimulateSummary>;
  trainFromLake(options: Partial<Pick<TrainFromLakeOptions, 'C' | 'asOf'>>): Promise<LakeTrainingRun>;
  registerVersion(input: RegisterInput): Promise<ModelVersion>;
  /** Dates of the complete features partitions, newest first. */
  completeFeaturesDates(): Promise<string[]>;
  scorePartition(path: string, options?: ScoreOptions): Promise<ScorePartitionResult>;
  exportServedScores(runId: string): Promise<ExportResult>;
  deploy(version: number, options: ChangeOptions): Promise<ChangeResult>;
  rollback(options: ChangeOptions & { toVersion?: number }): Promise<ChangeResult>;
  listVersions(): Promise<ModelVersion[]>;
  retrain(request: RetrainRequest): Promise<RetrainRun>;
  /** The daily drift check, the challenger's evaluation, and the retrain it calls for when DRIFT_RETRAIN=direct. */
  checkDrift(date: string): Promise<{ report: DriftReport; run: RetrainRun | null; challenger: ChallengerReport | null }>;
  /** Makes a staged version the challenger, judged on the sends from `from` on. */
  setChallenger(version: number, opts: { from: string; by: string }): Promise<{ previous: number | null }>;
  /** Ends the challenger; the version it was, or null. */
  clearChallenger(by: string): Promise<number | null>;
  /** Starts the A/B split of campaigns between champion and challenger (docs/architecture.md, "A/B split"). */
  startAbTest(req: AbStart): Promise<AbTest>;
  /** Stops the running A/B test; the test as stopped, or null when none ran. */
  stopAbTest(by: string): Promise<AbTest | null>;
  /** The running (else the newest) A/B test's arms on the matured sends, with the two-proportion z-test. */
  abResults(): Promise<AbResults>;
  status(): Promise<StatusSnapshot>;
  /** Applies the schema migrations; versions registered before training means were kept get them. */
  migrate(): Promise<{ applied: string[]; mended: number[] }>;
  /** Records a retrain request as a queued run (the queue's worker then calls retrain). */
  queueRun(run: RunRecord): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
}
