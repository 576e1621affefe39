import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../src/engine/tf.js';
import { initEngine } from '../src/engine/backend.js';
import { Rng } from '../src/engine/rng.js';
import { disposeParams } from '../src/nn/params.js';
import { DEFAULTS, upgradeSavedConfig, type RunConfig } from '../src/experiment/config.js';
import { makeLearner } from '../src/experiment/learners.js';

const blockNames = (cfg: RunConfig): string[] => {
  const theta = makeLearner(cfg, [28, 28, 1]).init(new Rng(0));
  const names = [
    ...new Set(
      Object.keys(theta)
        .map((k) => k.split('.')[0])
        .filter((k) => k.startsWith('block')),
    ),
  ];
  disposeParams(theta);
  return names.sort();
};

describe('SNAIL block stacks in run configs', () => {
  it('presets and JSON build the stacks they name; the default is the attention preset', async () => {
    await initEngine({ backend: 'cpu' });
    const base: RunConfig = { ...DEFAULTS, learner: 'snail', hidden: 8 };
    assert.deepEqual(blockNames({ ...base, snailBlocks: 'attention' }), ['block0', 'block1']);
    assert.deepEqual(blockNames({ ...base }), ['block0', 'block1']);
    assert.deepEqual(blockNames({ ...base, snailBlocks: 'paper' }), [
      'block0',
      'block1',
      'block2',
      'block3',
      'block4',
    ]);
    assert.deepEqual(blockNames({ ...base, snailBlocks: '[{"kind":"attention","dim":16}]' }), ['block0']);
    assert.equal(tf.memory().numTensors, 0);
  });

  it('a bad stack names the field and the presets', () => {
    assert.throws(
      () => makeLearner({ ...DEFAULTS, learner: 'snail', snailBlocks: 'papr' }, [28, 28, 1]),
      /field 'snailBlocks': expected 'paper' or 'attention' or a JSON list/,
    );
  });

  it("a saved SNAIL run without a recorded stack is read as the paper's stack it was trained with", () => {
    assert.equal(upgradeSavedConfig({ ...DEFAULTS, learner: 'snail' }).snailBlocks, 'paper');
    assert.equal(
      upgradeSavedConfig({ ...DEFAULTS, learner: 'snail', snailBlocks: 'attention' }).snailBlocks,
      'attention',
    );
    assert.equal(upgradeSavedConfig({ ...DEFAULTS, learner: 'protonet' }).snailBlocks, undefined);
  });
});
