// Data, Node-only: readers of files on disk (Omniglot zips, image folders, CSV tables) and downloads.

// Omniglot (Lake et al. 2015) and the Vinyals et al. (2016) splits.
export {
  OmniglotImages,
  loadOmniglot,
  ensureOmniglot,
  loadOmniglotBackgroundEvaluation,
  loadOmniglotVinyals,
  loadOmniglotVinyalsSplits,
  loadOmniglotLakeSplits,
  readVinyalsSplit,
  VINYALS_SPLITS,
  type OmniglotSet,
  type OmniglotOptions,
  type VinyalsSplit,
  type VinyalsLine,
  type OmniglotLakeOptions,
  type OmniglotLakeSplits,
} from './omniglot.js';
export { fetchOmniglot, OMNIGLOT_URLS, OMNIGLOT_MD5, type FetchOmniglotOptions } from './download.js';

// Your own images: one folder per class.
export { ImageFolderDataset, loadImageFolder, type ImageFolderOptions } from './imagefolder.js';
export {
  ImageListDataset,
  decodeImageFile,
  IMAGENET_NORMALIZATION,
  AUTO_CACHE_IMAGES,
  type ImageDecodeOptions,
  type ImageClass,
  type ColorMode,
} from './image_list.js';
export {
  decodeJpeg,
  isJpeg,
  MAX_JPEG_PIXELS,
  type JpegImage,
  type DecodeJpegOptions,
} from './jpeg_decode.js';
export { readTar, writeTar } from './tar.js';

// The standard few-shot image benchmarks from local files, with their published splits.
export {
  loadMiniImageNet,
  loadTieredImageNet,
  loadCifarFs,
  loadFc100,
  loadCub,
  cubChenSplit,
  ensureCifar100,
  BENCHMARK_LOADERS,
  BENCHMARK_FILES,
  BENCHMARK_CLASS_COUNTS,
  CIFAR_FS_CLASSES,
  FC100_SUPERCLASSES,
  CIFAR100_BINARY,
  BENCHMARK_SOURCES,
  type ImageBenchmarkName,
  type ImageBenchmarkOptions,
  type ImageBenchmarkSplits,
} from './fewshot_benchmarks.js';
export {
  loadMiniImageNetPickle,
  loadTieredImageNetPickle,
  EncodedImageDataset,
  type EncodedImageClass,
} from './benchmark_pickles.js';
export { readPickleFile, FileSource } from './pickle_file.js';
export { decodePng, pngToGray, MAX_PNG_PIXELS, type PngImage, type DecodePngOptions } from './png_decode.js';
export { encodeGrayPng } from './png_encode.js';

// CSV tables and the tabular benchmarks read from them.
export { parseCsv, parseCsvRows, CsvTable, type CsvOptions, type CsvRows } from './csv.js';
export {
  tasksFromTable,
  loadYoutubeSpam,
  loadParkinsons,
  PARKINSONS_FEATURES,
  type TableTaskOptions,
  type YoutubeSpamOptions,
  type ParkinsonsOptions,
} from './tabular_files.js';

// Where data and caches are looked for: the option, else METALEARN_DATA / METALEARN_CACHE, else the
// per-user folders.
export { DATA_ENV, CACHE_ENV, userDir, resolveDataDir, resolveCacheDir } from './paths.js';
