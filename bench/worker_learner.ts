// The learner the workers benchmark builds in every thread: MAML on the literature's Conv4 (64 filters).
import { conv4, dense, sequential } from '../src/index.js';
import { maml } from '../src/meta/optimization/maml.js';

export function benchMaml(arg: { firstOrder?: boolean }) {
  return maml({
    model: sequential([
      ['backbone', conv4()],
      ['head', dense(64, 5)],
    ]),
    innerLr: 0.4,
    firstOrder: arg.firstOrder,
  });
}
