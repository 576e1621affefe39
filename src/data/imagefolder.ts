import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { type ClassDataset, checkExample } from './types.js';
import { decodePng, pngToGray } from './png_decode.js';
import { type ResizeMethod, resizeGray } from './image.js';

/** Options of an image-folder dataset: output size, resize method, and whether to invert gray levels. */
export interface ImageFolderOptions {
  /** Output size: a side for square images, or [height, width]; default 28. */
  size?: number | readonly [number, number];
  /** Default 'area'. */
  resize?: ResizeMethod;
  /**
   * Store 1 - gray instead of gray. Use it for dark ink on white paper (like the Omniglot scans) so that ink
   * is 1 and background 0, as the Omniglot reader does; default false (bright = 1).
   */
  invert?: boolean;
}

const OTHER_IMAGES = new Set(['.jpg', '.jpeg', '.bmp', '.gif', '.webp', '.tif', '.tiff', '.pgm', '.ppm']);

/**
 * A user's own few-shot data: every folder that directly holds PNG files is a class, named by its path
 * under the root (`class/file.png`, or nested like Omniglot's `alphabet/character/file.png`). Images are
 * decoded once, converted to gray in [0, 1] (alpha composited over white), resized, and kept as float32.
 * Classes and files are in sorted order, so class ids are stable.
 */
export class ImageFolderDataset implements ClassDataset {
  readonly name: string;
  readonly numClasses: number;
  readonly exampleShape: readonly number[];
  private readonly classes: { name: string; files: string[]; pixels: Float32Array }[];
  private readonly per: number;

  constructor(
    readonly root: string,
    opts: ImageFolderOptions = {},
  ) {
    const size = opts.size ?? 28;
    const [h, w] = typeof size === 'number' ? [size, size] : size;
    if (![h, w].every((v) => Number.isInteger(v) && v >= 1)) {
      throw new Error(
        `ImageFolderDataset: option size must be positive integers, got ${JSON.stringify(size)}`,
      );
    }
    const resize = opts.resize ?? 'area';
    let st;
    try {
      st = statSync(root);
    } catch {
      throw new Error(`${root}: image folder does not exist`);
    }
    if (!st.isDirectory()) throw new Error(`${root}: not a folder`);
    const found = new Map<string, string[]>();
    walk(root, root, found);
    if (found.size === 0) {
      throw new Error(`${root}: no PNG images found; expected <class>/<image>.png under this folder`);
    }
    this.per = h * w;
    const names = [...found.keys()].sort();
    this.classes = names.map((name) => {
      const files = found.get(name)!.sort();
      const pixels = new Float32Array(files.length * this.per);
      files.forEach((f, i) => {
        const path = join(root, name, f);
        const img = decodePng(readFileSync(path), path);
        const gray = resizeGray(pngToGray(img), img.height, img.width, h, w, resize);
        if (opts.invert) for (let j = 0; j < gray.length; j++) gray[j] = 1 - gray[j];
        pixels.set(gray, i * this.per);
      });
      return { name, files, pixels };
    });
    this.numClasses = this.classes.length;
    this.exampleShape = [h, w, 1];
    this.name = `imagefolder(${root})`;
  }

  examplesOf(c: number): number {
    const k = this.classes[c];
    if (k === undefined)
      throw new RangeError(`${this.name}: class index ${c} out of range [0, ${this.numClasses})`);
    return k.files.length;
  }

  read(c: number, i: number, out: Float32Array, offset = 0): void {
    checkExample(this, c, i);
    out.set(this.classes[c].pixels.subarray(i * this.per, (i + 1) * this.per), offset);
  }

  className(c: number): string {
    this.examplesOf(c);
    return this.classes[c].name;
  }

  fileOf(c: number, i: number): string {
    checkExample(this, c, i);
    return join(this.root, this.classes[c].name, this.classes[c].files[i]);
  }
}

/**
 * Collect `found` (class path -> PNG names) under `dir`. Symbolic links are followed, as a shell's
 * `ls` shows them: a linked class folder or PNG counts like a real one. `seen` maps the real path of
 * every folder visited to the path it was reached by, so a link loop (a folder leading back above
 * itself) and a folder reached twice (its images would count twice) are refused, not walked forever.
 */
function walk(
  root: string,
  dir: string,
  found: Map<string, string[]>,
  seen: Map<string, string> = new Map([[realpathSync(root), root]]),
  above: readonly string[] = [realpathSync(root)],
): void {
  const pngs: string[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (ent.name.startsWith('.')) continue;
    const path = join(dir, ent.name);
    let isDir = ent.isDirectory();
    let isFile = ent.isFile();
    if (ent.isSymbolicLink()) {
      let st;
      try {
        st = statSync(path);
      } catch (e) {
        throw new Error(
          `${path}: broken symbolic link (to ${readlinkSync(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); remove or repair it`,
        );
      }
      isDir = st.isDirectory();
      isFile = st.isFile();
    }
    if (isDir) {
      const real = realpathSync(path);
      if (above.includes(real)) {
        throw new Error(
          `${path}: symbolic link loop: it leads back to ${seen.get(real) ?? real}, a folder above it`,
        );
      }
      const other = seen.get(real);
      if (other !== undefined) {
        throw new Error(
          `${path}: this folder is also reached as ${other} (through symbolic links), so its images would count twice; keep one of the two`,
        );
      }
      seen.set(real, path);
      walk(root, path, found, seen, [...above, real]);
    } else if (isFile) {
      const ext = extname(ent.name).toLowerCase();
      if (ext === '.png') pngs.push(ent.name);
      else if (OTHER_IMAGES.has(ext)) {
        // Skipping it would silently shrink a class; say what to do instead.
        throw new Error(`${path}: only PNG images are supported (convert ${ext} files to .png)`);
      }
    }
  }
  if (pngs.length > 0) {
    if (dir === root) {
      throw new Error(
        `${root}: PNG files lie directly in the root; put each class in its own subfolder (<class>/<image>.png)`,
      );
    }
    found.set(relative(root, dir).split(sep).join('/'), pngs);
  }
}

/** A ClassDataset of the images under `root`, one subfolder per class. */
export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): ImageFolderDataset {
  return new ImageFolderDataset(root, opts);
}
