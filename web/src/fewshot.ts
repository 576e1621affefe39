// The page's use of the library: load a ProtoNet's Conv4 from model.json + weights.bin and run episodes.
import {
  tf,
  conv4,
  protoNet,
  episodeOutputs,
  fetchParams,
  countParams,
  checkParamsMatch,
  learnerShapes,
  type Params,
  type MetaLearner,
} from '../../src/browser.js';

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

export interface Model {
  theta: Params;
  hidden: number;
  blocks: number;
  count: number;
  metadata: Record<string, unknown>;
}

/** Conv4 width and depth read off the weight shapes (embed.block{i}.conv.w is [3, 3, in, hidden]). */
export async function loadModel(url: string): Promise<Model> {
  const { params, metadata } = await fetchParams(url);
  const w0 = params['embed.block0.conv.w'];
  if (!w0 || w0.shape.length !== 4 || w0.shape[2] !== 1) {
    throw new Error(`${url}: not a ProtoNet with a Conv4 embedding of 1-channel images`);
  }
  let blocks = 0;
  while (params[`embed.block${blocks}.conv.w`]) blocks++;
  const model = {
    theta: params,
    hidden: w0.shape[3],
    blocks,
    count: countParams(params),
    metadata: metadata ?? {},
  };
  // Every other param must be the one this Conv4 has, of its shape (an edited or foreign model.json).
  checkParamsMatch(learnerShapes(learnerFor(model, 5)), params, url, {
    context: `a ProtoNet with a Conv4 embedding of ${model.blocks} blocks of ${model.hidden} filters`,
  });
  return model;
}

const learners = new Map<number, MetaLearner>();
function learnerFor(model: Model, ways: number): MetaLearner {
  const key = ways * 1000 + model.hidden * 10 + model.blocks;
  let l = learners.get(key);
  if (!l) {
    l = protoNet({ embed: conv4({ hidden: model.hidden, blocks: model.blocks }), ways });
    learners.set(key, l);
  }
  return l;
}

function stack(images: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(images.length * PIXELS);
  images.forEach((im, i) => out.set(im, i * PIXELS));
  return out;
}

export interface Classified {
  /** Softmax over the negative squared distances to the class prototypes, one row per query. */
  probs: Float32Array[];
  /** Milliseconds from uploading the images to having the probabilities in JavaScript. */
  ms: number;
}

/**
 * Adapt on a support set (labels 0..ways-1) and classify queries: ProtoNet's class prototypes are the mean
 * support embeddings, and the logits of a query are its negative squared distances to them. Support and
 * queries go through the Conv4 in one batch, as in meta-training (its batch norm uses the statistics of
 * the whole episode).
 */
export async function classify(
  model: Model,
  ways: number,
  support: readonly Float32Array[],
  labels: readonly number[],
  queries: readonly Float32Array[],
): Promise<Classified> {
  const t0 = performance.now();
  const learner = learnerFor(model, ways);
  const probs = tf.tidy(() => {
    const ep = {
      support: {
        x: tf.tensor4d(stack(support), [support.length, SIDE, SIDE, 1]),
        y: tf.tensor1d(Int32Array.from(labels), 'int32'),
      },
      query: {
        x: tf.tensor4d(stack(queries), [queries.length, SIDE, SIDE, 1]),
        y: tf.zeros([queries.length], 'int32'),
      },
    };
    return tf.softmax(episodeOutputs(learner, model.theta, ep));
  });
  const flat = (await probs.data()) as Float32Array;
  probs.dispose();
  const ms = performance.now() - t0;
  const rows = Array.from({ length: queries.length }, (_, i) => flat.slice(i * ways, (i + 1) * ways));
  return { probs: rows, ms };
}

export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i] > xs[best]) best = i;
  return best;
}
