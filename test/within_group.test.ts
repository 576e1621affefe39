// Within-group (within-alphabet) episodes and Lake et al.'s background/evaluation split (issue 22). The
// Lake-split part reads the real Omniglot zips (../shared/data or $METALEARN_DATA).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rng } from '../src/engine/rng.js';
import { type ClassDataset, groupOfClass } from '../src/data/types.js';
import { SyntheticAlphabet } from '../src/data/synthetic.js';
import { ClassSubset, ConcatClasses } from '../src/data/views.js';
import { RotatedClasses } from '../src/data/rotate.js';
import { loadOmniglotLakeSplits } from '../src/data/omniglot.js';
import { EpisodeSampler, EpisodeSet } from '../src/tasks/episodes.js';
import { TaskSource, kShots, nQueries, nWays, withinGroups } from '../src/tasks/transforms.js';
import { resolveConfig } from '../src/experiment/config.js';
import { runCli } from './helpers/runs.js';

/** Synthetic glyphs in groups of the given sizes: class c is in group 'g<i>'. */
function grouped(sizes: number[]): ClassDataset {
  const base = new SyntheticAlphabet({ numClasses: sizes.reduce((a, b) => a + b, 0), seed: 3 });
  const groupIds: string[] = [];
  sizes.forEach((n, g) => {
    for (let i = 0; i < n; i++) groupIds.push(`g${g}`);
  });
  return {
    name: 'grouped',
    numClasses: base.numClasses,
    exampleShape: base.exampleShape,
    examplesOf: (c) => base.examplesOf(c),
    read: (c, i, out, o) => base.read(c, i, out, o),
    className: (c) => `${groupIds[c]}/c${c}`,
    groupOf: (c) => groupIds[c],
  };
}

test('within-group episodes: all N classes from one group, every group large enough is drawn, small ones never', () => {
  const ds = grouped([6, 3, 5, 8]); // N = 5: groups g0, g2, g3 qualify, g1 (3 classes) never
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 2, withinGroup: true });
  const rng = new Rng(4);
  const seen = new Map<string, number>();
  for (let i = 0; i < 600; i++) {
    const spec = sampler.sampleSpec(rng);
    const groups = new Set(spec.classes.map((c) => ds.groupOf!(c)));
    assert.equal(groups.size, 1, `episode ${i} mixes groups ${[...groups]}`);
    assert.equal(new Set(spec.classes).size, 5);
    const g = [...groups][0]!;
    seen.set(g, (seen.get(g) ?? 0) + 1);
  }
  assert.deepEqual([...seen.keys()].sort(), ['g0', 'g2', 'g3']);
  // Groups are drawn uniformly: 200 each expected; 3-sigma band of Binomial(600, 1/3) is about +-35.
  for (const [g, n] of seen) assert.ok(Math.abs(n - 200) < 50, `group ${g} drawn ${n} times of 600`);
  // Without the option the same dataset mixes groups.
  const mixed = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 2 });
  let mixedCount = 0;
  for (let i = 0; i < 50; i++) {
    const spec = mixed.sampleSpec(rng);
    if (new Set(spec.classes.map((c) => ds.groupOf!(c))).size > 1) mixedCount++;
  }
  assert.ok(mixedCount > 40, `only ${mixedCount} of 50 plain episodes mixed groups`);
});

test('within-group episodes: a dataset without groups, or groups too small, is refused up front', () => {
  const plain = new SyntheticAlphabet({ numClasses: 12, seed: 1 });
  assert.throws(
    () => new EpisodeSampler(plain, { nWay: 5, kShot: 1, nQuery: 1, withinGroup: true }),
    /synthetic.*within-group episodes need classes that belong to groups.*class '.*' \(id 0\) has none/,
  );
  assert.throws(
    () => new EpisodeSampler(grouped([3, 4]), { nWay: 5, kShot: 1, nQuery: 1, withinGroup: true }),
    /grouped: no group has 5 classes for 5-way within-group episodes \(2 groups, the largest with 4\)/,
  );
});

test('views keep the groups: subsets, concatenations and rotations (a rotated character stays in its alphabet)', () => {
  const ds = grouped([4, 4]);
  const sub = new ClassSubset(ds, [5, 0, 7]);
  assert.deepEqual(
    [0, 1, 2].map((c) => sub.groupOf(c)),
    ['g1', 'g0', 'g1'],
  );
  const cat = new ConcatClasses([sub, ds]);
  assert.equal(cat.groupOf(2), 'g1');
  assert.equal(cat.groupOf(3), 'g0');
  const rot = new RotatedClasses(sub);
  assert.deepEqual(
    [0, 1, 2, 3, 4].map((c) => rot.groupOf(c)),
    ['g1', 'g1', 'g1', 'g1', 'g0'],
  );
  assert.equal(groupOfClass(new SyntheticAlphabet({ numClasses: 3 }), 0), undefined);
  assert.equal(new RotatedClasses(new SyntheticAlphabet({ numClasses: 3 })).groupOf(0), undefined);
});

test('saved episode sets say they are within-group, and the task transform withinGroups() does the same', () => {
  const ds = grouped([6, 6]);
  const sampler = new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 1, withinGroup: true });
  const set = EpisodeSet.generate(sampler, 20, 9);
  assert.equal(set.withinGroup, true);
  const json = JSON.parse(JSON.stringify(set.toJSON())) as Record<string, unknown>;
  assert.equal(json.withinGroup, true);
  assert.equal(EpisodeSet.fromJSON(json).withinGroup, true);
  assert.throws(
    () => EpisodeSet.fromJSON({ ...json, withinGroup: false }, 'e.json'),
    /e\.json: field 'withinGroup' should be true or absent, got false/,
  );
  // A plain set has no such field (files written before the option are unchanged).
  const plain = EpisodeSet.generate(new EpisodeSampler(ds, { nWay: 5, kShot: 1, nQuery: 1 }), 3, 9);
  assert.equal('withinGroup' in plain.toJSON(), false);
  assert.equal(plain.withinGroup, false);
  // withinGroups() in a transform list: the same specs as the option, from the same Rng state.
  const source = new TaskSource(ds, [nWays(5), kShots(1), nQueries(1), withinGroups()]);
  const a = new Rng(2);
  const b = new Rng(2);
  for (let i = 0; i < 10; i++) assert.deepEqual(source.sampleSpec(a), sampler.sampleSpec(b));
});

test('run configs: within-group episodes only on the Omniglot datasets, the field named', () => {
  assert.equal(
    resolveConfig(undefined, 'c.json', { dataset: 'omniglot-lake', withinGroup: 'eval' }).withinGroup,
    'eval',
  );
  assert.throws(
    () => resolveConfig(undefined, 'c.json', { dataset: 'synthetic', withinGroup: 'all' }),
    /--within-group: field 'withinGroup' needs a dataset whose classes have groups \(omniglot, omniglot-lake\), got dataset 'synthetic'/,
  );
  assert.throws(
    () => resolveConfig({ dataset: 'omniglot', withinGroup: 'test' }, 'c.json', {}),
    /c\.json.*withinGroup/,
  );
});

test("Lake et al.'s split (real Omniglot): background only in training, 5 background alphabets for validation, the 20 evaluation alphabets at test", () => {
  const s = loadOmniglotLakeSplits();
  assert.equal(s.valAlphabetNames.length, 5);
  const alphabetOf = (ds: ClassDataset, c: number) => ds.groupOf!(c)!;
  const alphabets = (ds: ClassDataset) =>
    new Set(Array.from({ length: ds.numClasses }, (_, c) => alphabetOf(ds, c)));
  const train = alphabets(s.train);
  const val = alphabets(s.val!);
  const testAlphabets = alphabets(s.test);
  assert.equal(train.size, 25);
  assert.deepEqual([...val].sort(), [...s.valAlphabetNames].sort());
  assert.equal(testAlphabets.size, 20);
  for (const a of val) assert.ok(!train.has(a), `validation alphabet ${a} is also in training`);
  for (const a of testAlphabets)
    assert.ok(!train.has(a) && !val.has(a), `evaluation alphabet ${a} seen before the test`);
  // 964 background characters in all: train (x4 rotations) + validation; 659 evaluation characters.
  assert.equal(s.train.numClasses / 4 + s.val!.numClasses, 964);
  assert.equal(s.test.numClasses, 659);
  assert.match(s.train.className(1), /\/rot090$/);
  // Lake's task: 20-way 1-shot within an alphabet of the evaluation set.
  const sampler = new EpisodeSampler(s.test, { nWay: 20, kShot: 1, nQuery: 1, withinGroup: true });
  const rng = new Rng(0);
  const drawn = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const spec = sampler.sampleSpec(rng);
    const g = new Set(spec.classes.map((c) => alphabetOf(s.test, c)));
    assert.equal(g.size, 1);
    drawn.add([...g][0]);
  }
  // Alphabets with fewer than 20 characters cannot hold a 20-way episode; all the others are drawn.
  const big = [...testAlphabets].filter(
    (a) =>
      Array.from({ length: s.test.numClasses }, (_, c) => c).filter((c) => alphabetOf(s.test, c) === a)
        .length >= 20,
  );
  assert.deepEqual([...drawn].sort(), big.sort());
  assert.throws(
    () => loadOmniglotLakeSplits({ valAlphabets: 30 }),
    /option valAlphabets must be an integer in \[0, 30\), got 30/,
  );
  assert.equal(loadOmniglotLakeSplits({ valAlphabets: 0, rotations: false }).train.numClasses, 964);
});

test('CLI: train on the Lake split with within-alphabet validation and test episodes, then eval within and across alphabets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ml-lake-'));
  try {
    const out = join(dir, 'run');
    const r = runCli([
      'train',
      '--dataset',
      'omniglot-lake',
      '--within-group',
      'eval',
      '--learner',
      'protonet',
      '--hidden',
      '8',
      '--way',
      '5',
      '--shot',
      '1',
      '--query',
      '1',
      '--steps',
      '2',
      '--val-every',
      '2',
      '--val-episodes',
      '2',
      '--test-episodes',
      '3',
      '--log-every',
      '1',
      '--out',
      out,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Lake et al.'s split/);
    assert.match(r.stdout, /5-way 1-shot within-alphabet/);
    const episodes = JSON.parse(readFileSync(join(out, 'test-episodes.json'), 'utf8')) as {
      withinGroup?: boolean;
      episodes: { classNames: string[] }[];
    };
    assert.equal(episodes.withinGroup, true);
    for (const e of episodes.episodes)
      assert.equal(new Set(e.classNames.map((n) => n.split('/')[0])).size, 1);
    const ev = runCli(['eval', out, '--way', '20', '--episodes', '2']);
    assert.equal(ev.status, 0, ev.stderr);
    assert.match(ev.stdout, /20-way 1-shot within-alphabet/);
    JSON.parse(readFileSync(join(out, 'eval-20w1s-within.json'), 'utf8'));
    const across = runCli(['eval', out, '--way', '20', '--episodes', '2', '--within-group', 'no']);
    assert.equal(across.status, 0, across.stderr);
    JSON.parse(readFileSync(join(out, 'eval-20w1s.json'), 'utf8'));
    const bad = runCli(['eval', out, '--within-group', 'maybe']);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /within-group/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
