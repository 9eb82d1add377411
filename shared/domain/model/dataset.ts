import { N_FEATURES } from '../features/schema';

/**
 * A labelled feature matrix: row-major, N_FEATURES values per row in canonical order.
 * Typed arrays keep a million rows in ~60 MB and the hot loops free of boxing.
 */
export interface Dataset {
  n: number;
  x: Float64Array;
  y: Uint8Array;
}

export function makeDataset(n: number): Dataset {
  return { n, x: new Float64Array(n * N_FEATURES), y: new Uint8Array(n) };
}
