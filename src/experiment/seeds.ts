/**
 * The random streams of a run, each seeded from the run's `seed` so that they are independent of each
 * other and fixed across runs: every model trained with the same seed is validated and tested on the
 * same episodes. The offsets are part of what a saved run means; changing one changes every result.
 */

/** Training (parameter init, then the episodes of every step) uses the run's seed itself. */
export const trainingSeed = (seed: number): number => seed;

/** Offset of the fixed validation episodes (or tasks). */
export const VALIDATION_SEED_OFFSET = 1000;
/** Offset of the fixed meta-test episodes of the run itself. */
export const TEST_SEED_OFFSET = 2000;
/** Offset of the episode sets that `eval` draws later for other shapes. */
export const EVAL_SEED_OFFSET = 3000;

export const validationSeed = (seed: number): number => seed + VALIDATION_SEED_OFFSET;
export const testSeed = (seed: number): number => seed + TEST_SEED_OFFSET;

/**
 * The seed of `eval`'s N-way K-shot episode set: one set per shape, 97 (a prime above any practical
 * shot count) apart per way, so that different shapes do not share a stream.
 */
export const evalSeed = (seed: number, way: number, shot: number): number =>
  seed + EVAL_SEED_OFFSET + 97 * way + shot;
