// Writes the page's bundled few-shot data: web/public/episodes/glyphs.png, a sprite sheet of 28x28
// drawings (one row per character, one column per drawing; white ink = 1 on black = 0), and glyphs.json,
// its layout. The glyphs come from the library's SyntheticAlphabet with a seed the demo weights never saw
// in training, so episodes drawn from them are a held-out test. Deterministic; no data files needed.
//
//   npx tsx web/scripts/make-episodes.ts
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as path from 'node:path';
import { SyntheticAlphabet } from '../../src/data/synthetic.js';
import { encodeGrayPng } from '../../src/data/png_encode.js';

/** Seed of the bundled glyphs; make-weights trains on seed 0. */
export const EPISODE_SEED = 7;
export const EPISODE_CLASSES = 20;
export const EPISODE_DRAWINGS = 10;
const SIZE = 28;

export interface GlyphSheet {
  format: 'metalearn-glyph-sheet';
  source: string;
  image: string;
  size: number;
  classes: number;
  drawingsPerClass: number;
  classNames: string[];
}

export function writeEpisodeAssets(dir: string): GlyphSheet {
  const ds = new SyntheticAlphabet({
    seed: EPISODE_SEED,
    numClasses: EPISODE_CLASSES,
    examplesPerClass: EPISODE_DRAWINGS,
  });
  const w = EPISODE_DRAWINGS * SIZE;
  const h = EPISODE_CLASSES * SIZE;
  const sheet = new Float32Array(w * h);
  const one = new Float32Array(SIZE * SIZE);
  for (let c = 0; c < EPISODE_CLASSES; c++) {
    for (let i = 0; i < EPISODE_DRAWINGS; i++) {
      ds.read(c, i, one);
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) sheet[(c * SIZE + y) * w + i * SIZE + x] = one[y * SIZE + x];
      }
    }
  }
  const meta: GlyphSheet = {
    format: 'metalearn-glyph-sheet',
    source: `${ds.name}: SyntheticAlphabet({ seed: ${EPISODE_SEED}, numClasses: ${EPISODE_CLASSES}, examplesPerClass: ${EPISODE_DRAWINGS} })`,
    image: 'glyphs.png',
    size: SIZE,
    classes: EPISODE_CLASSES,
    drawingsPerClass: EPISODE_DRAWINGS,
    classNames: Array.from({ length: EPISODE_CLASSES }, (_, c) => ds.className(c)),
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'glyphs.png'), encodeGrayPng(w, h, sheet));
  writeFileSync(path.join(dir, 'glyphs.json'), JSON.stringify(meta, null, 1) + '\n');
  return meta;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'public', 'episodes');
  const m = writeEpisodeAssets(dir);
  console.log(
    `wrote ${path.join(dir, m.image)} (${m.classes} characters x ${m.drawingsPerClass} drawings) and glyphs.json`,
  );
}
