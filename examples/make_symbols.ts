// Writes a few-shot folder pair for `metalearn predict`: unseen synthetic characters drawn as dark ink on
// white, 2 per class in <support>/<class>/ and 4 per class in <query>/.
//   npx tsx examples/make_symbols.ts my-support my-queries
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { SyntheticAlphabet } from '../src/data/synthetic.js';
import { encodeGrayPng } from '../src/data/png_encode.js';

const [supportDir = 'my-support', queryDir = 'my-queries'] = process.argv.slice(2);
// The demo trains on characters 0..399 of this alphabet; 420+ were never seen.
const ds = new SyntheticAlphabet({ numClasses: 450, seed: 1234 });
const px = new Float32Array(28 * 28);
const png = (c: number, i: number) => {
  ds.read(c, i, px, 0);
  return encodeGrayPng(
    28,
    28,
    Array.from(px, (v) => 1 - v),
  );
};
[420, 431, 442].forEach((c, j) => {
  const dir = path.join(supportDir, `symbol-${j}`);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < 2; i++) writeFileSync(path.join(dir, `${i}.png`), png(c, i));
  mkdirSync(queryDir, { recursive: true });
  for (let i = 2; i < 6; i++) writeFileSync(path.join(queryDir, `symbol-${j}-${i}.png`), png(c, i));
});
console.log(`wrote ${supportDir}/symbol-{0,1,2}/ (2 drawings each) and ${queryDir}/ (12 drawings)`);
