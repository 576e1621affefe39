// A drawing pad (pointer events: mouse, touch and pen) that keeps strokes as vectors and rasterises them
// to the model's 28x28 input: ink 1 on background 0, anti-aliased, area-averaged from 4x supersampling.
import { PIXELS, SIDE } from './fewshot.js';

type Pt = [number, number];

/** Pen width in pixels of the 28x28 image: the synthetic training glyphs use 1.4 to 2.2. */
export const PEN_28 = 1.9;
/** The glyphs' strokes stay inside about [0.15, 0.85] of the frame; fitted drawings get this box. */
const FIT_BOX = 0.7;
const SUPER = 4;

export class Pad {
  strokes: Pt[][] = [];
  private current: Pt[] | null = null;
  private readonly ctx: CanvasRenderingContext2D;
  /** Called while drawing (throttled to animation frames) and when a stroke ends. */
  onChange: (final: boolean) => void = () => {};
  private pending = false;

  constructor(readonly canvas: HTMLCanvasElement) {
    this.ctx = canvas.getContext('2d')!;
    canvas.style.touchAction = 'none';
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    this.redraw();
  }

  get empty(): boolean {
    return this.strokes.length === 0;
  }

  private pos(e: PointerEvent): Pt {
    const r = this.canvas.getBoundingClientRect();
    return [
      ((e.clientX - r.left) * this.canvas.width) / r.width,
      ((e.clientY - r.top) * this.canvas.height) / r.height,
    ];
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0 && e.pointerType === 'mouse') return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.current = [this.pos(e)];
    this.strokes.push(this.current);
    this.redraw();
  }

  private move(e: PointerEvent): void {
    if (!this.current) return;
    e.preventDefault();
    const evs = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ce of evs.length > 0 ? evs : [e]) this.current.push(this.pos(ce));
    this.redraw();
    if (!this.pending) {
      this.pending = true;
      requestAnimationFrame(() => {
        this.pending = false;
        if (this.current) this.onChange(false);
      });
    }
  }

  private up(e: PointerEvent): void {
    if (!this.current) return;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.current = null;
    this.onChange(true);
  }

  clear(): void {
    this.strokes = [];
    this.current = null;
    this.redraw();
    this.onChange(true);
  }

  /** The pad shows the pen at the width the model sees when the drawing is not rescaled. */
  private redraw(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    strokePaths(ctx, this.strokes, (canvas.width / SIDE) * PEN_28, (p) => p);
  }

  /** The drawing as a 28x28 image in [0, 1]; `fit` scales and centres its bounding box into the frame. */
  toImage(fit: boolean): Float32Array {
    const S = SIDE * SUPER;
    let map = (p: Pt): Pt => [(p[0] * S) / this.canvas.width, (p[1] * S) / this.canvas.height];
    if (fit && !this.empty) {
      let x0 = Infinity;
      let y0 = Infinity;
      let x1 = -Infinity;
      let y1 = -Infinity;
      for (const s of this.strokes) {
        for (const [x, y] of s) {
          x0 = Math.min(x0, x);
          y0 = Math.min(y0, y);
          x1 = Math.max(x1, x);
          y1 = Math.max(y1, y);
        }
      }
      // Scale by the longer side so a bar stays a bar; a dot is not blown up to fill the frame.
      const side = Math.max(x1 - x0, y1 - y0, this.canvas.width / 8);
      const k = (FIT_BOX * S) / side;
      const cx = (x0 + x1) / 2;
      const cy = (y0 + y1) / 2;
      map = (p) => [(p[0] - cx) * k + S / 2, (p[1] - cy) * k + S / 2];
    }
    return rasterise(this.strokes, map);
  }
}

function strokePaths(
  ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D,
  strokes: Pt[][],
  width: number,
  map: (p: Pt) => Pt,
): void {
  ctx.strokeStyle = '#fff';
  ctx.fillStyle = '#fff';
  ctx.lineWidth = width;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  for (const s of strokes) {
    if (s.length === 0) continue;
    const pts = s.map(map);
    if (pts.length === 1) {
      ctx.beginPath();
      ctx.arc(pts[0][0], pts[0][1], width / 2, 0, 2 * Math.PI);
      ctx.fill();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i][0], pts[i][1]);
    ctx.stroke();
  }
}

let scratch: OffscreenCanvasRenderingContext2D | null = null;

/** Draw strokes (already mapped to a 112x112 frame) white on black, then average 4x4 blocks to 28x28. */
function rasterise(strokes: Pt[][], map: (p: Pt) => Pt): Float32Array {
  const S = SIDE * SUPER;
  scratch ??= new OffscreenCanvas(S, S).getContext('2d', { willReadFrequently: true })!;
  const ctx = scratch;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, S, S);
  strokePaths(ctx, strokes, PEN_28 * SUPER, map);
  const rgba = ctx.getImageData(0, 0, S, S).data;
  const out = new Float32Array(PIXELS);
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) out[((y / SUPER) | 0) * SIDE + ((x / SUPER) | 0)] += rgba[4 * (y * S + x)];
  }
  for (let i = 0; i < PIXELS; i++) out[i] /= 255 * SUPER * SUPER;
  return out;
}

/** Paint a 28x28 image onto a canvas of any size (nearest-neighbour, ink white). */
export function paintImage(canvas: HTMLCanvasElement, img: Float32Array): void {
  const ctx = canvas.getContext('2d')!;
  const id = new ImageData(SIDE, SIDE);
  for (let i = 0; i < PIXELS; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, img[i])));
    id.data[4 * i] = id.data[4 * i + 1] = id.data[4 * i + 2] = v;
    id.data[4 * i + 3] = 255;
  }
  const tmp = new OffscreenCanvas(SIDE, SIDE);
  tmp.getContext('2d')!.putImageData(id, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}
