/**
 * Scores of a predictive distribution, not only of its point prediction: negative log-likelihood,
 * expected calibration error (classification, Guo et al. 2017) and central-interval coverage
 * (regression). Plain numbers in, plain numbers out, so they are checked on hand-computed cases.
 */

const LOG_2PI = Math.log(2 * Math.PI);

/**
 * erf(x) by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7), enough for the CDF of a
 * predictive Gaussian at float32 precision.
 */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * a);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return s * (1 - poly * Math.exp(-a * a));
}

/** The standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * (1 + erf(z / Math.SQRT2));
}

/**
 * A predictive distribution of regression targets as an equal-weight mixture of K Gaussians per
 * value (K = 1 for a single Gaussian such as a CNP's; K latent samples for a neural process). `means`
 * and `stds` hold K blocks of n values each (component-major: index k * n + i).
 */
export interface GaussianMixtureValues {
  means: ArrayLike<number>;
  stds: ArrayLike<number>;
  /** Components per value. */
  k: number;
}

function checkMixture(y: ArrayLike<number>, m: GaussianMixtureValues, who: string): number {
  const n = y.length;
  if (!Number.isInteger(m.k) || m.k < 1) throw new Error(`${who}: k must be a positive integer, got ${m.k}`);
  if (m.means.length !== m.k * n || m.stds.length !== m.k * n) {
    throw new Error(
      `${who}: expected ${m.k} x ${n} means and stds for ${n} targets, got ${m.means.length} and ${m.stds.length}`,
    );
  }
  for (let j = 0; j < m.stds.length; j++) {
    if (!(m.stds[j] > 0)) throw new Error(`${who}: std ${m.stds[j]} at index ${j} is not positive`);
  }
  return n;
}

/** Mean over the n targets of -log p(y_i), p the mixture (1/K) sum_k N(m_ki, s_ki^2); log-sum-exp for stability. */
export function gaussianMixtureNll(y: ArrayLike<number>, m: GaussianMixtureValues): number {
  const n = checkMixture(y, m, 'gaussianMixtureNll');
  if (n === 0) return NaN;
  let total = 0;
  const lp = new Float64Array(m.k);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let c = 0; c < m.k; c++) {
      const s = m.stds[c * n + i];
      const z = (y[i] - m.means[c * n + i]) / s;
      lp[c] = -0.5 * LOG_2PI - Math.log(s) - 0.5 * z * z;
      if (lp[c] > mx) mx = lp[c];
    }
    let se = 0;
    for (let c = 0; c < m.k; c++) se += Math.exp(lp[c] - mx);
    total -= mx + Math.log(se) - Math.log(m.k);
  }
  return total / n;
}

/**
 * Fraction of the n targets inside the mixture's central `level` interval (0.95: between its 2.5% and
 * 97.5% quantiles), tested through its CDF, F(y) = (1/K) sum_k Phi((y - m_k) / s_k), so no quantile
 * need be solved for. A calibrated predictive covers about `level`.
 */
export function intervalCoverage(y: ArrayLike<number>, m: GaussianMixtureValues, level = 0.95): number {
  const n = checkMixture(y, m, 'intervalCoverage');
  if (!(level > 0 && level < 1)) throw new Error(`intervalCoverage: level must be in (0, 1), got ${level}`);
  if (n === 0) return NaN;
  const lo = (1 - level) / 2;
  const hi = 1 - lo;
  let inside = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let c = 0; c < m.k; c++) f += normalCdf((y[i] - m.means[c * n + i]) / m.stds[c * n + i]);
    f /= m.k;
    if (f >= lo && f <= hi) inside++;
  }
  return inside / n;
}

function checkProbs(probs: ArrayLike<number>, labels: ArrayLike<number>, ways: number, who: string): number {
  const n = labels.length;
  if (!Number.isInteger(ways) || ways < 2)
    throw new Error(`${who}: ways must be an integer >= 2, got ${ways}`);
  if (probs.length !== n * ways) {
    throw new Error(`${who}: expected ${n} x ${ways} probabilities for ${n} labels, got ${probs.length}`);
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isInteger(labels[i]) || labels[i] < 0 || labels[i] >= ways) {
      throw new Error(`${who}: label ${labels[i]} at index ${i} is not a class index in 0..${ways - 1}`);
    }
  }
  return n;
}

/** Mean over the n examples of -log p(label), probabilities [n, ways] row-major, floored at 1e-12. */
export function categoricalNll(probs: ArrayLike<number>, labels: ArrayLike<number>, ways: number): number {
  const n = checkProbs(probs, labels, ways, 'categoricalNll');
  if (n === 0) return NaN;
  let total = 0;
  for (let i = 0; i < n; i++) total -= Math.log(Math.max(probs[i * ways + labels[i]], 1e-12));
  return total / n;
}

/** Confidence histogram of a classifier: per bin, examples, summed confidence and correct predictions. */
export interface CalibrationBins {
  count: number[];
  confidence: number[];
  correct: number[];
}

/**
 * Equal-width confidence bins over [0, 1] (bin b holds confidences in (b/B, (b+1)/B], the first also 0):
 * the confidence is the top probability, correct when its class is the label (ties go to the lower
 * index, as argmax does).
 */
export function calibrationBins(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  ways: number,
  bins = 15,
): CalibrationBins {
  const n = checkProbs(probs, labels, ways, 'calibrationBins');
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`calibrationBins: bins must be a positive integer, got ${bins}`);
  const out: CalibrationBins = {
    count: new Array<number>(bins).fill(0),
    confidence: new Array<number>(bins).fill(0),
    correct: new Array<number>(bins).fill(0),
  };
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < ways; c++) if (probs[i * ways + c] > probs[i * ways + best]) best = c;
    const conf = probs[i * ways + best];
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(conf * bins) - 1));
    out.count[b]++;
    out.confidence[b] += conf;
    if (best === labels[i]) out.correct[b]++;
  }
  return out;
}

/** Adds the bins of `b` into `a` (pooled over episodes for a reliability diagram); returns `a`. */
export function addCalibrationBins(a: CalibrationBins, b: CalibrationBins): CalibrationBins {
  if (a.count.length !== b.count.length) throw new Error('addCalibrationBins: different numbers of bins');
  for (let i = 0; i < a.count.length; i++) {
    a.count[i] += b.count[i];
    a.confidence[i] += b.confidence[i];
    a.correct[i] += b.correct[i];
  }
  return a;
}

/** ECE = sum_b (n_b / n) |accuracy_b - confidence_b| over the bins (Guo et al. 2017; Naeini et al. 2015). */
export function eceOfBins(b: CalibrationBins): number {
  const n = b.count.reduce((s, c) => s + c, 0);
  if (n === 0) return NaN;
  let e = 0;
  for (let i = 0; i < b.count.length; i++) {
    if (b.count[i] > 0) e += Math.abs(b.correct[i] - b.confidence[i]) / n;
  }
  return e;
}

/** Expected calibration error of probabilities [n, ways] against labels, with `bins` equal-width bins (default 15). */
export function expectedCalibrationError(
  probs: ArrayLike<number>,
  labels: ArrayLike<number>,
  ways: number,
  bins = 15,
): number {
  return eceOfBins(calibrationBins(probs, labels, ways, bins));
}
