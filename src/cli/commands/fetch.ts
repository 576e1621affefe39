import { fetchOmniglot } from '../../data/download.js';
import { str, type Command } from '../schema.js';

export const fetch: Command = {
  name: 'fetch',
  summary: 'download the public Omniglot zips: metalearn fetch [--data-dir <folder>]',
  positionals: { names: [], required: 0 },
  options: {
    'data-dir': { type: 'string', value: 'DIR', help: 'folder to hold omniglot/', shown: '.cache' },
  },
  description: `Downloads images_background.zip and images_evaluation.zip of Omniglot (and the Vinyals split lists)
into <folder>/omniglot, checking sizes, writing through temporary files.`,
  run: async (a) => {
    const dir = await fetchOmniglot(str(a, 'data-dir'), { log: console.log });
    console.log(`Omniglot is in ${dir}; use --data-dir ${dir}`);
    return 0;
  },
};
