import { type MeanCI, meanCI } from '../engine/stats.js';

export type { MeanCI };

/** Whether multi-task training helped a task ('positive'), hurt it ('negative'), or neither significantly. */
export type Verdict = 'negative' | 'positive' | 'n.s.';

/** A 95% interval that excludes zero decides; otherwise the difference is not significant. */
export function verdictOf(gain: MeanCI): Verdict {
  if (!(gain.n > 1)) return 'n.s.';
  if (gain.mean + gain.ci95 < 0) return 'negative';
  if (gain.mean - gain.ci95 > 0) return 'positive';
  return 'n.s.';
}

/** Mean of independent estimates, with standard errors combined in quadrature. */
export function meanOfMeans(ms: readonly MeanCI[]): MeanCI {
  const k = ms.length;
  if (k === 0) return { mean: NaN, ci95: NaN, n: 0 };
  const mean = ms.reduce((a, m) => a + m.mean, 0) / k;
  const se = Math.sqrt(ms.reduce((a, m) => a + (m.ci95 / 1.96) ** 2, 0)) / k;
  return { mean, ci95: 1.96 * se, n: ms.reduce((a, m) => a + m.n, 0) };
}

export { meanCI };

function variance(xs: ArrayLike<number>, mean: number): number {
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return xs.length > 1 ? v / (xs.length - 1) : 0;
}

/**
 * Mean and 95% interval of per-example scores from several training seeds on the same test rows.
 * Two independent sources of error are added: which test rows were drawn (the variance over rows of
 * each row's seed-averaged score, / rows) and which seeds were run (the variance over seeds of each
 * seed's mean, / seeds). Pooling (seed, row) pairs as if independent would count every row once per
 * seed and give intervals that are too narrow. With one seed only the first term is known.
 */
export function seedRowCI(perSeed: readonly ArrayLike<number>[]): MeanCI {
  const S = perSeed.length;
  if (S === 0) return { mean: NaN, ci95: NaN, n: 0 };
  const n = perSeed[0].length;
  for (const a of perSeed)
    if (a.length !== n) throw new Error(`seedRowCI: seeds scored ${a.length} and ${n} rows`);
  if (n === 0) return { mean: NaN, ci95: NaN, n: 0 };
  const rowMeans = new Float64Array(n);
  const seedMeans = new Float64Array(S);
  perSeed.forEach((a, s) => {
    let t = 0;
    for (let j = 0; j < n; j++) {
      rowMeans[j] += a[j] / S;
      t += a[j];
    }
    seedMeans[s] = t / n;
  });
  let mean = 0;
  for (let j = 0; j < n; j++) mean += rowMeans[j] / n;
  const se2 = variance(rowMeans, mean) / n + (S > 1 ? variance(seedMeans, mean) / S : 0);
  return { mean, ci95: 1.96 * Math.sqrt(se2), n };
}

/** Accuracy in percent (gains in percentage points), MSE in the target's units squared. */
export function formatMetric(m: MeanCI, metric: 'accuracy' | 'mse', withCi = true): string {
  const scale = metric === 'accuracy' ? 100 : 1;
  const digits = metric === 'accuracy' ? 1 : 2;
  const v = (m.mean * scale).toFixed(digits);
  return withCi ? `${v} ± ${(m.ci95 * scale).toFixed(digits)}` : v;
}
