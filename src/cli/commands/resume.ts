import { SCHEMA } from '../../experiment/config.js';
import { readRunConfig } from '../../experiment/config_file.js';
import { runExperiment } from '../../experiment/run.js';
import { str, type Command } from '../schema.js';

export const resume: Command = {
  name: 'resume',
  summary: 'continue a killed or stopped run from its last checkpoint: metalearn resume <run folder>',
  positionals: { names: ['run folder'], required: 1 },
  options: {
    steps: {
      type: 'string',
      value: 'N',
      help: "train on to N steps in all (at least the checkpoint's step)",
    },
    'lr-schedule': {
      type: 'string',
      value: 'step:lr[,...]',
      help: 'learning-rate changes to add after the checkpoint',
    },
    workers: { type: 'string', value: 'N', help: SCHEMA.workers.help },
  },
  description: `Continues the run in <run folder> from <run folder>/checkpoint with its saved config.json: the same
parameters, optimiser state and random stream, so the finished run equals an uninterrupted one.
--steps N trains on to N steps in all (N at least the checkpoint's step); config.json records it.
--lr-schedule adds learning-rate changes at steps after the checkpoint (e.g. 12001:0.0003: Adam uses
0.0003 from step 12,001 on); config.json records them as lrSchedule.
--workers N moves the meta-gradient onto N worker threads (or back to 1): it changes speed, not what
is computed (up to float summation order).`,
  run: async (a) => {
    const dir = a.positionals[0];
    // --steps and --workers are config fields (same name in both forms); --lr-schedule is added to it.
    const fields: Record<string, string> = {};
    for (const k of ['steps', 'workers']) {
      const v = str(a, k);
      if (v !== undefined) fields[k] = v;
    }
    const cfg = readRunConfig(dir, fields);
    await runExperiment({ ...cfg, out: dir }, console.log, {
      resume: true,
      addLrSchedule: str(a, 'lr-schedule'),
    });
    return 0;
  },
};
