// Neural networks, Node-only: params saved to and loaded from a folder.
export { saveParams, loadParams } from './io_files.js';
