import type { ChallengerReport } from '../../shared/domain/model/challenger';
import { renderChallengerPage } from '../../shared/report/challengerPage';

/** The challenger's page: the day's verdict and both versions' numbers, everything from the input escaped. */
const REPORT: ChallengerReport = {
  date: '2026-03-01',
  champion: 2,
  challenger: 3,
  from: '2026-02-01',
  to: '2026-02-22',
  n: 6117,
  positives: 512,
  auc_champion: 0.882,
  auc_challenger: 0.8904,
  auc_diff: 0.0084,
  delong: {
    n: 6117,
    positives: 512,
    negatives: 5605,
    var_a: 1.2e-5,
    var_b: 1.1e-5,
    cov_ab: 1.0e-5,
    var_diff: 3.0e-6,
    z: 3.32,
    p_value: 0.0009,
    ci95: [0.005, 0.0118],
  },
  p_value: 0.0009,
  models: {
    champion: { version: 2, auc: 0.882, pr_auc: 0.41, brier: 0.061, top10_positive_rate: 0.38 },
    challenger: { version: 3, auc: 0.8904, pr_auc: 0.43, brier: 0.059, top10_positive_rate: 0.4 },
  },
  decision: 'promote',
  reason: 'better by 0.0084 <b>AUC</b>',
  ready: false,
  action: 'deployed',
};

test('a promotion: the badge, both versions side by side with the difference, DeLong, and the reason escaped', () => {
  const html = renderChallengerPage(REPORT);
  expect(html).toContain('<h1>Champion v2 and challenger v3</h1>');
  expect(html).toContain('<span class="badge pass">promote</span>');
  expect(html).toContain('<tr><td>AUC-ROC</td><td class="num">0.8820</td><td class="num">0.8904</td><td class="good">+0.0084</td></tr>');
  // A lower Brier is better, so its negative difference is good.
  expect(html).toContain('<tr><td>Brier score</td><td class="num">0.0610</td><td class="num">0.0590</td><td class="good">−0.0020</td></tr>');
  expect(html).toContain('<td>p-value (two-sided)</td><td class="num">0.000900</td>');
  expect(html).toContain('6,117 matured sends (512 positive), sent 2026-02-01 .. 2026-02-22');
  expect(html).toContain('better by 0.0084 &lt;b&gt;AUC&lt;/b&gt;');
  expect(html).not.toContain('<b>AUC</b>');
  expect(html).toContain('deployed v3');
});

test('nothing to compare yet, and a retirement', () => {
  const empty = renderChallengerPage({
    ...REPORT,
    n: 0,
    positives: 0,
    to: null,
    auc_diff: null,
    delong: null,
    models: null,
    decision: 'continue',
    action: 'none',
  });
  expect(empty).toContain('<span class="badge neutral">continue</span>');
  expect(empty).toContain('Nothing to compare yet');
  expect(empty).toContain('(none labelled yet)');
  const retired = renderChallengerPage({ ...REPORT, decision: 'retire', action: 'retired' });
  expect(retired).toContain('<span class="badge fail">retire</span>');
  expect(retired).toContain('ended v3 as the challenger');
});
