import { tf } from '../engine/tf.js';
import { EVAL } from '../nn/module.js';
import type { Params } from '../nn/params.js';
import { buildBatch, disposeBatch } from './data.js';
import type { MultiTaskNet, MultiTaskSet, TaskKind } from './types.js';

/** One task's per-example scores on held-out rows. */
export interface TaskScores {
  readonly id: string;
  readonly kind: TaskKind;
  /** 'accuracy' (per example 1 if right, else 0) or 'mse' (per example squared error, in target units). */
  readonly metric: 'accuracy' | 'mse';
  readonly perExample: Float64Array;
}

/**
 * Per-example scores on a split of every task, so a report can pair examples across models and put
 * confidence intervals on differences rather than only on means.
 */
export function scoreExamples(
  net: MultiTaskNet,
  params: Params,
  set: MultiTaskSet,
  split: 'train' | 'test' = 'test',
  chunk = 512,
): TaskScores[] {
  const scale2 = (set.targetScale ?? 1) ** 2;
  return set.tasks.map((task, t) => {
    const rows = task[split];
    const per = new Float64Array(rows.n);
    for (let a = 0; a < rows.n; a += chunk) {
      const idx = Array.from({ length: Math.min(chunk, rows.n - a) }, (_, i) => a + i);
      const batch = buildBatch(set, [{ task: t, rows: idx }], split);
      try {
        const r = tf.tidy(() => {
          const [out] = net.apply(params, batch.input, EVAL);
          const y = batch.targets[0];
          if (task.kind === 'classification') return tf.cast(tf.equal(tf.argMax(out, -1), y), 'float32');
          return tf.mean(tf.square(tf.sub(out, y)), -1);
        });
        const v = r.dataSync();
        r.dispose();
        for (let i = 0; i < idx.length; i++)
          per[a + i] = task.kind === 'classification' ? v[i] : v[i] * scale2;
      } finally {
        disposeBatch(batch);
      }
    }
    return {
      id: task.id,
      kind: task.kind,
      metric: task.kind === 'classification' ? 'accuracy' : 'mse',
      perExample: per,
    };
  });
}
