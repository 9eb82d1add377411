import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/**
 * Every function the app registers, as the Functions host indexes it: the trigger and its settings,
 * the connection names the bindings use, and for HTTP functions the route, methods, key level and
 * whether the route is an admin operation (Entra sign-in with the LeadScore.Admin role in Azure,
 * infra/modules/functionapp.bicep). One table for the host test and the sign-in test.
 */
export interface ExpectedFunction {
  trigger: 'httpTrigger' | 'timerTrigger' | 'queueTrigger' | 'blobTrigger';
  schedule?: string;
  route?: string;
  methods?: string[];
  authLevel?: 'anonymous' | 'function' | 'admin';
  admin?: boolean;
  queueName?: string;
  path?: string;
  source?: string;
  /** Connection names of every binding (trigger and outputs). */
  connections: string[];
}

export const FUNCTIONS: Record<string, ExpectedFunction> = {
  ingestFeatures: { trigger: 'timerTrigger', schedule: '0 0 1 * * *', connections: [] },
  collectLabels: { trigger: 'timerTrigger', schedule: '0 30 1 * * *', connections: [] },
  retrainWeekly: { trigger: 'timerTrigger', schedule: '0 0 2 * * 0', connections: [] },
  checkDrift: { trigger: 'timerTrigger', schedule: '0 0 3 * * *', connections: [] },
  scoreFeatures: { trigger: 'blobTrigger', path: 'lake/processed/features/{name}', source: 'EventGrid', connections: ['LAKE'] },
  retrainWorker: { trigger: 'queueTrigger', queueName: 'retrain-requests', connections: ['AzureWebJobsStorage'] },
  retrain: { trigger: 'httpTrigger', route: 'retrain', methods: ['POST'], authLevel: 'function', admin: true, connections: ['AzureWebJobsStorage'] },
  deployWeights: { trigger: 'httpTrigger', route: 'weights/{version}/deploy', methods: ['POST'], authLevel: 'function', admin: true, connections: [] },
  setChallenger: { trigger: 'httpTrigger', route: 'weights/{version}/challenger', methods: ['POST'], authLevel: 'function', admin: true, connections: [] },
  clearChallenger: { trigger: 'httpTrigger', route: 'weights/challenger/clear', methods: ['POST'], authLevel: 'function', admin: true, connections: [] },
  rollbackWeights: { trigger: 'httpTrigger', route: 'weights/rollback', methods: ['POST'], authLevel: 'function', admin: true, connections: [] },
  scoreContact: { trigger: 'httpTrigger', route: 'score', methods: ['POST'], authLevel: 'function', admin: false, connections: [] },
  weights: { trigger: 'httpTrigger', route: 'weights', methods: ['GET'], authLevel: 'function', admin: false, connections: [] },
  weightsActive: { trigger: 'httpTrigger', route: 'weights/active', methods: ['GET'], authLevel: 'function', admin: false, connections: [] },
  status: { trigger: 'httpTrigger', route: 'status', methods: ['GET'], authLevel: 'function', admin: false, connections: [] },
  openapi: { trigger: 'httpTrigger', route: 'openapi.json', methods: ['GET'], authLevel: 'function', admin: false, connections: [] },
  runs: { trigger: 'httpTrigger', route: 'runs/{id}', methods: ['GET'], authLevel: 'function', admin: false, connections: [] },
};

export interface Binding {
  type: string;
  direction: 'in' | 'out';
  [setting: string]: unknown;
}

export interface Registration {
  name: string;
  bindings: Record<string, Binding>;
}

export interface Loaded {
  node: string;
  files: { file: string; ms: number; registered: string[] }[];
  registrations: Registration[];
  loadMs: number;
  sqlite: boolean;
  adapters?: { files: string[]; ms: number };
}

const repo = path.resolve(__dirname, '..', '..');

/** scripts/registrations.js on a Functions project folder (the repository's dist/ by default), with Node 22. */
export function loadRegistrations(root: string = repo): Loaded {
  const node22 = path.join(repo, 'node_modules', 'node', 'bin', 'node');
  const run = spawnSync(node22, [path.join(repo, 'scripts', 'registrations.js'), root], { encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`scripts/registrations.js failed (${run.status}):\n${run.stdout}${run.stderr}`);
  return JSON.parse(run.stdout) as Loaded;
}

/** The trigger binding of a registration (exactly one per function). */
export function triggerOf(r: Registration): Binding {
  const triggers = Object.values(r.bindings).filter((b) => b.direction === 'in' && b.type.endsWith('Trigger'));
  if (triggers.length !== 1) throw new Error(`${r.name}: ${triggers.length} trigger bindings`);
  return triggers[0]!;
}
