import type { CalibrationRecord } from '../../shared/domain/model/calibration';
import { renderReport } from '../../shared/report/report';
import { reportFixture } from './fixture';

const before = { ece: 0.0173, slope: 0.7669, intercept: -0.3006, log_loss: 0.1884, brier: 0.0524 };
const thresholds = { max_ece: 0.01, max_slope_deviation: 0.2, max_intercept: 0.2, max_brier: 0.2 };

function withCalibration(c: CalibrationRecord | undefined): string {
  const input = reportFixture();
  input.metrics = { ...input.metrics, ...(c ? { calibration: c } : {}) };
  if (c?.applied) input.artifact = { ...input.artifact, calibration: c.platt };
  return renderReport(input);
}

describe('report: Calibration section', () => {
  test('applied: the checks before and held out after, with thresholds, which fired, and the reason', () => {
    const html = withCalibration({
      thresholds,
      before,
      after: { ece: 0.0083, slope: 0.9991, intercept: -0.0002, log_loss: 0.1838, brier: 0.05 },
      triggers: ['ece', 'slope', 'intercept'],
      platt: { a: 0.766, b: -0.73 },
      applied: true,
      reason: 'ECE 0.0173 > 0.01: Platt scaling (a = 0.7660, b = -0.7300) lowered validation log-loss 0.1884 → 0.1838 (held out): applied',
    });
    expect(html).toContain('<h2>Calibration</h2>');
    expect(html).toContain('Platt scaling applied');
    expect(html).toMatch(
      /Calibration slope<\/td><td class="num">1 ± 0.2<\/td><td class="num strong">0.7669<\/td><td class="num">0.9991<\/td><td><span class="badge fail">exceeded/,
    );
    expect(html).toMatch(
      /Brier score<\/td><td class="num">≤ 0.2<\/td><td class="num strong">0.0524<\/td><td class="num">0.0500<\/td><td><span class="badge pass">within/,
    );
    expect(html).toContain('lowered validation log-loss 0.1884 → 0.1838 (held out): applied.');
    expect(html).toContain('Platt scaling folded into the weights (a = 0.7660, b = -0.7300)');
  });

  test('rejected and not tried say so; an older metrics file without the block still renders', () => {
    const rejected = withCalibration({
      thresholds,
      before,
      after: { ...before, log_loss: 0.19 },
      triggers: ['ece'],
      platt: { a: 1.1, b: 0 },
      applied: false,
      reason: 'r',
    });
    expect(rejected).toContain('Platt scaling tried and rejected');
    const none = withCalibration({ thresholds, before, after: null, triggers: [], platt: null, applied: false, reason: 'n' });
    expect(none).toContain('Platt scaling not needed');
    expect(none).toMatch(/Log-loss<\/td><td class="num">must fall for Platt to be kept<\/td><td class="num strong">0.1884<\/td><td class="num">–<\/td>/);
    expect(withCalibration(undefined)).toContain('trained before the calibration checks were recorded');
  });
});
