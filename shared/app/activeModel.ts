import { N_FEATURES } from '../domain/features/schema';
import { modelFolder } from '../domain/lakeLayout';
import type { Lake } from '../ports/lake';
import type { ChallengerModel, Warehouse } from '../ports/warehouse';
import type { ServingModel } from '../domain/serving';

export class NoActiveVersionError extends Error {
  constructor() {
    super('no model version is active in the warehouse: deploy one first (leadscore deploy <N> or POST /api/weights/{version}/deploy)');
    this.name = 'NoActiveVersionError';
  }
}

/** training_mean from models/v{N}/model.json: what top factors are measured against. */
export async function readTrainingMean(lake: Lake, version: number): Promise<number[]> {
  const file = `${modelFolder(version)}model.json`;
  const parsed = JSON.parse((await lake.read(file)).toString('utf8')) as { training_mean?: unknown };
  const mean = parsed.training_mean;
  if (!Array.isArray(mean) || mean.length !== N_FEATURES || !mean.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new Error(`${file}: training_mean must be ${N_FEATURES} finite numbers`);
  }
  return mean as number[];
}

/** The active version with its training means, from SQL; throws NoActiveVersionError when none is active. */
export async function loadActiveModel(warehouse: Pick<Warehouse, 'activeModel'>): Promise<ServingModel> {
  const model = await warehouse.activeModel();
  if (!model) throw new NoActiveVersionError();
  return model;
}

/**
 * The active model kept in process for real-time scoring. A version's weights never change, so the
 * model is reloaded only when the active version changes; which one is active is checked with one
 * indexed single-row read (the version stamp) at most every `stampMs`, shared by the requests that
 * arrive meanwhile. So no response uses a version that stopped being active more than `stampMs` plus
 * one read ago, and a score costs microseconds between checks.
 */
export class ActiveModelCache {
  private model: ServingModel | undefined;
  private checkedAt = -Infinity;
  private pending: Promise<ServingModel> | undefined;

  constructor(
    private readonly warehouse: Pick<Warehouse, 'activeVersion' | 'activeModel' | 'challenger'>,
    readonly stampMs = 1_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  async get(): Promise<ServingModel> {
    if (this.model && this.now() - this.checkedAt < this.stampMs) return this.model;
    this.pending ??= this.refresh().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async refresh(): Promise<ServingModel> {
    const at = this.now();
    const version = await this.warehouse.activeVersion();
    if (version === null) {
      this.model = undefined;
      throw new NoActiveVersionError();
    }
    if (this.model?.version !== version) this.model = await loadActiveModel(this.warehouse);
    this.checkedAt = at;
    return this.model;
  }

  private challengerModel: Promise<ChallengerModel | undefined> | undefined;
  private challengerAt = -Infinity;

  /** The challenger, or undefined: read again at most every `stampMs`, as the active version is checked. */
  async challenger(): Promise<ChallengerModel | undefined> {
    if (!this.challengerModel || this.now() - this.challengerAt >= this.stampMs) {
      this.challengerAt = this.now();
      this.challengerModel = this.warehouse.challenger();
      this.challengerModel.catch(() => {
        this.challengerModel = undefined;
      });
    }
    return this.challengerModel;
  }

  /** Forget the model at once (this process just deployed or rolled back). */
  invalidate(): void {
    this.model = undefined;
    this.checkedAt = -Infinity;
    this.challengerModel = undefined;
  }
}
