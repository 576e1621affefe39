import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../data/cache.js';
import { EpisodeSet } from './episodes.js';

/** Read an episode set written by saveEpisodeSet; errors name the file and the bad field. */
export function loadEpisodeSet(path: string): EpisodeSet {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`${path}: cannot read episode set: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON: ${(e as Error).message}`);
  }
  return EpisodeSet.fromJSON(json, path);
}

/** The text saveEpisodeSet writes: what an episode set's file digest (sha256) is taken of. */
export function episodeSetText(set: EpisodeSet): string {
  return JSON.stringify(set.toJSON());
}

/** Write an episode set as JSON, atomically (temporary file, then rename). */
export function saveEpisodeSet(set: EpisodeSet, path: string): void {
  writeFileAtomic(path, episodeSetText(set));
}
