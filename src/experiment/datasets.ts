import { Rng } from '../engine/rng.js';
import type { ClassDataset } from '../data/types.js';
import { SyntheticAlphabet } from '../data/synthetic.js';
import { loadOmniglotVinyalsSplits } from '../data/omniglot.js';
import { loadImageFolder } from '../data/imagefolder.js';
import { metaSplits, splitClassIds } from '../tasks/splits.js';
import { assertDisjoint } from '../data/views.js';
import type { ImageDecodeOptions } from '../data/image_list.js';
import { loadTaskSplits } from '../tasks/tasksets.js';
import type { RunConfig } from './config.js';

export interface MetaDatasets {
  train: ClassDataset;
  val: ClassDataset;
  test: ClassDataset;
  /** One line on where the data came from and how it was split. */
  description: string;
}

/** Disjoint meta-train / meta-val / meta-test class sets for a run. */
export function loadMetaDatasets(cfg: RunConfig, log: (s: string) => void = () => {}): MetaDatasets {
  switch (cfg.dataset) {
    case 'mini-imagenet':
    case 'tiered-imagenet':
    case 'cifar-fs':
    case 'fc100':
    case 'cub': {
      log(`loading ${cfg.dataset} (large sets are decoded once into the cache)...`);
      const image: ImageDecodeOptions = { color: cfg.color ?? 'rgb' };
      if (cfg.imageSize !== undefined) image.size = cfg.imageSize;
      return loadTaskSplits(cfg.dataset, { dataDir: cfg.dataDir, image });
    }
    case 'synthetic': {
      // 400 procedurally drawn characters, 20 drawings each; classes split 240 / 80 / 80.
      const ds = new SyntheticAlphabet({ numClasses: 400, seed: 1234 });
      const s = metaSplits(ds, splitClassIds(ds.numClasses, { train: 240, val: 80, test: 80 }, new Rng(7)));
      return { ...s, description: 'synthetic alphabet: 400 characters x 20 drawings; 240/80/80 classes' };
    }
    case 'omniglot': {
      log('loading Omniglot (the first load decodes the zips and writes the cache)...');
      const t0 = Date.now();
      const s = loadOmniglotVinyalsSplits({ dataDir: cfg.dataDir, size: cfg.imageSize }, [
        'train',
        'val',
        'test',
      ]);
      log(`Omniglot ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      const train = s.train!;
      const val = s.val!;
      const test = s.test!;
      assertDisjoint({ train, val, test });
      return {
        train,
        val,
        test,
        description: `Omniglot, Vinyals split with rotations: ${train.numClasses} / ${val.numClasses} / ${test.numClasses} classes`,
      };
    }
    case 'omniglot-lake':
      log('loading Omniglot (the first load decodes the zips and writes the cache)...');
      return loadTaskSplits(cfg.dataset, { dataDir: cfg.dataDir, image: { size: cfg.imageSize } });
    case 'sinusoid':
      throw new Error(`dataset 'sinusoid' is a regression task distribution, not a set of classes`);
    case 'folder': {
      const color = cfg.color ?? 'gray';
      // Gray folders are read as Omniglot is (ink = 1); colour photographs as they are.
      const ds = loadImageFolder(cfg.folder!, { invert: color === 'gray', color, size: cfg.imageSize ?? 28 });
      const s = metaSplits(ds, splitClassIds(ds.numClasses, { train: 0.6, val: 0.2, test: 0.2 }, new Rng(7)));
      return { ...s, description: `image folder ${cfg.folder}: ${ds.numClasses} classes split 60/20/20%` };
    }
  }
}
