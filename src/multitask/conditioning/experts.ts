import { tf } from '../../engine/tf.js';
import type { Params } from '../../nn/params.js';
import type { ArchSpec, MultiTaskInput, MultiTaskNet, Owner } from '../types.js';
import { checkOptions } from './options.js';
import {
  applyTrunk,
  checkSegments,
  initLinear,
  initTrunk,
  linear,
  resolveSpec,
  sliceRows,
} from './common.js';

/** Options of the expert-gating architectures (MMoE, CGC, PLE). */
export interface ExpertOptions {
  /** Experts every task's gate may pick (MMoE: all experts are shared); default 4 (MMoE) or 2. */
  sharedExperts?: number;
  /** Experts of each task, read only by its own gate (CGC, PLE); default 0 (MMoE) or 1. */
  taskExperts?: number;
  /** Extraction levels (PLE); default 1 (MMoE, CGC) or 2. */
  levels?: number;
}

/** softmax(x W + b) over experts: the gate of `key` for every row of x (each row sums to 1). */
export function expertGate(p: Params, key: string, x: tf.Tensor): tf.Tensor {
  return tf.softmax(linear(p, key, x));
}

/** Σ_e gate[:, e] · expert_e: the gated mixture of expert outputs (each [n, h]). */
function mix(gate: tf.Tensor, experts: tf.Tensor[]): tf.Tensor {
  const stacked = tf.stack(experts, 1); // [n, E, h]
  return tf.sum(tf.mul(stacked, tf.expandDims(gate, 2)), 1);
}

function posInt(v: unknown, name: string, who: string, lo: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo)
    throw new Error(`${who}: option '${name}' must be an integer ≥ ${lo}, got ${JSON.stringify(v)}`);
  return v;
}

const OWNER_RE = /^(?:l\d+\.)?(task|gate|head)(\d+)\./;

/**
 * Progressive layered extraction (Tang, Liu, Zhao & Gong 2020), of which MMoE and CGC are special cases.
 * Each of `levels` extraction levels has `sharedExperts` shared experts and `taskExperts` experts per
 * task, every expert an MLP with the spec's hidden widths. Task t's gate, softmax(W_t r_t), mixes its
 * own and the shared experts into its next representation r_t; below the last level a shared gate mixes
 * all experts into the shared representation. Level 0 reads the input x everywhere; each task's head
 * reads its last r_t. Keys: `l{l}.shared{e}.fc{k}`, `l{l}.task{t}.e{e}.fc{k}`, `l{l}.gate{t}`,
 * `l{l}.gateShared`, `head{t}`. Heads, last-level task experts and the gates that feed only their task's
 * path belong to that task; in PLE the lower levels' task experts feed the shared gate, so every task's
 * loss reaches them and they count as shared.
 */
export function extractionNet(
  who: string,
  spec: ArchSpec,
  cfg: { sharedExperts: number; taskExperts: number; levels: number },
): MultiTaskNet {
  const s = resolveSpec(spec, who);
  const T = s.outDims.length;
  const { sharedExperts: S, taskExperts: E, levels: L } = cfg;
  if (S + E < 1) throw new Error(`${who}: needs at least one expert (sharedExperts + taskExperts ≥ 1)`);
  if (S === 0 && L > 1) throw new Error(`${who}: more than one level needs shared experts`);
  const depth = s.hidden.length;
  const width = s.hidden[depth - 1];
  const expert = (p: Params, prefix: string, x: tf.Tensor) => applyTrunk(p, prefix, x, depth);
  return {
    name: who,
    numTasks: T,
    spec: s,
    init: (rng) => {
      let p: Params = {};
      for (let l = 0; l < L; l++) {
        const inDim = l === 0 ? s.inputDim : width;
        for (let e = 0; e < S; e++) p = { ...p, ...initTrunk(rng, `l${l}.shared${e}`, inDim, s.hidden) };
        for (let t = 0; t < T; t++) {
          for (let e = 0; e < E; e++)
            p = { ...p, ...initTrunk(rng, `l${l}.task${t}.e${e}`, inDim, s.hidden) };
          p = { ...p, ...initLinear(rng, `l${l}.gate${t}`, inDim, E + S) };
        }
        if (l < L - 1) p = { ...p, ...initLinear(rng, `l${l}.gateShared`, inDim, T * E + S) };
      }
      s.outDims.forEach((d, t) => (p = { ...p, ...initLinear(rng, `head${t}`, width, d) }));
      return p;
    },
    apply: (p, input: MultiTaskInput) => {
      checkSegments(input, T, who);
      return tf.tidy(() => {
        let shared: tf.Tensor = input.x;
        let reps: tf.Tensor[] = Array.from({ length: T }, () => input.x);
        for (let l = 0; l < L - 1; l++) {
          const sh = Array.from({ length: S }, (_, e) => expert(p, `l${l}.shared${e}`, shared));
          const own = reps.map((r, t) =>
            Array.from({ length: E }, (_, e) => expert(p, `l${l}.task${t}.e${e}`, r)),
          );
          const next = reps.map((r, t) => mix(expertGate(p, `l${l}.gate${t}`, r), [...own[t], ...sh]));
          shared = mix(expertGate(p, `l${l}.gateShared`, shared), [...own.flat(), ...sh]);
          reps = next;
        }
        // Last level: each segment needs only its own task's path, on its own rows.
        const l = L - 1;
        return input.segments.map((seg) => {
          const t = seg.task;
          const r = sliceRows(reps[t], seg);
          const sh = sliceRows(shared, seg);
          const experts = [
            ...Array.from({ length: E }, (_, e) => expert(p, `l${l}.task${t}.e${e}`, r)),
            ...Array.from({ length: S }, (_, e) => expert(p, `l${l}.shared${e}`, sh)),
          ];
          return linear(p, `head${t}`, mix(expertGate(p, `l${l}.gate${t}`, r), experts));
        });
      });
    },
    owner: (key): Owner => {
      const m = OWNER_RE.exec(key);
      if (m === null) return 'shared';
      const t = Number(m[2]);
      if (m[1] === 'head') return t;
      // Below the last level the shared gate mixes every task's experts, so their gradients come from all
      // tasks; a task gate feeds only its own task's path when the level above is the last.
      const l = Number(m[0].match(/^l(\d+)/)![1]);
      return m[1] === 'task' ? (l === L - 1 ? t : 'shared') : l >= L - 2 ? t : 'shared';
    },
    // GradNorm's shared layer: the last layer of the last level's shared experts.
    lastShared: Array.from({ length: S }, (_, e) => [
      `l${L - 1}.shared${e}.fc${depth - 1}.w`,
      `l${L - 1}.shared${e}.fc${depth - 1}.b`,
    ]).flat(),
  };
}

function expertNet(
  who: string,
  spec: ArchSpec,
  opts: ExpertOptions,
  d: Required<ExpertOptions>,
): MultiTaskNet {
  checkOptions(opts, ['sharedExperts', 'taskExperts', 'levels'], who);
  return extractionNet(who, spec, {
    sharedExperts: posInt(opts.sharedExperts ?? d.sharedExperts, 'sharedExperts', who, 0),
    taskExperts: posInt(opts.taskExperts ?? d.taskExperts, 'taskExperts', who, 0),
    levels: posInt(opts.levels ?? d.levels, 'levels', who, 1),
  });
}

/**
 * Multi-gate mixture of experts (Ma, Zhao, Yi, Chen, Hong & Chi 2018): shared experts and one softmax
 * gate per task that mixes them for the task's head; tasks share experts in proportions they learn.
 * Default 4 experts (option sharedExperts); it is extractionNet with no task experts and one level.
 */
export function mmoeNet(spec: ArchSpec, opts: Pick<ExpertOptions, 'sharedExperts'> = {}): MultiTaskNet {
  checkOptions(opts, ['sharedExperts'], 'mmoe');
  return expertNet('mmoe', spec, opts, { sharedExperts: 4, taskExperts: 0, levels: 1 });
}

/**
 * Customized gate control (Tang et al. 2020): like MMoE, but each task also owns experts that only its
 * gate reads, so task-specific knowledge need not pass through shared experts. Default 2 shared and 1
 * per task; one level.
 */
export function cgcNet(spec: ArchSpec, opts: Omit<ExpertOptions, 'levels'> = {}): MultiTaskNet {
  checkOptions(opts, ['sharedExperts', 'taskExperts'], 'cgc');
  return expertNet('cgc', spec, opts, { sharedExperts: 2, taskExperts: 1, levels: 1 });
}

/** Progressive layered extraction (Tang et al. 2020): CGC levels stacked; default 2 levels. */
export function pleNet(spec: ArchSpec, opts: ExpertOptions = {}): MultiTaskNet {
  return expertNet('ple', spec, opts, { sharedExperts: 2, taskExperts: 1, levels: 2 });
}
