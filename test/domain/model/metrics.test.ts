import { brier, calibrationCurve, evaluate, liftAtTop, precisionAtK, rankDescending, rankingMetrics } from '../../../shared/domain/model/metrics';

// Expected values are scikit-learn's documented examples or computed by hand (shown in comments).
describe('metrics', () => {
  test('AUC-ROC and average precision on the scikit-learn documentation example', () => {
    const m = rankingMetrics([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]);
    expect(m.auc_roc).toBeCloseTo(0.75, 15); // roc_auc_score docs
    expect(m.pr_auc).toBeCloseTo(0.8333333333333333, 15); // average_precision_score docs
  });

  test('ties count one half in AUC and form one threshold in average precision', () => {
    // positives {0.9, 0.3}, negatives {0.9, 0.1}: pairs 0.5 + 1 + 0 + 1 = 2.5 of 4.
    // AP: threshold 0.9 → R 0.5, P 0.5; threshold 0.3 → R 1, P 2/3: 0.5·0.5 + 0.5·2/3.
    const m = rankingMetrics([0.9, 0.9, 0.3, 0.1], [1, 0, 1, 0]);
    expect(m.auc_roc).toBeCloseTo(0.625, 15);
    expect(m.pr_auc).toBeCloseTo(0.25 + 1 / 3, 15);
    const allTied = rankingMetrics([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1]);
    expect(allTied.auc_roc).toBe(0.5);
    expect(allTied.pr_auc).toBe(0.5);
  });

  test('AUC needs both classes', () => {
    expect(() => rankingMetrics([0.1, 0.2], [1, 1])).toThrow(/both classes/);
  });

  test('Brier score on the scikit-learn documentation example', () => {
    expect(brier([0.1, 0.9, 0.8, 0.3], [0, 1, 1, 0])).toBeCloseTo(0.0375, 15);
  });

  test('calibration curve bins as scikit-learn (documentation example, 3 bins)', () => {
    const y = [0, 0, 0, 0, 1, 1, 1, 1, 1];
    const p = [0.1, 0.2, 0.3, 0.4, 0.65, 0.7, 0.8, 0.9, 1.0];
    const curve = calibrationCurve(p, y, 3);
    expect(curve.map((b) => b.fraction_positive)).toEqual([0, 0.5, 1]);
    expect(curve[0]!.mean_predicted).toBeCloseTo(0.2, 15);
    expect(curve[1]!.mean_predicted).toBeCloseTo(0.525, 15);
    expect(curve[2]!.mean_predicted).toBeCloseTo(0.85, 15);
    expect(curve.map((b) => b.count)).toEqual([3, 2, 4]);
  });

  test('ten calibration bins with empty ones as null, and an edge value in the lower bin', () => {
    const curve = calibrationCurve([0.1, 0.95], [0, 1]);
    expect(curve).toHaveLength(10);
    expect(curve[0]).toEqual({ bin: 0, mean_predicted: 0.1, fraction_positive: 0, count: 1 });
    expect(curve[5]).toEqual({ bin: 5, mean_predicted: null, fraction_positive: null, count: 0 });
    expect(curve[9]!.count).toBe(1);
  });

  test('precision@K is the mean label of the K highest scores, null with fewer than K rows', () => {
    const scores = [0.9, 0.8, 0.7, 0.6, 0.5];
    const y = [1, 0, 1, 1, 0];
    const order = rankDescending(scores);
    expect(precisionAtK(order, y, 2)).toBe(0.5);
    expect(precisionAtK(order, y, 4)).toBe(0.75);
    expect(precisionAtK(order, y, 100)).toBeNull();
    // top 10% of 5 rows rounds up to 1 row: precision 1, base rate 3/5.
    expect(liftAtTop(order, y)).toBeCloseTo(1 / 0.6, 15);
  });

  test('evaluate reports null precision@100/200 on a small validation set instead of failing', () => {
    const e = evaluate([0.2, 0.7, 0.4], [0, 1, 0]);
    expect(e.precision_at_100).toBeNull();
    expect(e.precision_at_200).toBeNull();
    expect(e.auc_roc).toBe(1);
  });
});
