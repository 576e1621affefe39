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

/** A mean and its interval as text, e.g. '98.61% ± 0.70% (95% CI, 100 episodes)' (values times `scale`). */
export function formatCI(m: MeanCI, scale = 100, digits = 2, unit = '%'): string {
  return `${(m.mean * scale).toFixed(digits)}${unit} ± ${(m.ci95 * scale).toFixed(digits)}${unit} (95% CI, ${m.n} episodes)`;
}
