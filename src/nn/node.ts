// Neural networks, Node-only: params saved to and loaded from a folder, and atomic file replacement.
export { saveParams, loadParams, replaceParamsDir, replaceDir, settledDir, fileError } from './io_files.js';
