// Data (browser-safe): the ClassDataset interface and views of it, image and text helpers, synthetic data,
// and tabular task tables already in memory.

// Class datasets: the interface, and views (subsets, concatenations, rotations).
export {
  type ClassDataset,
  exampleSize,
  readExample,
  sourceKeyOf,
  groupOfClass,
  checkClass,
  checkExample,
} from './types.js';
export { ClassSubset, ConcatClasses, assertDisjoint } from './views.js';
export { RotatedClasses, type RotatedEntry } from './rotate.js';

// Synthetic data that needs no files.
export { SyntheticAlphabet, type SyntheticAlphabetOptions } from './synthetic.js';

// Seeded data augmentations for few-shot training.
export {
  type Augmentation,
  type ColorJitterOptions,
  randomCrop,
  horizontalFlip,
  colorJitter,
  normalizeChannels,
  composeAugmentations,
  parseAugmentations,
} from './augment.js';
export { ImageArrayDataset, type ImageArrayClass, type Normalization } from './image_array.js';

// Python pickles (the subset dataset files use: numpy arrays, dicts, lists, strings, numbers).
export {
  readPickle,
  BufferSource,
  dictGet,
  asNdArray,
  ndNumbers,
  pickleText,
  LONG_TEXT,
  type PickleSource,
  type PickleValue,
  type PickleDict,
  type NdArray,
  type NumpyDtype,
  type LongText,
  type ReadPickleOptions,
} from './pickle.js';

// Image and text helpers.
export { resizeChannels, resizeGray, rotateSquare, type ResizeMethod, type Rotation } from './image.js';
export { HashingTextEmbedder, hashString, tokenize, type TextEmbedder, type HashingOptions } from './text.js';

// Tabular tasks (rows grouped by task) and feature standardisation.
export { Standardiser, type TabularTask, type TabularTaskSet } from './tabular.js';
