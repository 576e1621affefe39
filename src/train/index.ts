export { sgd, adam, type Optimizer, type AdamOptions, type AdamState } from './optim.js';
