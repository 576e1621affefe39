import type { MetaGradConfig } from './grad_config.js';
import { spreadOverReduced } from './sum_grad.js';

export const meanGradConfig: MetaGradConfig = {
  kernelName: 'Mean',
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => ({
    x: () =>
      spreadOverReduced(
        dy,
        x,
        attrs.axis as number | number[],
        (axes) => 1 / axes.reduce((n, a) => n * x.shape[a], 1),
      ),
  }),
};
