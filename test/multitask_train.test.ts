import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { disposeParams } from '../src/nn/params.js';
import {
  architectureNames,
  formatTransferMarkdown,
  gainChartSvg,
  makeArchitecture,
  runTransferReport,
  trainMultiTask,
  weightingNames,
  type ArchitectureName,
  type MultiTaskSet,
  type WeightingName,
} from '../src/multitask/index.js';
import { loadBenchmark } from '../src/multitask/benchmarks.js';

// Small slices of the three real benchmarks (3 tasks each, few rows), so that every architecture and
// every weighting strategy can be trained on every benchmark within seconds.
let sets: Record<string, MultiTaskSet>;

const STEPS = 40;

const ISSUE20_WEIGHTINGS: ReadonlySet<WeightingName> = new Set<WeightingName>([
  'mgda',
  'gradvac',
  'graddrop',
  'imtl',
  'cagrad',
  'nash-mtl',
  'rlw',
  'aligned-mtl',
  'db-mtl',
  'famo',
  'upgrad',
  'gls',
  'moco',
  'excess-mtl',
  'stch',
  'fairgrad',
  'modo',
  'sdmgrad',
]);

function trainsOn(set: MultiTaskSet, arch: ArchitectureName, weighting: WeightingName): void {
  const spec = {
    inputDim: set.inputDim,
    descriptorDim: set.tasks[0].descriptor.length,
    outDims: set.tasks.map((t) => t.outDim),
    hidden: [16, 16],
  };
  const weightingOptions = weighting === 'fixed' ? { weights: set.tasks.map((_, i) => 1 + i) } : undefined;
  const before = tf.memory().numTensors;
  const r = trainMultiTask(makeArchitecture(arch, spec), set, {
    steps: STEPS,
    batchSize: 8,
    lr: 3e-3,
    seed: 1,
    weighting,
    weightingOptions,
  });
  const mean = (hs: typeof r.history) =>
    hs.flatMap((h) => h.losses).reduce((a, b) => a + b, 0) / hs.flatMap((h) => h.losses).length;
  const first = mean(r.history.slice(0, 5));
  const last = mean(r.history.slice(-5));
  disposeParams(r.params);
  disposeParams(r.weightingParams);
  assert.equal(tf.memory().numTensors, before, `${arch} + ${weighting} on ${set.name} left tensors behind`);
  assert.ok(
    last < first,
    `${arch} + ${weighting} on ${set.name}: mean task loss did not fall (${first.toFixed(4)} -> ${last.toFixed(4)})`,
  );
}

describe('multi-task training on the real benchmarks', () => {
  before(async () => {
    await initEngine({ backend: 'wasm' });
    sets = {
      omniglot: loadBenchmark('omniglot', { maxTasks: 3, maxClassesPerTask: 5 }),
      'youtube-spam': loadBenchmark('youtube-spam', { maxTasks: 3, maxRowsPerTask: 80 }),
      parkinsons: loadBenchmark('parkinsons', { maxTasks: 3, maxRowsPerTask: 60 }),
    };
  });

  it('benchmarks load as task sets with held-out rows', () => {
    const full = loadBenchmark('youtube-spam');
    assert.deepEqual(
      full.tasks.map((t) => t.id),
      ['Psy', 'KatyPerry', 'LMFAO', 'Eminem', 'Shakira'],
    );
    assert.equal(
      full.tasks.reduce((a, t) => a + t.train.n + t.test.n, 0),
      1956,
    );
    const pk = loadBenchmark('parkinsons');
    assert.equal(pk.tasks.length, 42);
    assert.equal(
      pk.tasks.reduce((a, t) => a + t.train.n + t.test.n, 0),
      5875,
    );
    assert.ok(pk.targetScale! > 1, 'motor_UPDRS is standardised and its scale kept');
    const om = sets.omniglot;
    assert.equal(om.inputDim, 784);
    assert.deepEqual(
      om.tasks.map((t) => [t.outDim, t.train.n, t.test.n]),
      [
        [5, 75, 25],
        [5, 75, 25],
        [5, 75, 25],
      ],
    );
    assert.throws(
      () => loadBenchmark('mnist'),
      /unknown benchmark 'mnist'; known benchmarks: omniglot, youtube-spam, parkinsons/,
    );
  });

  for (const bench of ['omniglot', 'youtube-spam', 'parkinsons']) {
    it(`every conditioning architecture trains on ${bench}`, () => {
      for (const arch of architectureNames()) trainsOn(sets[bench], arch, 'equal');
    });

    it(`every weighting strategy trains on ${bench}, with a shared trunk and with task columns`, () => {
      const other: ArchitectureName =
        bench === 'omniglot' ? 'cross-stitch' : bench === 'parkinsons' ? 'soft' : 'film';
      for (const w of weightingNames().filter((n) => !ISSUE20_WEIGHTINGS.has(n))) {
        trainsOn(sets[bench], 'multihead', w);
        trainsOn(sets[bench], other, w);
      }
    });

    // The weightings of issue 20 (most share aggregationStep) are checked number by number in
    // multitask_weightings.test.ts; here each trains once per benchmark (the two cheap ones) to keep
    // the suite's time.
    if (bench !== 'omniglot') {
      it(`every gradient-aggregation weighting trains on ${bench} with a shared trunk`, () => {
        for (const w of ISSUE20_WEIGHTINGS) trainsOn(sets[bench], 'multihead', w);
      });
    }
  }

  it('the transfer report compares settings with independent models and renders Markdown and SVG', () => {
    const set = sets['youtube-spam'];
    const before = tf.memory().numTensors;
    const r = runTransferReport(set, {
      settings: [
        { label: 'multihead', architecture: 'multihead' },
        { label: 'soft λ=0.01', architecture: 'soft', architectureOptions: { lambda: 0.01 } },
      ],
      seeds: [1, 2],
      steps: 15,
      batchSize: 8,
      lr: 3e-3,
      hidden: [16],
    });
    assert.equal(tf.memory().numTensors, before);
    assert.equal(r.metric, 'accuracy');
    assert.equal(r.settings.length, 2);
    for (const s of r.settings) {
      assert.equal(s.tasks.length, 3);
      for (const t of s.tasks) {
        assert.equal(t.gain.n, t.nTest);
        assert.ok(Math.abs(t.gain.mean - (t.multi.mean - t.independent.mean)) < 1e-9);
        assert.equal(t.verdict === 'negative', t.gain.mean + t.gain.ci95 < 0);
      }
    }
    const md = formatTransferMarkdown(r, { command: 'node test', wallMs: 1, machine: 'test' }, 'Test report');
    assert.match(md, /\| multihead \| multihead \| equal \|/);
    assert.match(md, /\| Psy \| \d+ \| /);
    const svg = gainChartSvg(r, 'Test <chart>');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /Test &lt;chart&gt;/);
    assert.equal((svg.match(/<rect [^>]*fill="#(c0392b|27864a|8c8c8c)"/g) ?? []).length, 2 * 3);
    assert.ok(svg.trimEnd().endsWith('</svg>'));
  });
});
