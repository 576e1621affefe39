import { tf } from '../engine/tf.js';
import { HashingTextEmbedder, type TextEmbedder } from '../data/text.js';

export type { TextEmbedder } from '../data/text.js';

/**
 * A task descriptor z_i, the information that tells tasks apart (what a multi-task model conditions on;
 * Caruana 1997 for multi-task learning). Every kind carries a `vector`, so a conditioning network can
 * take any of them; the other fields say where it came from.
 */
export type TaskDescriptor =
  /** No side information (e.g. a few-shot episode: the task is only known through its support set). */
  | { readonly kind: 'none'; readonly vector: Float32Array }
  /** The task's index among a fixed set of tasks, one-hot. */
  | {
      readonly kind: 'onehot';
      readonly index: number;
      readonly numTasks: number;
      readonly vector: Float32Array;
    }
  /** Known properties of the task, e.g. a patient's age and sex, or a sinusoid's amplitude and phase. */
  | { readonly kind: 'metadata'; readonly names: readonly string[]; readonly vector: Float32Array }
  /** A formal or natural-language specification, embedded by a TextEmbedder. */
  | { readonly kind: 'text'; readonly text: string; readonly encoder: string; readonly vector: Float32Array };

/** An empty descriptor, for learners that are not told which task they face. */
export function noDescriptor(): TaskDescriptor {
  return { kind: 'none', vector: new Float32Array(0) };
}

/** Task `index` of `numTasks` as a one-hot vector. */
export function oneHotDescriptor(index: number, numTasks: number): TaskDescriptor {
  if (!Number.isInteger(numTasks) || numTasks < 1) {
    throw new Error(`oneHotDescriptor: numTasks must be a positive integer, got ${numTasks}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= numTasks) {
    throw new Error(`oneHotDescriptor: index ${index} out of range [0, ${numTasks})`);
  }
  const vector = new Float32Array(numTasks);
  vector[index] = 1;
  return { kind: 'onehot', index, numTasks, vector };
}

/** Numeric side information about a task (e.g. its amplitude and phase) as the descriptor. */
export function metadataDescriptor(values: ArrayLike<number>, names?: readonly string[]): TaskDescriptor {
  const vector = Float32Array.from(values);
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i])) {
      throw new Error(
        `metadataDescriptor: value ${i}${names ? ` ('${names[i]}')` : ''} is not finite: ${vector[i]}`,
      );
    }
  }
  const n = names ?? Array.from({ length: vector.length }, (_, i) => `m${i}`);
  if (n.length !== vector.length) {
    throw new Error(`metadataDescriptor: ${vector.length} values but ${n.length} names`);
  }
  return { kind: 'metadata', names: n.slice(), vector };
}

let defaultEmbedder: TextEmbedder | null = null;

/** The default specification encoder: 64 hashed buckets of words, word pairs and character trigrams. */
export function defaultTextEmbedder(): TextEmbedder {
  return (defaultEmbedder ??= new HashingTextEmbedder({ dim: 64 }));
}

/** A text about the task, embedded as a vector. */
export function textDescriptor(text: string, embedder: TextEmbedder = defaultTextEmbedder()): TaskDescriptor {
  const vector = embedder.embed(text);
  if (vector.length !== embedder.dim) {
    throw new Error(
      `textDescriptor: encoder ${embedder.name} returned ${vector.length} values, not dim ${embedder.dim}`,
    );
  }
  return { kind: 'text', text, encoder: embedder.name, vector };
}

/** Stack descriptors into a [n, d] float32 tensor (one upload); they must all have the same length. */
export function descriptorMatrix(descriptors: readonly TaskDescriptor[]): tf.Tensor2D {
  if (descriptors.length === 0) throw new Error('descriptorMatrix: no descriptors');
  const d = descriptors[0].vector.length;
  const out = new Float32Array(descriptors.length * d);
  descriptors.forEach((z, i) => {
    if (z.vector.length !== d) {
      throw new Error(
        `descriptorMatrix: descriptor ${i} (${z.kind}) has length ${z.vector.length}, descriptor 0 has ${d}`,
      );
    }
    out.set(z.vector, i * d);
  });
  return tf.tensor2d(out, [descriptors.length, d], 'float32');
}
