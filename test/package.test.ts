// The package as a user gets it: `npm pack`, the tarball installed into a fresh project (npm registry only,
// preferring npm's cache), then used with plain `node`, a strict TypeScript consumer, a Vite build for the
// browser, and the installed `metalearn` command, Omniglot included (METALEARN_DATA from test/helpers/env.mjs).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], opts: SpawnSyncOptions & { cwd: string }) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  const out = `${String(r.stdout ?? '')}${String(r.stderr ?? '')}`;
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return { status: r.status, out, stdout: String(r.stdout ?? '') };
}
function ok(
  cmd: string,
  args: string[],
  opts: SpawnSyncOptions & { cwd: string },
  stdoutOnly = false,
): string {
  const r = run(cmd, args, opts);
  assert.equal(
    r.status,
    0,
    `${cmd} ${args.join(' ')} (in ${opts.cwd}) exited ${r.status}:\n${r.out.slice(-6000)}`,
  );
  return stdoutOnly ? r.stdout : r.out;
}

interface PackInfo {
  filename: string;
  size: number;
  unpackedSize: number;
  entryCount: number;
  files: { path: string }[];
}

describe('the npm package, installed into a fresh project', { timeout: 900_000 }, () => {
  let work: string;
  let project: string;
  let pack: PackInfo;
  // A home of its own, so the per-user data and cache folders are this test's and can be inspected.
  let home: string;
  let env: NodeJS.ProcessEnv;

  before(() => {
    work = mkdtempSync(path.join(tmpdir(), 'metalearn-pkg-'));
    home = path.join(work, 'home');
    mkdirSync(home);
    const out = ok(npm, ['pack', '--json', '--pack-destination', work], { cwd: root }, true);
    // npm prints the prepare script's output before the JSON.
    pack = (JSON.parse(out.slice(out.indexOf('[\n'))) as PackInfo[])[0]!;
    project = path.join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    // The tarball plus @types/node (a Node consumer's usual), from npm's cache when it has them.
    ok(
      npm,
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--prefer-offline',
        path.join(work, pack.filename),
        `@types/node@${JSON.parse(readFileSync(path.join(root, 'node_modules/@types/node/package.json'), 'utf8')).version}`,
      ],
      { cwd: project, env: { ...process.env, METALEARN_NATIVE: '0' } },
    );
    env = { ...process.env, HOME: home };
    for (const k of [
      'METALEARN_DATA',
      'METALEARN_CACHE',
      'XDG_DATA_HOME',
      'XDG_CACHE_HOME',
      'METALEARN_NATIVE',
    ])
      delete env[k];
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('holds the compiled library, bin, native sources and docs, and no tests, results or web assets', () => {
    const files = pack.files.map((f) => f.path);
    console.log(
      `# tarball ${pack.filename}: ${pack.entryCount} files, ${(pack.size / 1024).toFixed(0)} KB packed, ` +
        `${(pack.unpackedSize / 1024).toFixed(0)} KB unpacked`,
    );
    for (const f of ['package.json', 'LICENSE', 'README.md', 'CHANGELOG.md', 'bin/metalearn.js']) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    for (const f of [
      'dist/index.js',
      'dist/index.d.ts',
      'dist/browser.js',
      'dist/browser.d.ts',
      'dist/cli/main.js',
    ]) {
      assert.ok(files.includes(f), `${f} missing from the tarball`);
    }
    assert.ok(files.includes('native/kernels.cc') && files.includes('native/build.mjs'));
    // The shipped models, each with its card (models/README.md), and not the tooling that writes the cards.
    for (const f of ['model.json', 'weights.bin', 'card.json', 'MODEL_CARD.md'])
      assert.ok(
        files.includes(`models/omniglot-protonet-lake/${f}`),
        `models/omniglot-protonet-lake/${f} missing`,
      );
    assert.ok(!files.includes('models/make_card.ts'));
    const stray = files.filter(
      (f) =>
        /^(src|test|bench|results|docs|web|examples|\.ci)\//.test(f) ||
        f.endsWith('.ts') !== f.endsWith('.d.ts') ||
        f.endsWith('.tsbuildinfo'),
    );
    assert.deepEqual(stray, [], 'files that do not belong in the package');
  });

  it('imports with plain node (no loader), from "." and "./browser", and meta-trains a ProtoNet', () => {
    writeFileSync(
      path.join(project, 'train.mjs'),
      `import * as browser from 'metalearn-ts/browser';
import {
  initEngine, Rng, conv4, protoNet, metaTrain, evaluate, SyntheticAlphabet, EpisodeSampler, metaSplits,
  splitClassIds, tf, loadParams, saveParams, shippedModels, shippedModelDir,
} from 'metalearn-ts';
if (typeof browser.protoNet !== 'function' || typeof browser.EpisodeSampler !== 'function') throw new Error('browser entry');
if ('loadParams' in browser) throw new Error('the browser entry exports the file-system loadParams');
await initEngine({ backend: 'cpu' });
const data = new SyntheticAlphabet({ numClasses: 30 });
const split = metaSplits(data, splitClassIds(data.numClasses, { train: 20, test: 10 }, new Rng(1)));
const train = new EpisodeSampler(split.train, { nWay: 5, kShot: 1, nQuery: 2 });
const test = new EpisodeSampler(split.test, { nWay: 5, kShot: 1, nQuery: 2 });
const learner = protoNet({ embed: conv4({ hidden: 8 }), ways: 5 });
const rng = new Rng(0);
const before = tf.memory().numTensors;
const losses = [];
const run = metaTrain({ learner, theta: learner.init(rng), rng, steps: 3, sample: (r) => train.sample(r), onStep: (s) => losses.push(s.loss) });
if (losses.length !== 3 || !losses.every(Number.isFinite)) throw new Error('losses ' + losses);
const r = evaluate(learner, run.last, Array.from({ length: 5 }, () => test.sample(rng)), { dispose: true });
await saveParams('saved', run.last);
const back = await loadParams('saved');
const shipped = await loadParams(shippedModelDir('omniglot-protonet-lake'));
console.log(JSON.stringify({ losses, acc: r.summary.mean, n: r.summary.n, names: Object.keys(back.params).length, shipped: shippedModels(), shippedNames: Object.keys(shipped.params).length }));
`,
    );
    const out = ok(process.execPath, ['train.mjs'], { cwd: project, env });
    const res = JSON.parse(out.trim().split('\n').pop()!) as {
      losses: number[];
      n: number;
      names: number;
      shipped: string[];
      shippedNames: number;
    };
    assert.equal(res.losses.length, 3);
    // The trained models travel with the package and are found from the installed dist/.
    assert.ok(res.shipped.includes('omniglot-protonet-lake'), `shipped: ${res.shipped.join(', ')}`);
    assert.ok(res.shippedNames > 10);
    assert.equal(res.n, 5);
    assert.ok(res.names > 0);
  });

  it('type-checks a consumer under strict, noUncheckedIndexedAccess and exactOptionalPropertyTypes', () => {
    writeFileSync(
      path.join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          exactOptionalPropertyTypes: true,
          skipLibCheck: false,
          noEmit: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    writeFileSync(
      path.join(project, 'consumer.ts'),
      `import { initEngine, Rng, conv4, protoNet, maml, mlp, metaTrain, SyntheticAlphabet, EpisodeSampler,
  type MetaLearner, type Params, tf } from 'metalearn-ts';
import { fetchParams } from 'metalearn-ts/browser';
export async function go(): Promise<number> {
  await initEngine();
  const data = new SyntheticAlphabet({ numClasses: 20 });
  const sampler = new EpisodeSampler(data, { nWay: 5, kShot: 1, nQuery: 2 });
  const learner: MetaLearner = protoNet({ embed: conv4({ hidden: 8 }), ways: 5 });
  const other: MetaLearner = maml({ model: mlp([784, 8, 5]) });
  const theta: Params = learner.init(new Rng(0));
  const losses: number[] = [];
  const run = metaTrain({ learner, theta, rng: new Rng(1), steps: 1, sample: (r) => sampler.sample(r), onStep: (s) => losses.push(s.loss) });
  const first: number | undefined = losses[0];
  void run.bestStep;
  void other; void fetchParams; void tf;
  return first ?? Number.NaN;
}
`,
    );
    const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    const r = run(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: project });
    // With skipLibCheck off, tfjs 4.22's own declarations have errors under these settings (missing
    // EmscriptenModule and Long globals, tfjs-layers' types): every tfjs user has them, so they are left
    // out; any error in this package's declarations or in the consumer fails.
    const errors = r.out.split('\n').filter((l) => / error TS\d+:/.test(l));
    const ours = errors.filter((l) => !l.startsWith('node_modules/@tensorflow/'));
    assert.deepEqual(ours, [], `tsc reported errors:\n${r.out.slice(0, 6000)}`);
    assert.ok(r.status === 0 || errors.length > 0, r.out);
  });

  it('builds for the browser with Vite, with no node: module externalised', () => {
    const page = path.join(project, 'page');
    mkdirSync(page);
    writeFileSync(
      path.join(page, 'index.html'),
      '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n',
    );
    writeFileSync(
      path.join(page, 'main.js'),
      `import { initEngine, Rng, conv4, protoNet, maml, snail, EpisodeSampler, SyntheticAlphabet, fetchParams } from 'metalearn-ts';
await initEngine();
const sampler = new EpisodeSampler(new SyntheticAlphabet({ numClasses: 10 }), { nWay: 5, kShot: 1, nQuery: 1 });
const learner = protoNet({ embed: conv4({ hidden: 8 }), ways: 5 });
const theta = new URLSearchParams(location.search).has('w') ? (await fetchParams('model.json')).params : learner.init(new Rng(0));
document.body.textContent = String([maml, snail].length + Object.keys(theta).length + sampler.sample(new Rng(1)).support.y.size);
`,
    );
    const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
    const out = ok(
      process.execPath,
      [vite, 'build', page, '--outDir', path.join(work, 'page-dist'), '--emptyOutDir'],
      {
        cwd: project,
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    assert.doesNotMatch(out, /externalized for browser compatibility|node:[a-z_]+/, out.slice(0, 4000));
    const assets = readdirSync(path.join(work, 'page-dist', 'assets'));
    assert.ok(
      assets.some((f) => f.endsWith('.js')),
      `no JavaScript bundle in ${assets.join(', ')}`,
    );
  });

  it('runs the installed bin: --version, --help, a 3-step demo', () => {
    const version = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version as string;
    const npx = (args: string[]) =>
      ok(npm, ['exec', '--no', '--', 'metalearn', ...args], { cwd: project, env });
    // The bin's own last line; npm may add notices of its own ('npm notice ...') after it.
    const printed = npx(['--version'])
      .trim()
      .split('\n')
      .filter((l) => !l.startsWith('npm '));
    assert.equal(printed.pop(), version);
    assert.match(npx(['--help']), /Usage: metalearn <command>/);
    const out = npx([
      'demo',
      '--steps',
      '3',
      '--hidden',
      '8',
      '--query',
      '2',
      '--test-episodes',
      '10',
      '--val-every',
      '0',
      '--out',
      'runs/demo',
    ]);
    assert.match(out, /meta-test accuracy \(5-way 1-shot/);
    assert.ok(existsSync(path.join(project, 'runs', 'demo', 'results.json')));
    // Installed with METALEARN_NATIVE=0, so without the addon: the run says so and how to build it.
    assert.match(
      out,
      /native kernels not built, so the wasm kernels run \(slower\): build them with 'node \S*node_modules\/metalearn-ts\/native\/build\.mjs'/,
    );
  });

  it('trains 2 steps on Omniglot from METALEARN_DATA, caching in the per-user cache folder', () => {
    const data = path.resolve(root, '..', 'shared', 'data');
    assert.ok(existsSync(path.join(data, 'omniglot', 'images_background.zip')), `no Omniglot in ${data}`);
    const out = ok(
      npm,
      [
        'exec',
        '--no',
        '--',
        'metalearn',
        'train',
        '--dataset',
        'omniglot',
        '--steps',
        '2',
        '--hidden',
        '8',
        '--query',
        '2',
        '--val-every',
        '0',
        '--test-episodes',
        '10',
        '--out',
        'runs/omniglot',
      ],
      { cwd: project, env: { ...env, METALEARN_DATA: data } },
    );
    assert.match(out, /meta-test accuracy/);
    // A shipped model by name, meta-tested from the installed package.
    const evalOut = ok(
      npm,
      ['exec', '--no', '--', 'metalearn', 'eval', 'omniglot-protonet-lake', '--way', '5', '--episodes', '5'],
      { cwd: project, env: { ...env, METALEARN_DATA: data } },
    );
    assert.match(evalOut, /5-way 1-shot within-alphabet, 5 episodes: accuracy .*correct/);
    const cache = path.join(home, '.cache', 'metalearn', 'omniglot');
    const cached = existsSync(cache) ? readdirSync(cache) : [];
    assert.ok(
      cached.some((f) => f.startsWith('background-28-area')),
      `nothing cached in ${cache}: ${cached.join(', ')}`,
    );
    const inPackage = path.join(project, 'node_modules', 'metalearn-ts');
    assert.deepEqual(
      readdirSync(inPackage).filter(
        (f) =>
          ![
            'dist',
            'bin',
            'native',
            'models',
            'package.json',
            'README.md',
            'LICENSE',
            'CHANGELOG.md',
          ].includes(f),
      ),
      [],
      'the run wrote into the installed package',
    );
  });
});
