import type { ArchSpec, MultiTaskNet } from '../types.js';
import { checkOptions } from './options.js';
import { resolveSpec } from './common.js';
import { trunkNet } from './trunk_net.js';

/**
 * Multi-head: a shared trunk theta_sh and one output layer theta_i per task (hard parameter sharing).
 * z is not read: the task index picks the head. With one task it is a plain single-task network, which
 * is how the transfer report builds its independent baselines.
 */
export function multiheadNet(spec: ArchSpec, opts: Record<string, never> = {}): MultiTaskNet {
  const who = 'multihead';
  checkOptions(opts, [], who);
  return trunkNet(who, resolveSpec(spec, who), 'task');
}
