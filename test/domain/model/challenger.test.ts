import { challengerDecision, DEFAULT_PROMOTION_RULE, topShareRate } from '../../../shared/domain/model/challenger';

const rule = DEFAULT_PROMOTION_RULE;

describe('the promotion rule', () => {
  test('defaults: 2000 sends, alpha 0.05, a gain of at least 0.005', () => {
    expect(rule).toEqual({ minSends: 2000, alpha: 0.05, minAucGain: 0.005 });
  });

  test('better and significant, by less than minAucGain: continue; at minAucGain: promote', () => {
    const small = challengerDecision({ n: 6117, auc_diff: 0.0018, p_value: 0.015 }, rule, true);
    expect(small).toEqual({
      decision: 'continue',
      reason: 'the challenger ranks better, but by less than the 0.005 that promotes: AUC difference 0.0018 (challenger − champion), p = 0.015, 6117 sends',
    });
    expect(challengerDecision({ n: 6117, auc_diff: 0.005, p_value: 0.015 }, rule, true).decision).toBe('promote');
    expect(challengerDecision({ n: 6117, auc_diff: 0.0018, p_value: 0.015 }, { ...rule, minAucGain: 0 }, true).decision).toBe('promote');
    expect(() => challengerDecision({ n: 1, auc_diff: 0, p_value: 1 }, { ...rule, minAucGain: -1 }, true)).toThrow(/minAucGain/);
  });

  test('promote: enough sends, better, significant, gates passed; the reason names the numbers', () => {
    const d = challengerDecision({ n: 2500, auc_diff: 0.031, p_value: 0.004 }, rule, true);
    expect(d.decision).toBe('promote');
    expect(d.reason).toBe('the challenger ranks better: AUC difference 0.031 (challenger − champion), p = 0.004, 2500 sends, p < 0.05, gates passed');
  });

  test('better and significant but a gate failed: continue', () => {
    const d = challengerDecision({ n: 2500, auc_diff: 0.031, p_value: 0.004 }, rule, false);
    expect(d.decision).toBe('continue');
    expect(d.reason).toMatch(/failed a gate/);
  });

  test('retire: enough sends, worse, significant (gates do not matter)', () => {
    for (const gates of [true, false]) {
      const d = challengerDecision({ n: 3000, auc_diff: -0.02, p_value: 0.01 }, rule, gates);
      expect(d).toEqual({
        decision: 'retire',
        reason: 'the challenger ranks worse: AUC difference -0.02 (challenger − champion), p = 0.01, 3000 sends, p < 0.05',
      });
    }
  });

  test('continue: not significant, either way, or no difference', () => {
    for (const auc_diff of [0.01, -0.01, 0]) {
      const d = challengerDecision({ n: 5000, auc_diff, p_value: 0.2 }, rule, true);
      expect(d.decision).toBe('continue');
      expect(d.reason).toMatch(/^no significant difference yet: .*p = 0\.2, 5000 sends, p ≥ 0\.05$/);
    }
    expect(challengerDecision({ n: 5000, auc_diff: 0, p_value: 1 }, rule, true).decision).toBe('continue');
  });

  test('below minSends nothing is decided, not even a clear loss', () => {
    for (const auc_diff of [0.1, -0.1]) {
      const d = challengerDecision({ n: 1999, auc_diff, p_value: 1e-9 }, rule, true);
      expect(d.decision).toBe('continue');
      expect(d.reason).toMatch(/^1999 sends of the 2000 needed before a decision; so far AUC difference/);
    }
  });

  test('boundaries: n = minSends decides; p = alpha does not (p < alpha is strict)', () => {
    expect(challengerDecision({ n: 2000, auc_diff: 0.01, p_value: 0.0499 }, rule, true).decision).toBe('promote');
    expect(challengerDecision({ n: 2000, auc_diff: -0.01, p_value: 0.0499 }, rule, true).decision).toBe('retire');
    expect(challengerDecision({ n: 2000, auc_diff: 0.01, p_value: 0.05 }, rule, true).decision).toBe('continue');
    expect(challengerDecision({ n: 2000, auc_diff: -0.01, p_value: 0.05 }, rule, true).decision).toBe('continue');
    expect(challengerDecision({ n: 10, auc_diff: 0.01, p_value: 0.01 }, { minSends: 10, alpha: 0.02, minAucGain: 0 }, true).decision).toBe('promote');
  });

  test('a bad rule is refused', () => {
    expect(() => challengerDecision({ n: 1, auc_diff: 0, p_value: 1 }, { minSends: -1, alpha: 0.05, minAucGain: 0 }, true)).toThrow(/minSends/);
    expect(() => challengerDecision({ n: 1, auc_diff: 0, p_value: 1 }, { minSends: 1.5, alpha: 0.05, minAucGain: 0 }, true)).toThrow(/minSends/);
    expect(() => challengerDecision({ n: 1, auc_diff: 0, p_value: 1 }, { minSends: 1, alpha: 0, minAucGain: 0 }, true)).toThrow(/alpha/);
    expect(() => challengerDecision({ n: 1, auc_diff: 0, p_value: 1 }, { minSends: 1, alpha: 1, minAucGain: 0 }, true)).toThrow(/alpha/);
  });
});

describe('topShareRate', () => {
  test('by hand: 20 rows, top 10 % = the 2 best, one of them positive → 0.5', () => {
    const scores = Array.from({ length: 20 }, (_, i) => i / 20); // 0, 0.05, …, 0.95
    const y = scores.map((_, i) => (i === 19 || i < 5 ? 1 : 0)); // best row positive, 2nd best negative
    expect(topShareRate(scores, y)).toBe(0.5);
    expect(topShareRate(scores, y, 0.05)).toBe(1); // the single best
    expect(topShareRate(scores, y, 1)).toBe(6 / 20); // everybody: the base rate
  });

  test('ties with the k-th score are all included, in any row order: k = 2 but 4 rows at or above 0.8', () => {
    // scores best first: 0.9, 0.8, 0.8, 0.8, then 16 rows at 0.1; labels 0, 1, 1, 0 → 2/4.
    const scores = [0.8, 0.1, 0.9, 0.8, 0.8, ...new Array<number>(15).fill(0.1)];
    const y = [1, 0, 0, 1, 0, ...new Array<number>(15).fill(1)];
    expect(topShareRate(scores, y)).toBe(2 / 4);
    expect(topShareRate([...scores].reverse(), [...y].reverse())).toBe(2 / 4);
  });

  test('k = ⌈share·N⌉, at least 1, with 0.1 × 30 taken as 3 rows (not 4)', () => {
    const scores = Array.from({ length: 30 }, (_, i) => 30 - i); // distinct, best first
    const y = scores.map((_, i) => (i === 3 ? 1 : 0)); // only the 4th best is positive
    expect(topShareRate(scores, y)).toBe(0); // the top 3 exclude it
    expect(topShareRate(scores.slice(0, 11), [0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0])).toBe(0.5); // 11 rows → ⌈1.1⌉ = 2, the 2nd best positive
    expect(topShareRate([5, 4, 3], [1, 0, 0])).toBe(1); // ⌈0.3⌉ = 1
  });

  test('clear errors', () => {
    expect(() => topShareRate([1, 2], [1])).toThrow(/2 scores, 1 labels/);
    expect(() => topShareRate([], [])).toThrow(/at least one row/);
    expect(() => topShareRate([1], [1], 0)).toThrow(/share must be in \(0, 1\]/);
    expect(() => topShareRate([1, NaN], [1, 0])).toThrow(/finite scores/);
  });
});
