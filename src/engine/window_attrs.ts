/**
 * Window attributes of tfjs's convolution and pooling kernels, shared by the native kernels
 * (kernels/native.ts) and the gradients that route to them (gradients/).
 */

/** A window attribute (filter size, strides, dilations) as [h, w]. */
export function pair(v: number | number[], what: string): [number, number] {
  if (typeof v === 'number') return [v, v];
  if (Array.isArray(v) && v.length === 2) return [v[0], v[1]];
  throw new Error(`${what}: expected a number or [h, w], got ${JSON.stringify(v)}`);
}

/** True when max-pool windows tile the input without overlap or padding (e.g. 2x2 stride 2 'valid'). */
export function isTilingPool(kh: number, kw: number, sh: number, sw: number, pad: unknown): boolean {
  return kh === sh && kw === sw && (pad === 'valid' || pad === 0);
}
