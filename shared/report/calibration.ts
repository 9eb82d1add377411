import type { CalibrationChecks, CalibrationRecord } from '../domain/model/calibration';
import { escapeHtml, fmt } from './charts';

/**
 * The report's "Calibration" section: the checks on validation before and after Platt scaling, with their
 * thresholds, and what the trainer did (docs/architecture.md, "Training recipe").
 */
export function calibrationSection(c: CalibrationRecord | undefined, folds = 5): string {
  if (!c) return '<p class="muted">This version was trained before the calibration checks were recorded.</p>';
  const t = c.thresholds;
  const row = (label: string, limit: string, pick: (m: CalibrationChecks) => number, fired: boolean | null): string =>
    `<tr><td>${escapeHtml(label)}</td><td class="num">${escapeHtml(limit)}</td><td class="num strong">${fmt(pick(c.before))}</td><td class="num">${
      c.after ? fmt(pick(c.after)) : '–'
    }</td><td>${fired === null ? '' : fired ? '<span class="badge fail">exceeded</span>' : '<span class="badge pass">within</span>'}</td></tr>`;
  const on = (k: CalibrationRecord['triggers'][number]): boolean => c.triggers.includes(k);
  const table = `<table><tr><th>Check on validation</th><th>Threshold</th><th>Uncalibrated</th><th>Platt, held out</th><th>Before</th></tr>${[
    row('Expected calibration error (10 equal-count bins)', `≤ ${t.max_ece}`, (m) => m.ece, on('ece')),
    row('Calibration slope', `1 ± ${t.max_slope_deviation}`, (m) => m.slope, on('slope')),
    row('Calibration-in-the-large (log-odds)', `0 ± ${t.max_intercept}`, (m) => m.intercept, on('intercept')),
    row('Brier score', `≤ ${t.max_brier}`, (m) => m.brier, on('brier')),
    row('Log-loss', 'must fall for Platt to be kept', (m) => m.log_loss, null),
  ].join('')}</table>`;
  const verdict = c.applied
    ? `<span class="badge pass">Platt scaling applied</span>`
    : c.after
      ? `<span class="badge fail">Platt scaling tried and rejected</span>`
      : `<span class="badge neutral">Platt scaling not needed</span>`;
  return `<p>${verdict}</p>
${table}
<p class="muted">${escapeHtml(c.reason)}.</p>
<p class="muted">Platt scaling is tried when any check exceeds its threshold. It is fitted to the validation rows' logits (the newest data, which training cannot see), and the "Platt, held out" column scores each of ${folds} stratified validation folds with the fit on the other ${folds - 1}. It is kept only when that held-out log-loss is lower than the uncalibrated model's and its slope a is positive; then a·z + b is folded into the weights and offset, so the served score stays one weighted sum. When it is kept, the validation metrics above are those of the calibrated weights: a and b were fitted on these rows, which leaves AUC, PR-AUC and precision unchanged (the order is the same) and makes Brier slightly optimistic.</p>`;
}
