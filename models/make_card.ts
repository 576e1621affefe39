// Writes models/<name>/card.json for an exported model: its meta-test results on fixed episodes (the
// same episodes `metalearn eval <model> --way N --shot K --episodes E` draws) and the short checks that
// test/models.test.ts reproduces (the first episodes of the same seeded stream). Repository tooling,
// run from the repository root:
//
//   node --import tsx --import ./test/helpers/env.mjs models/make_card.ts models/omniglot-protonet-vinyals \
//     --run runs/proto --settings 5w1s,5w5s,20w1s,20w5s --query 5 --episodes 1000 --check-episodes 100
//
// A setting ending in '-within' draws each episode's classes from one alphabet.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateModel, readModelConfig, type ModelEvalSummary } from '../src/experiment/model_eval.js';

const { values: args, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    run: { type: 'string' },
    settings: { type: 'string', default: '5w1s' },
    query: { type: 'string', default: '5' },
    episodes: { type: 'string', default: '1000' },
    'check-episodes': { type: 'string', default: '100' },
    command: { type: 'string', multiple: true, default: [] },
  },
});
const dir = positionals[0];
if (!dir) throw new Error('usage: make_card.ts <model folder> [--run DIR] [--settings 5w1s,20w1s-within]');
const cfg = readModelConfig(dir);
const query = Number(args.query);
const settings = args.settings.split(',').map((s) => {
  const m = /^(\d+)w(\d+)s(-within)?$/.exec(s.trim());
  if (!m) throw new Error(`--settings: '${s}' is not NwKs or NwKs-within`);
  return { way: Number(m[1]), shot: Number(m[2]), withinGroup: m[3] !== undefined };
});

const row = (r: ModelEvalSummary) => ({
  way: r.way,
  shot: r.shot,
  query: r.query,
  episodes: r.episodes,
  withinGroup: r.withinGroup,
  accuracy: r.test.mean,
  ci95: r.test.ci95,
  correct: r.correct!,
  queries: r.queries!,
  episodesSha256: r.episodesSha256,
  seconds: r.seconds,
});

const results: ReturnType<typeof row>[] = [];
const checks: ReturnType<typeof row>[] = [];
for (const s of settings) {
  for (const [episodes, into] of [
    [Number(args.episodes), results],
    [Number(args['check-episodes']), checks],
  ] as const) {
    const r = await evaluateModel(dir, { ...s, query, episodes });
    console.log(
      `${s.way}-way ${s.shot}-shot${s.withinGroup ? ' within' : ''}, ${episodes} episodes: ` +
        `${(100 * r.test.mean).toFixed(2)}% +- ${(100 * r.test.ci95).toFixed(2)}% (${r.correct}/${r.queries}), ${r.seconds.toFixed(0)} s`,
    );
    into.push(row(r));
  }
}

const training = args.run
  ? (() => {
      const f = path.join(args.run, 'results.json');
      if (!existsSync(f)) return undefined;
      // The training facts, without the config's paths of the training machine (the config is above).
      const r = JSON.parse(readFileSync(f, 'utf8')) as Record<string, unknown>;
      const keep = [
        'data',
        'backend',
        'stepsTrained',
        'trainSeconds',
        'bestStep',
        'val',
        'test',
        'testSeconds',
      ];
      return Object.fromEntries(keep.filter((k) => k in r).map((k) => [k, r[k]]));
    })()
  : undefined;
const card = {
  format: 'metalearn-model-card',
  version: 1,
  name: path.basename(path.resolve(dir)),
  date: new Date().toISOString().slice(0, 10),
  learner: cfg.learner,
  backbone: cfg.backbone ?? 'conv4',
  hidden: cfg.hidden,
  dataset: cfg.dataset,
  config: cfg,
  commands: args.command,
  training,
  results,
  checks,
};
writeFileSync(path.join(dir, 'card.json'), JSON.stringify(card, null, 2) + '\n');
console.log(`wrote ${path.join(dir, 'card.json')}`);
