// The reduction kernel shared by wasm_reduce.ts (JavaScript) and native.ts (the addon's signature), in a
// module of its own so that neither imports the other.

/** out[a, b] = scale * sum_r x[a, r, b] over [outer, red, inner]; the addon's reduceBlock takes the same. */
export function reduceBlock(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  red: number,
  inner: number,
  scale: number,
): void {
  const acc = new Float64Array(inner);
  for (let a = 0; a < outer; a++) {
    acc.fill(0);
    let off = a * red * inner;
    for (let r = 0; r < red; r++) {
      for (let b = 0; b < inner; b++) acc[b] += x[off + b];
      off += inner;
    }
    const o = a * inner;
    for (let b = 0; b < inner; b++) out[o + b] = acc[b] * scale;
  }
}

/** The signature of reduceBlock, which the native addon implements too. */
export type ReduceBlockFn = typeof reduceBlock;
