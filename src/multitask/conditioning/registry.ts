import type { ArchSpec, MultiTaskNet } from '../types.js';
import { type AdditiveOptions, additiveNet } from './additive.js';
import { type ConcatOptions, concatNet } from './concat.js';
import { type CrossStitchOptions, crossStitchNet } from './cross_stitch.js';
import { type FilmOptions, filmNet } from './film.js';
import { type GatingOptions, gatingNet } from './gating.js';
import { independentNet } from './independent.js';
import { mtanNet } from './mtan.js';
import { multiheadNet } from './multihead.js';
import { type SluiceOptions, sluiceNet } from './sluice.js';
import { type SoftSharingOptions, softSharingNet } from './soft.js';

/** Options of each architecture, by registry name. */
export interface ArchitectureOptions {
  concat: ConcatOptions;
  additive: AdditiveOptions;
  multihead: Record<string, never>;
  gating: GatingOptions;
  film: FilmOptions;
  independent: Record<string, never>;
  'cross-stitch': CrossStitchOptions;
  sluice: SluiceOptions;
  mtan: Record<string, never>;
  soft: SoftSharingOptions;
}

/** A task-conditioning architecture makeArchitecture knows. */
export type ArchitectureName = keyof ArchitectureOptions;

type Constructor = (spec: ArchSpec, opts: object) => MultiTaskNet;

/** name -> constructor, like LibMTL's architecture registry; every entry takes (spec, options). */
export const ARCHITECTURES: Readonly<Record<ArchitectureName, Constructor>> = {
  concat: concatNet as Constructor,
  additive: additiveNet as Constructor,
  multihead: multiheadNet as Constructor,
  gating: gatingNet as Constructor,
  film: filmNet as Constructor,
  independent: independentNet as Constructor,
  'cross-stitch': crossStitchNet as Constructor,
  sluice: sluiceNet as Constructor,
  mtan: mtanNet as Constructor,
  soft: softSharingNet as Constructor,
};

/** Names of every task-conditioning architecture. */
export function architectureNames(): ArchitectureName[] {
  return Object.keys(ARCHITECTURES) as ArchitectureName[];
}

/** Build a registered architecture; an unknown name is an error that lists the known ones. */
export function makeArchitecture<N extends string>(
  name: N,
  spec: ArchSpec,
  opts: N extends ArchitectureName ? ArchitectureOptions[N] : object = {} as never,
): MultiTaskNet {
  if (!Object.prototype.hasOwnProperty.call(ARCHITECTURES, name)) {
    throw new Error(`unknown architecture '${name}'; known architectures: ${architectureNames().join(', ')}`);
  }
  return ARCHITECTURES[name as ArchitectureName](spec, opts ?? {});
}
