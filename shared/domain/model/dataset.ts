/**
 * A labelled feature matrix: row-major, N_FEATURES (features/schema.ts) values per row in canonical order.
 * Typed arrays keep a million rows in ~60 MB and the hot loops free of boxing.
 */
export interface Dataset {
  n: number;
  x: Float64Array;
  y: Uint8Array;
}
