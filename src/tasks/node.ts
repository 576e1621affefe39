// Tasks, Node-only: episode sets read from and written to JSON files.
export { loadEpisodeSet, saveEpisodeSet } from './episode_files.js';
