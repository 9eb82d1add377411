import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { LocalLake } from '../../shared/adapters/lake/local';
import { lakeContract } from './contract';

lakeContract('local folder', async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'leadscore-contract-'));
  return { lake: new LocalLake(root), cleanup: () => rmSync(root, { recursive: true, force: true }) };
});
