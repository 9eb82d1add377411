import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Every file in functions/ must load (the host imports them all) and export its handler; a file
 * that throws at import would take every function of the app down with it.
 */
describe('functions/', () => {
  const dir = path.resolve(__dirname, '../../functions');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
  test.each(files)('%s loads', (file) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the host loads them as CommonJS too
    const mod = require(path.join(dir, file)) as Record<string, unknown>;
    if (file !== 'app.ts') expect(Object.values(mod).some((v) => typeof v === 'function')).toBe(true);
  });

  test('the expected triggers are all there', () => {
    expect(files.sort()).toEqual(
      [
        'app.ts',
        'checkDrift.ts',
        'clearChallenger.ts',
        'collectLabels.ts',
        'deployWeights.ts',
        'ingestFeatures.ts',
        'retrain.ts',
        'retrainWeekly.ts',
        'retrainWorker.ts',
        'openapi.ts',
        'rollbackWeights.ts',
        'runs.ts',
        'scoreContact.ts',
        'scoreFeatures.ts',
        'setChallenger.ts',
        'status.ts',
        'weights.ts',
        'weightsActive.ts',
      ].sort(),
    );
  });
});
