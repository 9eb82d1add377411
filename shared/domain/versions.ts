/**
 * A model version as text: a plain positive integer of at most nine digits (so it always fits SQL's
 * INT), and nothing else — no sign, spaces, leading zero, fraction, exponent or 0x/0b/0o prefix, each
 * of which `Number` would read as a number. The route, the rollback body and the CLI all read it so.
 */
export const VERSION_PATTERN = /^[1-9][0-9]{0,8}$/;
export const VERSION_MESSAGE = 'must be a version number: a positive integer written plainly (1 to 999999999)';

/** The version `text` names, or undefined when it is not written as VERSION_PATTERN requires. */
export function parseVersionNumber(text: string): number | undefined {
  return VERSION_PATTERN.test(text) ? Number(text) : undefined;
}
