import { tf } from '../../engine/tf.js';
import { Rng } from '../../engine/rng.js';
import type { Ctx } from '../../nn/module.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskNet, StepObservation } from '../types.js';
import { checkOptions, numberOption } from './options.js';
import {
  checkSegments,
  initHeads,
  initLinear,
  linear,
  ownerByStem,
  resolveSpec,
  sliceRows,
} from './common.js';

/** Options of routingNet. */
export interface RoutingOptions {
  /** Function blocks per layer to choose from (default 3). */
  blocks?: number;
  /** WPL step size eta (default 0.05). */
  policyLr?: number;
  /** Step size of the running mean reward Q of each block (default 0.1). */
  valueLr?: number;
  /** Smallest probability a block keeps, so no block is ruled out for good (default 0.01). */
  minProb?: number;
}

/** A routing network's router: one tabular policy per task and layer, and the route of the current step. */
export interface RouterState {
  /** policy[t][l][k]: probability that task t takes block k at layer l. */
  readonly policy: number[][][];
  /** value[t][l][k]: running mean reward of task t after taking block k at layer l. */
  readonly value: number[][][];
  /** route[t][l]: the block task t takes at layer l in the current training step. */
  readonly route: number[][];
}

/** A MultiTaskNet with a router, whose state can be read (for reports and tests). */
export interface RoutingNet extends MultiTaskNet {
  router(): RouterState;
  /** The route a task takes at evaluation: the most probable block at every layer. */
  greedyRoute(task: number): number[];
}

function sample(p: readonly number[], rng: Rng): number {
  let u = rng.next();
  for (let k = 0; k < p.length; k++) {
    u -= p[k];
    if (u <= 0) return k;
  }
  return p.length - 1;
}

/**
 * One Weighted Policy Learner update (Abdallah & Lesser 2006) of a tabular policy from action values:
 * the advantage d_k = Q_k - sum_j pi_j Q_j is damped by pi_k when negative and by 1 - pi_k when positive,
 * so a policy slows down as it nears a deterministic one (which keeps multi-agent learning from
 * oscillating), then pi <- pi + eta d, kept at least `minProb` and renormalised.
 */
export function wplUpdate(
  pi: readonly number[],
  q: readonly number[],
  eta: number,
  minProb: number,
): number[] {
  const v = pi.reduce((a, p, k) => a + p * q[k], 0);
  const next = pi.map((p, k) => {
    const d = q[k] - v;
    return Math.max(minProb, p + eta * d * (d < 0 ? p : 1 - p));
  });
  const s = next.reduce((a, b) => a + b, 0);
  return next.map((p) => p / s);
}

/**
 * Routing network (Rosenbaum, Klinger & Riemer 2018), with the multi-agent router trained by the
 * Weighted Policy Learner as Rosenbaum et al. 2019 recommend: every hidden layer holds `blocks`
 * function blocks (dense + ReLU) shared by all tasks, and each task has its own policy per layer
 * (one agent per task, a table over blocks) that picks which block its rows pass through; each task
 * has its own output head. In training, every step samples one route per task from the policies;
 * the blocks and heads learn by backpropagation through the chosen route, and after the step each
 * task's reward -L_t updates the running value Q of the blocks it took and then its policies (WPL).
 * Evaluation takes the most probable block at every layer. Unvisited blocks start with Q = 0, an
 * optimistic value under negative rewards, so every block gets tried. The paper rewards per example
 * (+1 correct, -1 wrong, plus a bonus for re-using blocks); this router is rewarded per task batch.
 */
export function routingNet(spec: ArchSpec, opts: RoutingOptions = {}): RoutingNet {
  const who = 'routing';
  checkOptions(opts, ['blocks', 'policyLr', 'valueLr', 'minProb'], who);
  const s = resolveSpec(spec, who);
  const K = numberOption(opts.blocks ?? 3, 'blocks', who, 1, 64);
  if (!Number.isInteger(K)) throw new Error(`${who}: option 'blocks' must be an integer, got ${K}`);
  const eta = numberOption(opts.policyLr ?? 0.05, 'policyLr', who, 0);
  const beta = numberOption(opts.valueLr ?? 0.1, 'valueLr', who, 0, 1);
  const minProb = numberOption(opts.minProb ?? 0.01, 'minProb', who, 0, 1 / K);
  const T = s.outDims.length;
  const L = s.hidden.length;
  let rng = new Rng(0);
  let state: RouterState = fresh();

  function fresh(): RouterState {
    const table = (v: number) =>
      Array.from({ length: T }, () => Array.from({ length: L }, () => new Array<number>(K).fill(v)));
    const policy = table(1 / K);
    return { policy, value: table(0), route: policy.map((layers) => layers.map((p) => sample(p, rng))) };
  }
  const greedyRoute = (t: number) => state.policy[t].map((p) => p.indexOf(Math.max(...p)));

  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (r) => {
      let p: Params = {};
      for (let l = 0; l < L; l++)
        for (let k = 0; k < K; k++)
          p = {
            ...p,
            ...initLinear(r, `route${l}.b${k}`, l === 0 ? s.inputDim : s.hidden[l - 1], s.hidden[l]),
          };
      p = { ...p, ...initHeads(r, 'task', s.hidden[L - 1], s.outDims) };
      // The router restarts with the parameters, its sampling seeded from the same stream.
      rng = r.fork();
      state = fresh();
      return p;
    },
    apply: (p: Params, input, ctx?: Ctx) => {
      checkSegments(input, T, who);
      return tf.tidy(() =>
        input.segments.map((seg) => {
          const route = ctx?.training ? state.route[seg.task] : greedyRoute(seg.task);
          let h = sliceRows(input.x, seg);
          route.forEach((k, l) => (h = tf.relu(linear(p, `route${l}.b${k}`, h))));
          return linear(p, `head${seg.task}`, h);
        }),
      );
    },
    owner: ownerByStem(['head']),
    lastShared: [],
    observe: (o: StepObservation) => {
      o.tasks.forEach((t, i) => {
        const reward = -o.losses[i];
        if (!Number.isFinite(reward)) return;
        state.route[t].forEach((k, l) => {
          const q = state.value[t][l];
          q[k] += beta * (reward - q[k]);
          state.policy[t][l] = wplUpdate(state.policy[t][l], q, eta, minProb);
        });
      });
      for (let t = 0; t < T; t++) state.route[t] = state.policy[t].map((pr) => sample(pr, rng));
    },
    router: () => state,
    greedyRoute,
  };
}
