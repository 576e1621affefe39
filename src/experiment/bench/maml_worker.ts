/**
 * The learner each worker builds for the maml workload's data-parallel timing: MAML on Conv4 with a
 * 5-way head, one inner step of 0.4, as the maml workload of workloads.ts computes it by hand.
 */
import { conv4 } from '../../nn/conv4.js';
import { dense } from '../../nn/layers.js';
import { sequential } from '../../nn/sequential.js';
import { maml } from '../../meta/optimization/maml.js';
import type { MetaLearner } from '../../meta/types.js';

export function benchMamlLearner(arg: { firstOrder?: boolean }): MetaLearner {
  return maml({
    model: sequential([
      ['backbone', conv4()],
      ['head', dense(64, 5)],
    ]),
    innerLr: 0.4,
    firstOrder: arg.firstOrder ?? false,
  });
}
