import { binLabels, renderReport, scoreHistogram, weightInterval } from '../../shared/report/report';
import { reportFixture } from './fixture';

describe('renderReport', () => {
  const html = renderReport(reportFixture());

  it('is one self-contained page: no external scripts, styles, images or links', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).not.toMatch(/\b(?:src|href|xlink:href)\s*=\s*["']?\s*(?:https?:)?\/\//i);
    expect(html).not.toMatch(/url\(\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import/i);
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<link\b/i);
  });

  it('draws one SVG per chart: ROC, PR, calibration, score histogram, weights, and a PSI baseline per feature and score', () => {
    const svgs = html.match(/<svg\b/g) ?? [];
    expect(svgs).toHaveLength(5 + 8);
    for (const title of [
      'ROC curve',
      'Precision–recall curve',
      'Calibration (10 bins)',
      'Score distribution on validation rows',
      'Effect of one standard deviation',
    ]) {
      expect(html).toContain(title);
    }
  });

  it('shows every gate, the metrics against the baseline and production, and each weight with its interval', () => {
    for (const gate of ['data sufficiency', 'data quality', 'learns something', 'safety', 'approval']) expect(html).toContain(`<td>${gate}</td>`);
    expect(html).toContain('<th>Production v2</th>');
    // recency_days: -0.021 ± 1.96 × 0.002 = [-0.02492, -0.01708]
    expect(html).toContain('[-0.02492, -0.01708]');
  });

  it('escapes text that comes from the run', () => {
    const input = reportFixture();
    input.trigger = 'alert "high PSI" & <b>';
    input.gates = [{ name: 'safety <gate>', passed: false, detail: '<script>alert(1)</script>' }];
    const page = renderReport(input);
    expect(page).not.toContain('<script>alert(1)</script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).toContain('alert &quot;high PSI&quot; &amp; &lt;b&gt;');
    expect(page).toContain('safety &lt;gate&gt;');
    expect(page).toContain('<span class="badge fail">failed</span>');
  });

  it('refuses an artifact whose weights and features disagree', () => {
    const input = reportFixture();
    input.artifact.raw_weights = input.artifact.raw_weights.slice(1);
    expect(() => renderReport(input)).toThrow(/differ in length/);
  });
});

describe('the report tells the truth', () => {
  const html = renderReport(reportFixture());
  const text = html.replace(/<svg[\s\S]*?<\/svg>/g, '').replace(/<[^>]+>/g, ' ');

  it('states no deployment status, which changes after it is written, and says where to find it', () => {
    expect(text).not.toMatch(/\b(?:active|staged|retired)\b/i);
    expect(text).toMatch(/written once, when the version is trained/);
    expect(html).toContain('<code>GET /api/status</code>');
    expect(text).toMatch(/passed every gate|blocked by a gate/);
  });

  it('describes the equal-weights baseline as domain/model/baseline.ts computes it', () => {
    expect(text).toMatch(/rescales each feature to \[0, 1\] by its documented range/);
    expect(text).toMatch(/sign of its training correlation with the label, and averages the seven/);
    expect(text).not.toMatch(/standardized feature ±1/);
  });
});

describe('the grades section', () => {
  const input = reportFixture();
  const html = renderReport(input);
  const section = html.slice(html.indexOf('<h2>Grades</h2>'), html.indexOf('<h2>Ranking and calibration</h2>'));

  it('shows each grade with its threshold, training rows, and validation rows, positives, rate and lift', () => {
    const g = input.artifact.grades!;
    const z = input.validScores;
    const y = input.validation.labels;
    const base = input.metrics.positive_rate;
    const bounds = [Infinity, ...g.min_lead_score, -Infinity];
    ['A', 'B', 'C', 'D'].forEach((name, k) => {
      // Counted here from the validation rows' scores.
      const idx = Array.from(z, (_, i) => i).filter((i) => z[i]! >= bounds[k + 1]! && z[i]! < bounds[k]!);
      const pos = idx.filter((i) => y[i] === 1).length;
      const row = section.slice(section.indexOf(`<td class="strong">${name}</td>`)).split('</tr>')[0]!;
      const cells = [...row.matchAll(/<td[^>]*>([^<]*)<\/td>/g)].map((m) => m[1]);
      const share = (100 * g.training_rows[k]!) / 41_250;
      expect(cells).toEqual([
        name,
        k < 3 ? `≥ ${g.min_lead_score[k]!.toFixed(4)}` : `below ${g.min_lead_score[2]!.toFixed(4)}`,
        k < 3 ? `≥ ${(1 / (1 + Math.exp(-g.min_lead_score[k]!))).toFixed(4)}` : `below ${(1 / (1 + Math.exp(-g.min_lead_score[2]!))).toFixed(4)}`,
        `${g.training_rows[k]!.toLocaleString('en-US')} (${share.toFixed(1)}%)`,
        idx.length.toLocaleString('en-US'),
        pos.toLocaleString('en-US'),
        (pos / idx.length).toFixed(3),
        `${(pos / idx.length / base).toFixed(2)}×`,
      ]);
    });
    expect(section).toContain('A is the top 5%, B the next 15%, C the next 30%, D the rest (GRADE_SHARES)');
  });

  it('says so when the version has no thresholds', () => {
    const none = reportFixture();
    none.artifact.grades = null;
    expect(renderReport(none)).toContain('This version has no grade thresholds: its served grade is NULL.');
  });
});

describe('report helpers', () => {
  it('counts validation rows per score_100 bin of width 5 by label', () => {
    const { positives, negatives } = scoreHistogram([0, 0.049, 0.05, 0.5, 1, 0.999], [1, 0, 1, 0, 1, 1]);
    expect(positives[0]).toBe(1); // 0
    expect(negatives[0]).toBe(1); // 0.049
    expect(positives[1]).toBe(1); // 0.05 opens bin 5-10
    expect(negatives[10]).toBe(1); // 0.5
    expect(positives[19]).toBe(2); // 0.999 and 1 (the top bin is closed)
    expect(positives.reduce((a, b) => a + b) + negatives.reduce((a, b) => a + b)).toBe(6);
    expect(() => scoreHistogram([0.2, 1.5], [0, 1])).toThrow(/index 1 is 1.5/);
    expect(() => scoreHistogram([0.2], [0, 1])).toThrow(/1 probabilities but 2 labels/);
  });

  it('computes the 95% interval as weight ± 1.96·se', () => {
    const [lo, hi] = weightInterval(2.1, 0.4);
    expect(lo).toBeCloseTo(1.316, 12);
    expect(hi).toBeCloseTo(2.884, 12);
  });

  it('labels the PSI bins (-inf, e1], (e1, e2], ..., (ek, +inf)', () => {
    expect(binLabels([0, 30, 60])).toEqual(['≤ 0', '0–30', '30–60', '> 60']);
    expect(binLabels([0.123456])).toEqual(['≤ 0.1235', '> 0.1235']);
  });
});
