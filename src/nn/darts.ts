import { tf } from '../engine/tf.js';
import { type Module, childCtx, expectShape, positiveInt, where } from './module.js';
import { batchNorm, conv2d, flatten, maxPool2d } from './layers.js';
import { type Params, subParams, withPrefix } from './params.js';

/*
 * A differentiable architecture search space (DARTS, Liu et al. 2019), sized for few-shot images as in
 * MetaNAS (Elsken et al. 2020): a stem, then `cells` cells, each followed by 2x2 max pooling (Conv4's
 * reduction, in place of DARTS's reduction cells). A cell is a small DAG: node 0 is its input, node j
 * (1..nodes) sums one operation of every earlier node, and the cell's output is the mean of nodes
 * 1..nodes. In the supernet every edge is a mixed operation, sum_o softmax(alpha_e)_o * o(x), with one
 * alpha [edges, ops] shared by all cells; a genotype (one operation per edge) makes the plain network.
 * Every operation is built from tfjs ops with gradients to any order (no hand-written gradient), so the
 * derived network also trains with second-order MAML.
 */

/** The candidate operations of an edge. */
export const DARTS_OPS = ['conv3x3', 'conv5x5', 'max3x3', 'avg3x3', 'skip', 'zero'] as const;
export type DartsOp = (typeof DARTS_OPS)[number];

/** Which operation each edge of a cell applies (edge order: (0,1), (0,2), (1,2), (0,3), ...). */
export type Genotype = DartsOp[];

/** The edges (from, to) of a cell with `nodes` intermediate nodes, in genotype order. */
export function cellEdges(nodes: number): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 1; j <= nodes; j++) for (let i = 0; i < j; i++) out.push([i, j]);
  return out;
}

/** Intermediate nodes of a cell with `edges` edges, or null when no cell has that many. */
function nodesOf(edges: number): number | null {
  for (let n = 1; n * (n + 1) <= 2 * edges; n++) if ((n * (n + 1)) / 2 === edges) return n;
  return null;
}

/**
 * A genotype from text, operation names per edge separated by commas, e.g. 'conv3x3,max3x3,skip' (a
 * cell of 2 nodes: 3 edges). 'zero' is refused: a derived cell keeps every edge.
 */
export function parseGenotype(text: string, field = 'genotype'): Genotype {
  const names = text.split(',').map((s) => s.trim());
  const usable = DARTS_OPS.filter((o) => o !== 'zero');
  for (const n of names) {
    if (!(usable as readonly string[]).includes(n))
      throw new Error(
        `field '${field}': unknown operation '${n}' in ${JSON.stringify(text)}; expected comma-separated names from ${usable.join(', ')}`,
      );
  }
  if (nodesOf(names.length) === null)
    throw new Error(
      `field '${field}': a cell has 1, 3, 6, 10, ... edges (n(n+1)/2 for n nodes), got ${names.length} in ${JSON.stringify(text)}`,
    );
  return names as Genotype;
}

/**
 * The discrete architecture of a supernet's alpha [edges, ops] (rows in DARTS_OPS order): on every edge
 * the operation of largest weight other than 'zero' (Liu et al. 2019's derivation rule; with every edge
 * of the small cell kept, none is dropped).
 */
export function deriveGenotype(alpha: tf.Tensor | number[][]): Genotype {
  const rows = Array.isArray(alpha) ? alpha : (alpha.arraySync() as number[][]);
  if (alpha instanceof tf.Tensor && alpha.rank !== 2)
    throw new Error(
      `deriveGenotype: alpha must be [edges, ${DARTS_OPS.length}], got [${alpha.shape.join(', ')}]`,
    );
  return rows.map((r, e) => {
    if (r.length !== DARTS_OPS.length)
      throw new Error(
        `deriveGenotype: row ${e} of alpha has ${r.length} weights, expected ${DARTS_OPS.length}`,
      );
    let best = -1;
    for (let o = 0; o < r.length; o++) if (DARTS_OPS[o] !== 'zero' && (best < 0 || r[o] > r[best])) best = o;
    return DARTS_OPS[best];
  });
}

/** Options of cellNet. */
export interface CellNetOptions {
  inChannels?: number;
  /** Channels of the stem and of every cell. */
  hidden?: number;
  /** Cells after the stem, each followed by 2x2 max pooling (default 3: 28 -> 14 -> 7 -> 3 -> 1). */
  cells?: number;
  /** Intermediate nodes per cell of the supernet (default 2: 3 edges). A genotype sets its own. */
  nodes?: number;
  /** The plain network of this genotype; absent: the supernet with alpha under key 'alpha'. */
  genotype?: Genotype;
}

/** The key of the supernet's architecture weights in its params. */
export const ALPHA_KEY = 'alpha';

type Op = { init: (rng: Parameters<Module['init']>[0]) => Params; apply: Module['apply'] };

/** Mean over a 3x3 window, stride 1, padding not counted (count_include_pad = false). */
export function avgPool3x3(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [, h, w] = x.shape as number[];
    const padded = tf.pad(x, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    const ones = tf.pad(tf.ones([1, h, w, 1]), [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    let sum: tf.Tensor | null = null;
    let count: tf.Tensor | null = null;
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) {
        const s = tf.slice(padded, [0, dy, dx, 0], [-1, h, w, -1]);
        const c = tf.slice(ones, [0, dy, dx, 0], [-1, h, w, -1]);
        sum = sum === null ? s : tf.add(sum, s);
        count = count === null ? c : tf.add(count, c);
      }
    }
    return tf.div(sum!, count!);
  });
}

/**
 * Max over a 3x3 window, stride 1, 'same' size: an elementwise maximum of nine shifted copies, whose
 * gradient (and its gradient) tfjs builds from ops, unlike its overlapping MaxPool kernel (first order).
 */
export function maxPool3x3(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [, h, w] = x.shape as number[];
    // -1e9 never wins: every window holds its centre.
    const padded = tf.pad(
      x,
      [
        [0, 0],
        [1, 1],
        [1, 1],
        [0, 0],
      ],
      -1e9,
    );
    let m: tf.Tensor = x;
    for (let dy = 0; dy < 3; dy++) {
      for (let dx = 0; dx < 3; dx++) {
        if (dy === 1 && dx === 1) continue;
        m = tf.maximum(m, tf.slice(padded, [0, dy, dx, 0], [-1, h, w, -1]));
      }
    }
    return m;
  });
}

function makeOp(name: DartsOp, c: number): Op {
  if (name === 'conv3x3' || name === 'conv5x5') {
    const conv = conv2d(c, c, name === 'conv3x3' ? 3 : 5);
    const bn = batchNorm(c);
    return {
      init: (rng) => ({ ...withPrefix('conv', conv.init(rng)), ...withPrefix('bn', bn.init(rng)) }),
      apply: (p, x, ctx) =>
        tf.tidy(() => {
          const h = conv.apply(subParams(p, 'conv'), x, childCtx(ctx, 'conv'));
          return tf.relu(bn.apply(subParams(p, 'bn'), h, childCtx(ctx, 'bn')));
        }),
    };
  }
  if (name === 'max3x3') return { init: () => ({}), apply: (_p, x) => maxPool3x3(x) };
  if (name === 'avg3x3') return { init: () => ({}), apply: (_p, x) => avgPool3x3(x) };
  if (name === 'skip') return { init: () => ({}), apply: (_p, x) => tf.clone(x) };
  return { init: () => ({}), apply: (_p, x) => tf.zerosLike(x) };
}

/**
 * The search network (no genotype: every edge a softmax(alpha)-weighted mix of DARTS_OPS) or the plain
 * network of a genotype. Params: stem.conv.{w,b}, stem.bn.{gamma,beta}, cell{c}.e{e}.{op}.conv/bn.*,
 * and in the supernet `alpha` [edges, ops] (zeros at init: a uniform mix).
 */
export function cellNet(opts: CellNetOptions = {}): Module & {
  outputDim(h: number, w: number): number;
  readonly edges: number;
} {
  const who = 'cellNet';
  const inC = positiveInt(opts.inChannels ?? 1, 'inChannels', who);
  const c = positiveInt(opts.hidden ?? 64, 'hidden', who);
  const nCells = positiveInt(opts.cells ?? 3, 'cells', who);
  const genotype = opts.genotype;
  if (genotype) parseGenotype(genotype.join(','), 'genotype');
  const nodes = genotype ? nodesOf(genotype.length)! : positiveInt(opts.nodes ?? 2, 'nodes', who);
  const edges = cellEdges(nodes);
  const opsOf = (e: number): readonly DartsOp[] => (genotype ? [genotype[e]] : DARTS_OPS);
  const stemConv = conv2d(inC, c, 3);
  const stemBn = batchNorm(c);
  const cellOps = Array.from({ length: nCells }, () =>
    edges.map((_, e) => opsOf(e).map((o) => [o, makeOp(o, c)] as const)),
  );
  const pools = nCells + 1;
  return {
    name: genotype ? 'cellNet' : 'cellSupernet',
    edges: edges.length,
    outputDim: (h, w) => {
      for (let i = 0; i < pools; i++) {
        h = Math.floor(h / 2);
        w = Math.floor(w / 2);
      }
      if (h < 1 || w < 1) throw new Error(`${who}: input too small for ${pools} 2x2 poolings`);
      return h * w * c;
    },
    init: (rng) => {
      let p: Params = {
        ...withPrefix('stem.conv', stemConv.init(rng)),
        ...withPrefix('stem.bn', stemBn.init(rng)),
      };
      cellOps.forEach((cell, ci) =>
        cell.forEach((ops, e) => {
          for (const [o, op] of ops) p = { ...p, ...withPrefix(`cell${ci}.e${e}.${o}`, op.init(rng)) };
        }),
      );
      if (!genotype) p[ALPHA_KEY] = tf.zeros([edges.length, DARTS_OPS.length]);
      return p;
    },
    apply: (p, x, ctx) => {
      expectShape(x, [null, null, null, inC], where(ctx, who));
      if ((x.shape[1] as number) < 2 ** pools || (x.shape[2] as number) < 2 ** pools)
        throw new Error(
          `${where(ctx, who)}: input [${x.shape.join(', ')}] is too small for ${pools} poolings`,
        );
      if (!genotype) expectShape(p[ALPHA_KEY], [edges.length, DARTS_OPS.length], `${where(ctx, who)} alpha`);
      return tf.tidy(() => {
        const sc = childCtx(ctx, 'stem');
        let h = stemConv.apply(subParams(p, 'stem.conv'), x, childCtx(sc, 'conv'));
        // Pool before the (monotone) ReLU: the same values and gradients on a quarter of the elements.
        h = tf.relu(maxPool2d(stemBn.apply(subParams(p, 'stem.bn'), h, childCtx(sc, 'bn')), 2));
        const weights = genotype ? null : tf.unstack(tf.softmax(p[ALPHA_KEY], -1));
        const sum = (ts: tf.Tensor[]) => (ts.length === 1 ? ts[0] : tf.addN(ts));
        cellOps.forEach((cell, ci) => {
          const states: tf.Tensor[] = [h];
          for (let j = 1; j <= nodes; j++) {
            const terms: tf.Tensor[] = [];
            edges.forEach(([from, to], e) => {
              if (to !== j) return;
              for (const [o, op] of cell[e]) {
                if (o === 'zero') continue; // contributes 0 whatever its weight
                const prefix = `cell${ci}.e${e}.${o}`;
                const out = op.apply(subParams(p, prefix), states[from], childCtx(ctx, prefix));
                terms.push(weights ? tf.mul(out, tf.slice(weights[e], [DARTS_OPS.indexOf(o)], [1])) : out);
              }
            });
            states.push(sum(terms));
          }
          h = maxPool2d(tf.div(sum(states.slice(1)), nodes), 2);
        });
        return flatten(h);
      });
    },
  };
}
