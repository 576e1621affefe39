// The predictive-uncertainty metrics (src/engine/uncertainty.ts) on cases computed by hand.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  addCalibrationBins,
  calibrationBins,
  categoricalNll,
  eceOfBins,
  erf,
  expectedCalibrationError,
  gaussianMixtureNll,
  intervalCoverage,
  normalCdf,
} from '../src/engine/uncertainty.js';

const near = (a: number, b: number, tol: number, what: string) =>
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

describe('predictive-uncertainty metrics', () => {
  it('erf and the normal CDF at known points', () => {
    near(erf(0), 0, 1e-9, 'erf(0)');
    near(erf(1), 0.8427007929, 2e-7, 'erf(1)');
    near(erf(-0.5), -0.5204998778, 2e-7, 'erf(-0.5)');
    near(normalCdf(1.959964), 0.975, 2e-7, 'Phi(1.96)');
    near(normalCdf(-1), 0.1586552539, 2e-7, 'Phi(-1)');
  });

  it('Gaussian NLL: one component is the Gaussian density, two average their densities', () => {
    // -log N(0 | 0, 1) = 0.5 log(2 pi) = 0.918939; -log N(3 | 1, 2^2) = 0.5 log(2 pi) + log 2 + 0.5 = 2.112086.
    near(
      gaussianMixtureNll([0, 3], { means: [0, 1], stds: [1, 2], k: 1 }),
      (0.918939 + 2.112086) / 2,
      1e-6,
      'K=1',
    );
    // y = 0 under 0.5 N(0, 1) + 0.5 N(2, 1): densities 0.398942 and 0.053991, mean 0.2264665, -log = 1.485158.
    near(gaussianMixtureNll([0], { means: [0, 2], stds: [1, 1], k: 2 }), 1.485158, 1e-5, 'K=2');
    // Far in the tail the log-sum-exp stays finite: -log N(40 | 0, 1) = 800.918939.
    near(gaussianMixtureNll([40], { means: [0, 0], stds: [1, 1], k: 2 }), 800.918939, 1e-6, 'tail');
  });

  it('95% coverage counts the targets inside the central interval', () => {
    // N(0, 1): 1.9 is inside (|z| < 1.96), 2.0 and -2.5 are outside, 0 is inside: 2 of 4.
    assert.equal(
      intervalCoverage([1.9, 2.0, -2.5, 0], { means: [0, 0, 0, 0], stds: [1, 1, 1, 1], k: 1 }),
      0.5,
    );
    // Per-target stds: y = 3 with std 2 is at z = 1.5, inside; with std 1 at z = 3, outside.
    assert.equal(intervalCoverage([3, 3], { means: [0, 0], stds: [2, 1], k: 1 }), 0.5);
    // Mixture 0.5 N(-5, 1) + 0.5 N(5, 1): y = 0 has F = 0.5 (inside), y = 6.5 has F = 0.5 + 0.5 Phi(1.5) = 0.966 (inside),
    // y = 7.5 has F = 0.5 + 0.5 Phi(2.5) = 0.9969 (outside).
    assert.equal(
      intervalCoverage([0, 6.5, 7.5], { means: [-5, -5, -5, 5, 5, 5], stds: [1, 1, 1, 1, 1, 1], k: 2 }),
      2 / 3,
    );
    // A 50% interval: |z| < 0.6745.
    assert.equal(intervalCoverage([0.6, 0.7], { means: [0, 0], stds: [1, 1], k: 1 }, 0.5), 0.5);
  });

  it('categorical NLL is the mean of -log p(label)', () => {
    // -(log 0.7 + log 0.4) / 2 = (0.356675 + 0.916291) / 2.
    near(categoricalNll([0.7, 0.2, 0.1, 0.3, 0.4, 0.3], [0, 1], 3), (0.356675 + 0.916291) / 2, 1e-6, 'nll');
  });

  it('ECE: |accuracy - confidence| per bin, weighted by its share of examples', () => {
    // Four examples, 10 bins. Two with confidence 0.9 (bin 8), one right, one wrong: |0.5 - 0.9| = 0.4.
    // Two with confidence 0.6 (bin 5), both right: |1 - 0.6| = 0.4. ECE = 0.5 * 0.4 + 0.5 * 0.4 = 0.4.
    const probs = [0.9, 0.1, 0.1, 0.9, 0.6, 0.4, 0.4, 0.6];
    const labels = [0, 0, 0, 1];
    near(expectedCalibrationError(probs, labels, 2, 10), 0.4, 1e-12, 'ece');
    const b = calibrationBins(probs, labels, 2, 10);
    assert.deepEqual(b.count, [0, 0, 0, 0, 0, 2, 0, 0, 2, 0]);
    assert.deepEqual(b.correct, [0, 0, 0, 0, 0, 2, 0, 0, 1, 0]);
    // Confidence 0.9 of a right prediction and 0.9 of one right too: accuracy 1, ECE 0.1.
    near(expectedCalibrationError([0.9, 0.1, 0.1, 0.9], [0, 1], 2, 10), 0.1, 1e-12, 'ece2');
    // Pooled bins equal the bins of the pooled examples.
    const pooled = addCalibrationBins(
      calibrationBins(probs.slice(0, 4), [0, 0], 2, 10),
      calibrationBins(probs.slice(4), [0, 1], 2, 10),
    );
    near(eceOfBins(pooled), 0.4, 1e-12, 'pooled');
    // A confidence of exactly 1 goes in the last bin; 0.5 (a tie, argmax = class 0) in bin 4 of 10.
    assert.equal(calibrationBins([1, 0, 0.5, 0.5], [0, 1], 2, 10).count[9], 1);
    assert.equal(calibrationBins([1, 0, 0.5, 0.5], [0, 1], 2, 10).count[4], 1);
  });

  it('bad input is refused with the expected sizes', () => {
    assert.throws(() => gaussianMixtureNll([0, 1], { means: [0], stds: [1], k: 1 }), /expected 1 x 2 means/);
    assert.throws(
      () => intervalCoverage([0], { means: [0], stds: [0], k: 1 }),
      /std 0 at index 0 is not positive/,
    );
    assert.throws(() => categoricalNll([0.5, 0.5], [2], 2), /label 2 at index 0/);
    assert.throws(() => expectedCalibrationError([0.5, 0.5, 1], [0], 2), /expected 1 x 2 probabilities/);
  });
});
