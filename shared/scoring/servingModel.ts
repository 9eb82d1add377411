import { N_FEATURES } from '../features/schema';
import type { Lake } from '../ports/lake';
import type { Warehouse } from '../ports/warehouse';
import type { ServingModel } from './contact';

export class NoActiveVersionError extends Error {
  constructor() {
    super('no model version is active in the warehouse: deploy one first (leadscore deploy <N> or POST /api/weights/{version}/deploy)');
    this.name = 'NoActiveVersionError';
  }
}

export function modelFolder(version: number): string {
  return `models/v${version}/`;
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

/** The active version with its training means; throws NoActiveVersionError when none is active. */
export async function loadActiveModel(warehouse: Warehouse, lake: Lake): Promise<ServingModel> {
  const active = await warehouse.getActiveWeights();
  if (!active) throw new NoActiveVersionError();
  return { version: active.version, weights: active.weights, offset: active.offset, trainingMean: await readTrainingMean(lake, active.version) };
}

/**
 * The active model kept in process for real-time scoring: one warehouse read per `ttlMs` instead of
 * one per request, so a score costs microseconds. A deploy or rollback in this process clears it at
 * once; other instances pick the change up within ttlMs.
 */
export class ActiveModelCache {
  private entry: { model: ServingModel; at: number } | undefined;
  private pending: Promise<ServingModel> | undefined;

  constructor(
    private readonly load: () => Promise<ServingModel>,
    private readonly ttlMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  async get(): Promise<ServingModel> {
    const e = this.entry;
    if (e && this.now() - e.at < this.ttlMs) return e.model;
    // Single flight: concurrent requests after expiry share one read.
    this.pending ??= this.load()
      .then((model) => {
        this.entry = { model, at: this.now() };
        return model;
      })
      .finally(() => {
        this.pending = undefined;
      });
    return this.pending;
  }

  invalidate(): void {
    this.entry = undefined;
  }
}
