import { predictFolder } from '../../experiment/predict.js';
import { resolveModelArg } from '../../experiment/shipped_models.js';
import { flag, type Command } from '../schema.js';

export const predict: Command = {
  name: 'predict',
  summary: 'adapt on a support folder, label a query folder: metalearn predict <model> <support> <query>',
  positionals: { names: ['model folder', 'support folder', 'query folder'], required: 3 },
  options: { 'no-invert': { type: 'boolean', help: 'read images as they are (light ink on dark paper)' } },
  description: `Adapts the model (an exported folder, a run folder, or the name of a shipped model such as
omniglot-protonet-vinyals) on the support set, a folder of class/file.png
with a few drawings per class, and prints the predicted class and confidence of every PNG in the query
folder. Images are read as gray, resized to 28x28, and inverted (dark ink on light paper becomes
ink = 1, the training convention) unless --no-invert is given.`,
  run: async (a) => {
    const [model, support, query] = a.positionals;
    const preds = await predictFolder(resolveModelArg(model), support, query, {
      invert: !flag(a, 'no-invert'),
    });
    for (const p of preds) console.log(`${p.file}\t${p.label}\t${(p.confidence * 100).toFixed(1)}%`);
    return 0;
  },
};
