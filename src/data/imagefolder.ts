import { readdirSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { type ImageDecodeOptions, ImageListDataset } from './image_list.js';

/**
 * Options of an image-folder dataset: output size, resize method, colour, inversion, normalisation and
 * caching (see ImageDecodeOptions).
 */
export type ImageFolderOptions = ImageDecodeOptions;

/** The image types an image folder reads (told apart by content, not only by name). */
const IMAGES = new Set(['.png', '.jpg', '.jpeg']);
const OTHER_IMAGES = new Set(['.bmp', '.gif', '.webp', '.tif', '.tiff', '.pgm', '.ppm', '.heic']);

/**
 * A user's own few-shot data: every folder that directly holds PNG or JPEG files is a class, named by its
 * path under the root (`class/file.jpg`, or nested like Omniglot's `alphabet/character/file.png`). Images
 * are decoded once (gray by default, or RGB with `color: 'rgb'`), resized, and stored as bytes; large
 * folders go to the binary cache. Classes and files are in sorted order, so class ids are stable.
 */
export class ImageFolderDataset extends ImageListDataset {
  constructor(
    readonly root: string,
    opts: ImageFolderOptions = {},
  ) {
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
      throw new Error(
        `${root}: no PNG or JPEG images found; expected <class>/<image>.png or .jpg under this folder`,
      );
    }
    const names = [...found.keys()].sort();
    const classes = names.map((name) => ({
      name,
      files: found
        .get(name)!
        .sort()
        .map((f) => join(root, name, f)),
    }));
    super(`imagefolder(${root})`, classes, opts);
  }
}

/**
 * Collect `found` (class path -> image names) under `dir`. Symbolic links are followed, as a shell's
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
      if (IMAGES.has(ext)) pngs.push(ent.name);
      else if (OTHER_IMAGES.has(ext)) {
        // Skipping it would silently shrink a class; say what to do instead.
        throw new Error(
          `${path}: only PNG and JPEG images are supported (convert ${ext} files to .png or .jpg)`,
        );
      }
    }
  }
  if (pngs.length > 0) {
    if (dir === root) {
      throw new Error(
        `${root}: image files lie directly in the root; put each class in its own subfolder (<class>/<image>.png)`,
      );
    }
    found.set(relative(root, dir).split(sep).join('/'), pngs);
  }
}

/** A ClassDataset of the images under `root`, one subfolder per class. */
export function loadImageFolder(root: string, opts: ImageFolderOptions = {}): ImageFolderDataset {
  return new ImageFolderDataset(root, opts);
}
