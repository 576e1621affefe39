// The bundled glyph sheet (public/episodes/glyphs.{png,json}, written by scripts/make-episodes.ts) and
// N-way K-shot episodes drawn from it.
import { EpisodeSampler, type ClassDataset, type Rng } from '../../src/browser.js';
import { PIXELS, SIDE } from './fewshot.js';

export interface Glyphs {
  classes: number;
  drawings: number;
  source: string;
  /** images[c][i]: drawing i of character c, 28x28 row-major, ink 1 on background 0. */
  images: Float32Array[][];
}

export async function loadGlyphs(jsonUrl: string): Promise<Glyphs> {
  const res = await fetch(jsonUrl);
  if (!res.ok) throw new Error(`${jsonUrl}: HTTP ${res.status}`);
  const meta = (await res.json()) as {
    format: string;
    image: string;
    size: number;
    classes: number;
    drawingsPerClass: number;
    source: string;
  };
  if (meta.format !== 'metalearn-glyph-sheet' || meta.size !== SIDE) {
    throw new Error(`${jsonUrl}: expected a metalearn-glyph-sheet of ${SIDE}x${SIDE} images`);
  }
  const pngUrl = new URL(meta.image, new URL(jsonUrl, location.href));
  const blob = await (await fetch(pngUrl)).blob();
  // The sheet is 8-bit gray: read it back without colour management so 255 stays 255.
  const bmp = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const w = meta.drawingsPerClass * SIDE;
  const h = meta.classes * SIDE;
  if (bmp.width !== w || bmp.height !== h)
    throw new Error(`${pngUrl}: expected ${w}x${h}, got ${bmp.width}x${bmp.height}`);
  const cv = new OffscreenCanvas(w, h);
  const ctx = cv.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bmp, 0, 0);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const images: Float32Array[][] = [];
  for (let c = 0; c < meta.classes; c++) {
    const row: Float32Array[] = [];
    for (let i = 0; i < meta.drawingsPerClass; i++) {
      const im = new Float32Array(PIXELS);
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) im[y * SIDE + x] = rgba[4 * ((c * SIDE + y) * w + i * SIDE + x)] / 255;
      }
      row.push(im);
    }
    images.push(row);
  }
  return { classes: meta.classes, drawings: meta.drawingsPerClass, source: meta.source, images };
}

export interface GlyphEpisode {
  classes: number[];
  support: Float32Array[];
  supportY: number[];
  query: Float32Array[];
  queryY: number[];
}

/** The glyph sheet as the library's ClassDataset (characters are classes, drawings their examples). */
export function glyphDataset(g: Glyphs): ClassDataset {
  return {
    name: g.source,
    numClasses: g.classes,
    exampleShape: [SIDE, SIDE, 1],
    examplesOf: () => g.drawings,
    read: (c, i, out, offset = 0) => out.set(g.images[c][i], offset),
    className: (c) => `glyph${c}`,
  };
}

/**
 * N distinct characters, then K support and Q query drawings of each, all distinct: the library's
 * EpisodeSampler draws the indices (as for every episode in Node), and the drawings are the sheet's arrays.
 */
export function sampleEpisode(g: Glyphs, rng: Rng, way: number, shot: number, query: number): GlyphEpisode {
  const spec = new EpisodeSampler(glyphDataset(g), { nWay: way, kShot: shot, nQuery: query }).sampleSpec(rng);
  const ep: GlyphEpisode = {
    classes: spec.classes.slice(),
    support: [],
    supportY: [],
    query: [],
    queryY: [],
  };
  spec.classes.forEach((c, j) => {
    for (const i of spec.support[j]) {
      ep.support.push(g.images[c][i]);
      ep.supportY.push(j);
    }
    for (const i of spec.query[j]) {
      ep.query.push(g.images[c][i]);
      ep.queryY.push(j);
    }
  });
  return ep;
}
