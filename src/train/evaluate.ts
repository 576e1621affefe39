import { tf } from '../engine/tf.js';
import type { Params } from '../nn/params.js';
import { accuracy } from '../engine/ops.js';
import { disposePredictive, episodeOutputs, episodePredictive, seedOfTensors } from '../meta/common.js';
import { presentationAccuracy } from '../meta/blackbox/mann_memory.js';
import { Rng } from '../engine/rng.js';
import type { MetaLearner, PredictiveDistribution } from '../meta/types.js';
import { type SupportQuery, disposeSupportQuery } from '../tasks/types.js';
import { type MeanCI, formatCI, meanCI } from '../engine/stats.js';
import {
  type CalibrationBins,
  addCalibrationBins,
  calibrationBins,
  categoricalNll,
  eceOfBins,
  gaussianMixtureNll,
  intervalCoverage,
} from '../engine/uncertainty.js';

/** Confidence bins of the expected calibration error (Guo et al. 2017 use 15). */
export const ECE_BINS = 15;

/**
 * Scores of the predictive distribution, each a mean over episodes with its 95% interval: negative
 * log-likelihood of the query targets (nats per target), and expected calibration error (classifiers)
 * or the fraction of targets inside the central 95% interval (regression).
 */
export interface UncertaintyResult {
  nll: MeanCI;
  /** Classification: ECE of each episode's queries, ECE_BINS equal-width bins. */
  ece?: MeanCI;
  /** Classification: ECE of all queries pooled, from `bins`. */
  pooledEce?: number;
  /** Classification: the confidence bins of all queries pooled, for a reliability diagram. */
  bins?: CalibrationBins;
  /** Regression: fraction of query targets inside the predictive's central 95% interval. */
  coverage95?: MeanCI;
}

/** Meta-test scores: the metric, its mean with a 95% interval, and each episode's score. */
export interface EvalResult {
  /** Accuracy for classification learners, mean squared error for regression ones. */
  metric: 'accuracy' | 'mse';
  summary: MeanCI;
  perEpisode: number[];
  /**
   * Present for classifiers (scored on their predictive, else on softmax of their logits) and for
   * regression learners with a predictive distribution (CNP, NP); absent for point regressors (MAML).
   */
  uncertainty?: UncertaintyResult;
}

/** [K, n, d] components, or one Gaussian as K = 1, as the flat arrays of the metrics. */
function mixtureValues(d: PredictiveDistribution & { kind: 'gaussian' }) {
  const means = d.components?.means ?? d.mean;
  const stds = d.components?.stds ?? d.std;
  const k = d.components ? means.shape[0] : 1;
  return { means: means.dataSync(), stds: stds.dataSync(), k };
}

/**
 * Meta-test: adapt on each episode's support set, score its queries. `episodes` is consumed lazily so a
 * large evaluation set need not sit in memory; `dispose` frees each episode after use. Learners with a
 * predictive distribution are scored on it (its mean for MSE, its probabilities for accuracy) and by
 * the metrics of UncertaintyResult.
 */
export function evaluate(
  learner: MetaLearner,
  theta: Params,
  episodes: Iterable<SupportQuery>,
  opts: { dispose?: boolean } = {},
): EvalResult {
  const metric = learner.loss === 'cross-entropy' ? 'accuracy' : 'mse';
  const ownPredictive = learner.episodePredictive !== undefined || learner.predictDistribution !== undefined;
  const scores: number[] = [];
  const nll: number[] = [];
  const ece: number[] = [];
  const coverage: number[] = [];
  let pooled: CalibrationBins | null = null;
  for (const ep of episodes) {
    const dist = ownPredictive ? episodePredictive(learner, theta, ep) : null;
    const out =
      dist === null ? episodeOutputs(learner, theta, ep) : dist.kind === 'gaussian' ? dist.mean : dist.probs;
    if (metric === 'accuracy') {
      scores.push(accuracy(out, ep.query.y));
      let probs: ArrayLike<number>;
      if (dist?.kind === 'categorical') probs = dist.probs.dataSync();
      else {
        const p = tf.softmax(out);
        probs = p.dataSync();
        p.dispose();
      }
      const labels = ep.query.y.dataSync();
      const ways = out.shape[1] as number;
      nll.push(categoricalNll(probs, labels, ways));
      const b = calibrationBins(probs, labels, ways, ECE_BINS);
      ece.push(eceOfBins(b));
      pooled = pooled === null ? b : addCalibrationBins(pooled, b);
    } else {
      scores.push(
        tf.tidy(() => tf.mean(tf.square(tf.sub(out, tf.reshape(ep.query.y, out.shape)))).dataSync()[0]),
      );
      if (dist?.kind === 'gaussian') {
        const y = ep.query.y.dataSync();
        const m = mixtureValues(dist);
        nll.push(gaussianMixtureNll(y, m));
        coverage.push(intervalCoverage(y, m, 0.95));
      }
    }
    if (dist) disposePredictive(dist);
    else out.dispose();
    if (opts.dispose) disposeSupportQuery(ep);
  }
  const result: EvalResult = { metric, summary: meanCI(scores), perEpisode: scores };
  if (metric === 'accuracy' && pooled) {
    result.uncertainty = { nll: meanCI(nll), ece: meanCI(ece), pooledEce: eceOfBins(pooled), bins: pooled };
  } else if (nll.length > 0) {
    result.uncertainty = { nll: meanCI(nll), coverage95: meanCI(coverage) };
  }
  return result;
}

/**
 * The uncertainty scores as one line, e.g. 'NLL 0.4213 ± 0.0512 (95% CI, 100 episodes); 95%-interval
 * coverage 93.10% ± 1.20% (95% CI, 100 episodes)'.
 */
export function formatUncertainty(u: UncertaintyResult): string {
  const parts = [`NLL ${formatCI(u.nll, 1, 4, '')}`];
  if (u.ece) {
    parts.push(
      `ECE ${formatCI(u.ece, 100, 2, '%')} (${ECE_BINS} bins; all queries pooled ${((u.pooledEce ?? NaN) * 100).toFixed(2)}%)`,
    );
  }
  if (u.coverage95) parts.push(`95%-interval coverage ${formatCI(u.coverage95)}`);
  return parts.join('; ');
}

/** The uncertainty scores as results files record them: means with CIs, and the pooled confidence bins. */
export function uncertaintyRecord(u: UncertaintyResult): Record<string, unknown> {
  const r: Record<string, unknown> = { nll: u.nll };
  if (u.ece) r.ece = { ...u.ece, bins: ECE_BINS, pooled: u.pooledEce, reliability: u.bins };
  if (u.coverage95) r.coverage95 = u.coverage95;
  return r;
}

/** Accuracy at each presentation of a class within labelled sequences (Santoro et al. 2016, Table 1). */
export interface PresentationResult {
  /** Presentations per class in each sequence (shot + query of the episodes). */
  presentations: number;
  /** Steps per sequence (ways x presentations). */
  steps: number;
  /** accuracy[k - 1]: accuracy at the k-th presentation of a class, mean over sequences with its 95% interval. */
  accuracy: MeanCI[];
}

/**
 * Meta-test of a sequence learner as in Santoro et al. 2016: each episode's support and query images
 * (ways x presentations of them) are shuffled into one sequence, in an order seeded by the episode's
 * pixels, and read with labels one step late; the prediction at the k-th appearance of a class is
 * scored as the k-th presentation. Each sequence's accuracy at presentation k is the fraction of its
 * classes right there; the result is their mean over sequences with a 95% interval. Sequences are run
 * `batch` at a time; `dispose` frees each episode after use.
 */
export function evaluatePresentations(
  learner: MetaLearner,
  theta: Params,
  episodes: Iterable<SupportQuery>,
  opts: { dispose?: boolean; batch?: number } = {},
): PresentationResult {
  if (!learner.sequenceLogits) {
    throw new Error(
      `evaluatePresentations: learner '${learner.name}' does not read labelled sequences (no sequenceLogits); use mann-memory`,
    );
  }
  const batchSize = opts.batch ?? 32;
  const perK: number[][] = [];
  let shape: { steps: number; ways: number; presentations: number } | null = null;
  let pending: SupportQuery[] = [];
  const flush = () => {
    if (pending.length === 0 || shape === null) return;
    const { steps, ways, presentations } = shape;
    const seqs = pending.map((ep) => {
      const order = new Rng(seedOfTensors([ep.support.x, ep.query.x])).shuffle(
        Array.from({ length: steps }, (_, i) => i),
      );
      return tf.tidy(() => {
        const idx = tf.tensor1d(order, 'int32');
        return {
          x: tf.gather(tf.concat([ep.support.x, ep.query.x], 0), idx),
          y: tf.gather(tf.concat([ep.support.y, ep.query.y], 0), idx),
        };
      });
    });
    const x = tf.stack(seqs.map((s) => s.x));
    const y = tf.stack(seqs.map((s) => s.y));
    tf.dispose(seqs.flatMap((s) => [s.x, s.y]));
    const logits = learner.sequenceLogits!(theta, x, y);
    const lv = logits.dataSync();
    const yv = y.dataSync();
    tf.dispose([x, y, logits]);
    for (let b = 0; b < pending.length; b++) {
      const one = presentationAccuracy(
        lv.subarray(b * steps * ways, (b + 1) * steps * ways),
        yv.subarray(b * steps, (b + 1) * steps),
        1,
        steps,
        ways,
        presentations,
      );
      for (let k = 0; k < presentations; k++) perK[k].push(one.correct[k] / one.total[k]);
    }
    if (opts.dispose) pending.forEach(disposeSupportQuery);
    pending = [];
  };
  for (const ep of episodes) {
    const ways = countClasses(ep);
    const steps = ep.support.x.shape[0] + ep.query.x.shape[0];
    const presentations = steps / ways;
    if (!Number.isInteger(presentations)) {
      throw new Error(
        `evaluatePresentations: an episode of ${steps} images over ${ways} classes does not present each class equally often`,
      );
    }
    if (shape === null) {
      shape = { steps, ways, presentations };
      for (let k = 0; k < presentations; k++) perK.push([]);
    } else if (shape.steps !== steps || shape.ways !== ways) {
      throw new Error(
        `evaluatePresentations: episodes must share one shape, got ${steps} images of ${ways} classes after ${shape.steps} of ${shape.ways}`,
      );
    }
    pending.push(ep);
    if (pending.length === batchSize) flush();
  }
  flush();
  if (shape === null) throw new Error('evaluatePresentations: no episodes');
  return { presentations: shape.presentations, steps: shape.steps, accuracy: perK.map((a) => meanCI(a)) };
}

/** Distinct labels of an episode's support and query sets. */
function countClasses(ep: SupportQuery): number {
  const s = new Set<number>();
  for (const v of ep.support.y.dataSync()) s.add(v);
  for (const v of ep.query.y.dataSync()) s.add(v);
  return s.size;
}
