import { FEATURES, FEATURE_RANGES, type FeatureName } from './schema';

/**
 * How a feature value and a features header are read, wherever the product reads them: the
 * scorer, the quality gate, the training-set builder, the drift check and the file-mode trainer all
 * accept and reject exactly what these functions accept and reject (the byte-level readers are
 * tested against them).
 */

/**
 * A feature value: an optional sign, digits with an optional point (or a point and digits), an
 * optional exponent; nothing around it. No blanks, hex, `NaN` or `Infinity`.
 */
const VALUE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of `text`, or NaN when it is not a feature value or not finite (e.g. 1e400). */
export function parseFeatureValue(text: string): number {
  if (!VALUE.test(text)) return NaN;
  const v = Number(text);
  return Number.isFinite(v) ? v : NaN;
}

/** Why `text` is not a valid value of feature `name`, or undefined when it is. */
export function featureValueProblem(name: FeatureName, text: string, value: number): string | undefined {
  if (text.length === 0) return `${name}: empty`;
  if (Number.isNaN(value)) return `${name}: '${clip(text)}' is not a finite number`;
  const [lo, hi] = FEATURE_RANGES[name];
  if (value < lo || value > hi) return `${name}: ${clip(text)} outside [${lo}, ${hi}]`;
  return undefined;
}

/** A value as quoted in a message: long texts are cut so an error stays a line. */
export function clip(text: string, max = 40): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export const ID_COLUMNS = ['contact_id', 'as_of'] as const;
export const FEATURE_FILE_COLUMNS = [...ID_COLUMNS, ...FEATURES] as const;

/**
 * Where contact_id, as_of and the seven features sit in a features file's header: any order, other
 * columns ignored, each required column exactly once. Throws naming `where` and the column.
 */
export function featureColumns(header: readonly string[], where: string): number[] {
  const cleaned = header.map((h) => h.trim().replace(/^\uFEFF/, ''));
  const missing = FEATURE_FILE_COLUMNS.filter((c) => !cleaned.includes(c));
  if (missing.length > 0) throw new Error(`${where}: header lacks column(s) ${missing.join(', ')} (got: ${clip(cleaned.join(', '), 200)})`);
  const twice = FEATURE_FILE_COLUMNS.filter((c) => cleaned.indexOf(c) !== cleaned.lastIndexOf(c));
  if (twice.length > 0) throw new Error(`${where}: header has column(s) ${twice.join(', ')} more than once`);
  return FEATURE_FILE_COLUMNS.map((c) => cleaned.indexOf(c));
}
