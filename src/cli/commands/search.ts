import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Command } from '../schema.js';
import { str } from '../schema.js';
import { CONFIG_OPTIONS, runFromFlags } from '../config_options.js';
import { loadParams } from '../../nn/io_files.js';
import { ALPHA_KEY, DARTS_OPS, deriveGenotype } from '../../nn/darts.js';
import { disposeParams } from '../../nn/params.js';
import { tf } from '../../engine/tf.js';
import { initEngine } from '../../engine/backend.js';

/** theta's key of the metanas supernet's architecture weights. */
const THETA_ALPHA = `model.backbone.${ALPHA_KEY}`;

/**
 * The genotype of a finished metanas run (its best params, else its last), written to
 * <run>/genotype.json with the softmax weights of every edge.
 */
async function deriveFromRun(run: string, log: (s: string) => void): Promise<string> {
  const which = fs.existsSync(path.join(run, 'best')) ? 'best' : 'last';
  const { params, metadata } = await loadParams(path.join(run, which));
  try {
    const alpha = params[THETA_ALPHA];
    if (!alpha)
      throw new Error(
        `${path.join(run, which)}: no '${THETA_ALPHA}' in the saved params; is it a 'metalearn search' (learner metanas) run?`,
      );
    const genotype = deriveGenotype(alpha).join(',');
    const weights = tf.tidy(() => tf.softmax(alpha, -1).arraySync() as number[][]);
    const edges = weights.map((row) =>
      Object.fromEntries(DARTS_OPS.map((o, i) => [o, Number(row[i].toFixed(4))])),
    );
    const out = path.join(run, 'genotype.json');
    fs.writeFileSync(
      out,
      JSON.stringify({ genotype, from: which, step: metadata?.step ?? null, softmaxAlpha: edges }, null, 2) +
        '\n',
    );
    log(`genotype (${which} params): ${genotype}  (written to ${out})`);
    for (const [e, row] of edges.entries())
      log(
        `  edge ${e}: ${Object.entries(row)
          .map(([o, w]) => `${o} ${w.toFixed(3)}`)
          .join(', ')}`,
      );
    log(`meta-train it from scratch: metalearn train --backbone cell --genotype ${genotype} ...`);
    return genotype;
  } finally {
    disposeParams(params);
  }
}

export const search: Command = {
  name: 'search',
  summary: 'architecture search (MetaNAS): meta-learn a DARTS cell, print the derived genotype',
  positionals: { names: [], required: 0 },
  options: {
    ...CONFIG_OPTIONS,
    'derive-from': {
      type: 'string',
      value: 'DIR',
      help: 'only derive the genotype of a finished search run in DIR (no training)',
    },
  },
  description: `Meta-trains the 'metanas' learner (a cell supernet of mixed operations ${DARTS_OPS.join(', ')},
architecture weights alpha meta-learned by first-order MAML; Elsken et al. 2020), then derives the
discrete architecture (on every edge the operation of largest alpha other than zero) and writes it to
<out>/genotype.json. Train options as for 'train'; --learner must be metanas (the default here).`,
  epilog: `Example:
  metalearn search --dataset omniglot --way 5 --shot 1 --steps 300 --hidden 16 --out runs/search
  metalearn train --dataset omniglot --learner protonet --backbone cell --genotype conv3x3,max3x3,skip --out runs/cell`,
  run: async (a) => {
    const from = str(a, 'derive-from');
    if (from !== undefined) {
      await initEngine();
      await deriveFromRun(from, console.log);
      return 0;
    }
    const learner = str(a, 'learner');
    if (learner !== undefined && learner !== 'metanas')
      throw new Error(`search: --learner must be 'metanas' (the searched supernet), got '${learner}'`);
    const rest = { ...a, values: { ...a.values } };
    delete rest.values['derive-from'];
    let out = '';
    await runFromFlags(rest, { learner: 'metanas' }, (cfg) => (out = cfg.out));
    await deriveFromRun(out, console.log);
    return 0;
  },
};
