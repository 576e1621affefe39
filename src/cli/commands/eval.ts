import { evaluateRun } from '../../experiment/run.js';
import { oneOf, posInt, type Command } from '../schema.js';

export const evalCommand: Command = {
  name: 'eval',
  summary: 'meta-test a finished run on new fixed episodes: metalearn eval <run folder> --way 20 --shot 1',
  positionals: { names: ['run folder'], required: 1 },
  options: {
    way: { type: 'string', value: 'N', help: 'N-way episodes', shown: "the run's test way" },
    shot: { type: 'string', value: 'K', help: 'K-shot episodes', shown: "the run's test shot" },
    query: { type: 'string', value: 'Q', help: 'queries per class', shown: "the run's" },
    episodes: { type: 'string', value: 'E', help: 'fixed episodes', shown: "the run's test episodes" },
    which: { type: 'string', value: 'best|last', help: 'which params to test', shown: 'best' },
    'inner-steps': {
      type: 'string',
      value: 'S',
      help: 'inner steps to adapt with',
      shown: "the run's test inner steps",
    },
  },
  description: `Meta-tests the run's best (or last) parameters on E fixed episodes of its meta-test classes, drawn
with a seed derived from the run's seed and the episode shape, and saved as test-episodes-<N>w<K>s.json.
Writes eval-<N>w<K>s.json.`,
  run: async (a) => {
    await evaluateRun(a.positionals[0], {
      way: posInt('eval', a, 'way'),
      shot: posInt('eval', a, 'shot'),
      query: posInt('eval', a, 'query'),
      episodes: posInt('eval', a, 'episodes'),
      which: oneOf('eval', a, 'which', ['best', 'last'] as const),
      innerSteps: posInt('eval', a, 'inner-steps'),
    });
    return 0;
  },
};
