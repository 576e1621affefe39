/** Mean with a normal-approximation 95% confidence interval (1.96 standard errors). */
export interface MeanCI {
  mean: number;
  ci95: number;
  n: number;
}

/** Mean of `xs` and the half-width of its normal-approximation 95% confidence interval. */
export function meanCI(xs: ArrayLike<number>): MeanCI {
  const n = xs.length;
  if (n === 0) return { mean: NaN, ci95: NaN, n: 0 };
  let s = 0;
  for (let i = 0; i < n; i++) s += xs[i];
  const mean = s / n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (xs[i] - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  return { mean, ci95: (1.96 * sd) / Math.sqrt(n), n };
}

/**
 * The paired comparison of two scores on the same episodes: the mean of b - a episode by episode with
 * its normal-approximation 95% interval (narrower than the two separate intervals when the episodes'
 * difficulty is shared), and how many episodes b scored higher, equal or lower.
 */
export interface PairedDifference extends MeanCI {
  higher: number;
  equal: number;
  lower: number;
}

export function pairedDifference(a: ArrayLike<number>, b: ArrayLike<number>): PairedDifference {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} scores against ${b.length}`);
  const d = Array.from(b, (v, i) => v - a[i]);
  return {
    ...meanCI(d),
    higher: d.filter((v) => v > 0).length,
    equal: d.filter((v) => v === 0).length,
    lower: d.filter((v) => v < 0).length,
  };
}

/** A mean and its interval as text, e.g. '98.61% ± 0.70% (95% CI, 100 episodes)' (values times `scale`). */
export function formatCI(m: MeanCI, scale = 100, digits = 2, unit = '%'): string {
  return `${(m.mean * scale).toFixed(digits)}${unit} ± ${(m.ci95 * scale).toFixed(digits)}${unit} (95% CI, ${m.n} episodes)`;
}
