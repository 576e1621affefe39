import { exportRun } from '../../experiment/predict.js';
import { oneOf, type Command } from '../schema.js';

export const exportCommand: Command = {
  name: 'export',
  summary: 'params + config of a run for inference: metalearn export <run folder> <out folder>',
  positionals: { names: ['run folder', 'out folder'], required: 2 },
  options: { which: { type: 'string', value: 'best|last', help: 'which params to export', shown: 'best' } },
  description: `Writes <out folder>/model.json and weights.bin (the TensorFlow.js weights format) with the run's config
in userDefinedMetadata, so 'metalearn predict' or a web page can rebuild the learner from it alone.`,
  run: async (a) => {
    const which = oneOf('export', a, 'which', ['best', 'last'] as const) ?? 'best';
    console.log(await exportRun(a.positionals[0], a.positionals[1], which));
    return 0;
  },
};
