// Data readers: Omniglot zips, image folders, CSV task tables, synthetic data; caching and downloads.
export {
  type ClassDataset,
  exampleSize,
  readExample,
  sourceKeyOf,
  checkClass,
  checkExample,
} from './types.js';
export { DATA_ENV, REPO_ROOT, resolveDataDir, resolveCacheDir } from './paths.js';
export { crc32 } from './crc32.js';
export { ZipArchive, type ZipEntry } from './zip.js';
export { decodePng, pngToGray, type PngImage } from './png.js';
export { resizeGray, rotateSquare, type ResizeMethod, type Rotation } from './image.js';
export { writeFileAtomic, isTempCacheFile, type WriteSource, type Chunk } from './cache.js';
export { parseCsv, parseCsvRows, CsvTable, type CsvOptions, type CsvRows } from './csv.js';
export { HashingTextEmbedder, hashString, tokenize, type TextEmbedder, type HashingOptions } from './text.js';
export {
  OmniglotImages,
  loadOmniglot,
  loadOmniglotBackgroundEvaluation,
  loadOmniglotVinyals,
  loadOmniglotVinyalsSplits,
  readVinyalsSplit,
  omniglotZipPath,
  vinyalsSplitPath,
  VINYALS_SPLITS,
  type OmniglotSet,
  type OmniglotOptions,
  type VinyalsSplit,
  type VinyalsLine,
} from './omniglot.js';
export {
  fetchOmniglot,
  OMNIGLOT_URLS,
  OMNIGLOT_PNG_COUNTS,
  VINYALS_SPLIT_URL_BASE,
  type FetchOmniglotOptions,
} from './download.js';
export { ImageFolderDataset, loadImageFolder, type ImageFolderOptions } from './imagefolder.js';
export {
  tasksFromTable,
  Standardiser,
  type TabularTask,
  type TabularTaskSet,
  type TableTaskOptions,
} from './tabular.js';
export {
  loadYoutubeSpam,
  loadParkinsons,
  PARKINSONS_FEATURES,
  type YoutubeSpamOptions,
  type ParkinsonsOptions,
} from './tabular_files.js';
export { SyntheticAlphabet, type SyntheticAlphabetOptions } from './synthetic.js';
export { ClassSubset, ConcatClasses, assertDisjoint } from './views.js';
export { RotatedClasses, type RotatedEntry } from './rotate.js';
