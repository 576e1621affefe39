// A learner factory for worker-thread tests: MAML on a small Conv4 for 16x16 toy images.
import { conv4, dense, sequential } from '../../src/index.js';
import { maml } from '../../src/meta/optimization/maml.js';

export function toyMaml(arg: { ways: number; firstOrder?: boolean }) {
  return maml({
    model: sequential([
      ['backbone', conv4({ hidden: 8 })],
      ['head', dense(8, arg.ways)],
    ]),
    innerLr: 0.4,
    firstOrder: arg.firstOrder,
  });
}
