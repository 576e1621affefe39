/**
 * Sweep specs: a grid or a random search over run-config fields, times a list of seeds, expanded into
 * one run config per (setting, seed). Validated like run configs (config.ts), with errors that name the
 * spec file and the field. Pure (no files, no queue): sweep_queue.ts enqueues what this expands.
 *
 *   { "out": "runs/sweep-lr",
 *     "base": { "learner": "protonet", "dataset": "synthetic", "steps": 200 },
 *     "grid": { "lr": [0.001, 0.003], "hidden": [16, 32] },
 *     "seeds": [0, 1, 2] }
 *
 * or, instead of `grid`, `"random": { "trials": 8, "seed": 0, "fields": { "lr": { "min": 1e-4,
 * "max": 1e-2, "log": true }, "hidden": [16, 32, 64] } }`.
 */
import { Rng } from '../engine/rng.js';
import { meanCI, type MeanCI } from '../engine/stats.js';
import { CONFIG_KEYS, checkValue, resolveConfig, suggest, type RunConfig } from './config.js';

/** A random-search field: a list to choose from, or a range sampled uniformly (log-uniformly with `log`). */
export type RandomField = unknown[] | { min: number; max: number; log?: boolean; int?: boolean };

/** A sweep spec as written in its JSON file. */
export interface SweepSpec {
  /** Names the sweep (its queue jobs); default: the spec file's name. */
  name?: string;
  /** The sweep's folder: runs in <out>/<setting>/seed-<seed>/, the table in <out>/sweep.md. */
  out: string;
  /** Run-config fields every run shares. */
  base?: Record<string, unknown>;
  /** Every combination of these values (config field -> list of values). */
  grid?: Record<string, unknown[]>;
  /** `trials` settings drawn with `seed` from `fields`. */
  random?: { trials: number; seed?: number; fields: Record<string, RandomField> };
  /** Every setting is trained once per seed. */
  seeds: number[];
}

/** One setting of a sweep: the fields it sets on top of `base`. */
export interface SweepSetting {
  /** Folder name of the setting under the sweep's `out`. */
  id: string;
  /** The fields as text, e.g. 'lr=0.001 hidden=16'. */
  label: string;
  fields: Record<string, unknown>;
}

/** One job of a sweep: a setting trained with one seed. */
export interface SweepRun {
  setting: string;
  seed: number;
  config: RunConfig;
}

/** A sweep expanded: its settings and one run per (setting, seed), `out` of each set under the sweep's. */
export interface ExpandedSweep {
  name: string;
  out: string;
  settings: SweepSetting[];
  runs: SweepRun[];
}

/** The queue sweeps and evaluation shards use unless told otherwise. */
export const DEFAULT_QUEUE = 'metalearn';

const SPEC_KEYS = ['name', 'out', 'base', 'grid', 'random', 'seeds'] as const;
/** Fields a sweep sets itself: every run's `seed` comes from `seeds`, its `out` from the sweep's. */
const SWEEP_OWNED = ['seed', 'out'];

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** A setting's value as text (folder names and labels): numbers as JS prints them, strings as they are. */
const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A folder-safe form of a setting: 'lr-0.001_hidden-16'. */
const folderName = (fields: Record<string, unknown>): string =>
  Object.entries(fields)
    .map(([k, v]) => `${k}-${show(v).replace(/[^A-Za-z0-9.+-]+/g, '_')}`)
    .join('_') || 'base';

function checkField(file: string, where: string, key: string, value: unknown): unknown {
  if (SWEEP_OWNED.includes(key))
    throw new Error(`${file}: ${where}: field '${key}' is set by the sweep (use 'seeds' and 'out')`);
  return checkValue(key, value, `${file}: ${where}`);
}

function gridSettings(file: string, grid: unknown): Record<string, unknown>[] {
  if (!isObject(grid)) throw new Error(`${file}: 'grid' must be an object of field -> list of values`);
  let combos: Record<string, unknown>[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    if (!Array.isArray(values) || values.length === 0)
      throw new Error(
        `${file}: grid.${key} must be a non-empty list of values, got ${JSON.stringify(values)}`,
      );
    const checked = values.map((v, i) => checkField(file, `grid.${key}[${i}]`, key, v));
    combos = combos.flatMap((c) => checked.map((v) => ({ ...c, [key]: v })));
  }
  return combos;
}

function randomValue(file: string, key: string, f: RandomField, rng: Rng): unknown {
  if (Array.isArray(f)) {
    if (f.length === 0) throw new Error(`${file}: random.fields.${key} must not be an empty list`);
    f.forEach((v, i) => checkField(file, `random.fields.${key}[${i}]`, key, v));
    return f[rng.int(f.length)];
  }
  const { min, max, log, int } = f;
  if (!(typeof min === 'number' && typeof max === 'number' && Number.isFinite(min) && max >= min))
    throw new Error(
      `${file}: random.fields.${key} must be a list or {"min": a, "max": b} with numbers a <= b, got ${JSON.stringify(f)}`,
    );
  if (log && !(min > 0)) throw new Error(`${file}: random.fields.${key}: a log range needs min > 0`);
  const u = rng.next();
  let v = log ? Math.exp(Math.log(min) + u * (Math.log(max) - Math.log(min))) : min + u * (max - min);
  // Four significant digits: readable labels, and the value the run records is the one shown.
  v = int ? Math.round(v) : Number(v.toPrecision(4));
  return checkField(file, `random.fields.${key}`, key, v);
}

function randomSettings(file: string, random: unknown): Record<string, unknown>[] {
  if (!isObject(random)) throw new Error(`${file}: 'random' must be an object { trials, seed, fields }`);
  const { trials, seed = 0, fields } = random;
  if (!(typeof trials === 'number' && Number.isSafeInteger(trials) && trials > 0))
    throw new Error(`${file}: random.trials must be a positive integer, got ${JSON.stringify(trials)}`);
  if (!(typeof seed === 'number' && Number.isSafeInteger(seed)))
    throw new Error(`${file}: random.seed must be an integer, got ${JSON.stringify(seed)}`);
  if (!isObject(fields) || Object.keys(fields).length === 0)
    throw new Error(`${file}: random.fields must be an object of field -> list or {min, max}`);
  for (const k of Object.keys(random))
    if (!['trials', 'seed', 'fields'].includes(k))
      throw new Error(`${file}: unknown key 'random.${k}'; known: trials, seed, fields`);
  const rng = new Rng(seed);
  return Array.from({ length: trials }, () =>
    Object.fromEntries(
      Object.entries(fields).map(([k, f]) => [k, randomValue(file, k, f as RandomField, rng)]),
    ),
  );
}

/**
 * Validate the spec (parsed JSON of `file`) and expand it into settings x seeds run configs. Every
 * value is checked like a config file's, and every run's whole config like a run config, so a bad
 * value fails here, before anything is enqueued. `resolveOut` turns the spec's `out` into the folder
 * the workers write (e.g. an absolute path on the shared storage).
 */
export function expandSweep(
  spec: unknown,
  file: string,
  resolveOut: (out: string) => string = (o) => o,
): ExpandedSweep {
  if (!isObject(spec)) throw new Error(`${file}: a sweep spec must hold an object (JSON or YAML)`);
  for (const k of Object.keys(spec))
    if (!(SPEC_KEYS as readonly string[]).includes(k))
      throw new Error(`${file}: unknown key '${k}'${suggest(k, SPEC_KEYS)}; known: ${SPEC_KEYS.join(', ')}`);
  const s = spec as Partial<SweepSpec>;
  if (typeof s.out !== 'string' || !s.out)
    throw new Error(`${file}: 'out' must be the sweep's folder (a string), got ${JSON.stringify(s.out)}`);
  if (s.name !== undefined && !(typeof s.name === 'string' && /^[A-Za-z0-9._-]+$/.test(s.name)))
    throw new Error(
      `${file}: 'name' must be letters, digits, '.', '_' or '-', got ${JSON.stringify(s.name)}`,
    );
  const seeds = s.seeds;
  if (!Array.isArray(seeds) || seeds.length === 0)
    throw new Error(`${file}: 'seeds' must be a non-empty list of seeds, got ${JSON.stringify(seeds)}`);
  seeds.forEach((v, i) => checkValue('seed', v, `${file}: seeds[${i}]`));
  if (new Set(seeds).size !== seeds.length) throw new Error(`${file}: 'seeds' lists a seed twice`);
  const base = s.base ?? {};
  if (!isObject(base)) throw new Error(`${file}: 'base' must be an object of run-config fields`);
  for (const [k, v] of Object.entries(base)) checkField(file, `base.${k}`, k, v);
  if ((s.grid === undefined) === (s.random === undefined))
    throw new Error(`${file}: give exactly one of 'grid' and 'random'`);
  const combos = s.grid !== undefined ? gridSettings(file, s.grid) : randomSettings(file, s.random);
  const out = resolveOut(s.out);
  const settings: SweepSetting[] = combos.map((fields, i) => ({
    id: s.random !== undefined ? `trial-${String(i).padStart(2, '0')}` : folderName(fields),
    label: Object.entries(fields)
      .map(([k, v]) => `${k}=${show(v)}`)
      .join(' '),
    fields,
  }));
  const runs = settings.flatMap((st) =>
    seeds.map((seed: number) => ({
      setting: st.id,
      seed,
      config: resolveConfig(
        { ...base, ...st.fields, seed, out: `${out}/${st.id}/seed-${seed}` },
        `${file} (setting ${st.label || 'base'})`,
        {},
      ),
    })),
  );
  const name = s.name ?? file.replace(/^.*[\\/]/, '').replace(/\.(json|ya?ml)$/i, '');
  return { name: name.replace(/[^A-Za-z0-9._-]/g, '_'), out, settings, runs };
}

/** The result of one run of a sweep, as its job returns it. */
export interface SweepRunResult {
  setting: string;
  seed: number;
  out: string;
  /** 'accuracy' or 'mse'. */
  metric: string;
  /** The run's meta-test result (mean and 95% CI over its test episodes). */
  test: MeanCI;
  stepsTrained: number;
  /** The checkpoint step this job resumed from (null: trained from the start or already finished). */
  resumedFrom: number | null;
  /** The run was already finished when the job started: nothing was trained. */
  alreadyDone: boolean;
}

/** A sweep's table: per setting, the mean and 95% CI over seeds of the runs' meta-test means. */
export interface SweepTable {
  name: string;
  metric: string;
  rows: { setting: SweepSetting; seeds: number[]; perSeed: number[]; summary: MeanCI }[];
  /** The setting with the best mean (highest accuracy, lowest MSE). */
  best: string;
  /** Runs of the sweep with no result (failed jobs), as setting/seed. */
  missing: string[];
}

/**
 * The sweep table from the runs' results. Each (setting, seed) must appear at most once: a second
 * result for the same run is an error, not an average.
 */
export function sweepTable(sweep: ExpandedSweep, results: readonly SweepRunResult[]): SweepTable {
  const seen = new Map<string, SweepRunResult>();
  for (const r of results) {
    const key = `${r.setting}/seed-${r.seed}`;
    if (seen.has(key)) throw new Error(`sweep ${sweep.name}: two results for ${key}`);
    seen.set(key, r);
  }
  const metric = results[0]?.metric ?? 'accuracy';
  const rows = sweep.settings.map((setting) => {
    const rs = sweep.runs
      .filter((r) => r.setting === setting.id)
      .map((r) => seen.get(`${r.setting}/seed-${r.seed}`))
      .filter((r): r is SweepRunResult => r !== undefined);
    const perSeed = rs.map((r) => r.test.mean);
    return { setting, seeds: rs.map((r) => r.seed), perSeed, summary: meanCI(perSeed) };
  });
  const better = (a: number, b: number) => (metric === 'accuracy' ? a > b : a < b);
  const scored = rows.filter((r) => r.perSeed.length > 0);
  const best = scored.reduce<(typeof rows)[number] | undefined>(
    (b, r) => (b === undefined || better(r.summary.mean, b.summary.mean) ? r : b),
    undefined,
  );
  const missing = sweep.runs
    .filter((r) => !seen.has(`${r.setting}/seed-${r.seed}`))
    .map((r) => `${r.setting}/seed-${r.seed}`);
  return { name: sweep.name, metric, rows, best: best?.setting.id ?? '', missing };
}

/** A value of the table as printed: accuracy in percent, MSE as it is. */
function fmt(metric: string, m: MeanCI): string {
  if (m.n === 0) return '—';
  const acc = metric === 'accuracy';
  const s = acc ? 100 : 1;
  const d = acc ? 2 : 4;
  return `${(m.mean * s).toFixed(d)}${acc ? '%' : ''} ± ${(m.ci95 * s).toFixed(d)}${acc ? '%' : ''}`;
}

/** Student-t 0.975 quantiles for 1..10 degrees of freedom. */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];

/** How much wider a Student-t interval would be with `n` seeds (few seeds: the normal one is optimistic). */
const tNote = (n: number): string =>
  n >= 2 && n <= 11
    ? `; with ${n} seeds a Student-t interval would be ${(T975[n - 2] / 1.96).toFixed(1)} times wider`
    : '';

/** The sweep table as Markdown. */
export function sweepMarkdown(t: SweepTable, extra: string[] = []): string {
  const seeds = Math.max(0, ...t.rows.map((r) => r.seeds.length));
  const name = t.metric === 'accuracy' ? 'meta-test accuracy' : 'meta-test MSE';
  const lines = [
    `# Sweep ${t.name}`,
    '',
    `${name}: mean ± 95% CI over seeds (normal approximation, 1.96 standard errors of the seed means${tNote(seeds)}). ` +
      `Each run is scored on its own fixed meta-test episodes.`,
    '',
    `| setting | fields | seeds | ${name} | per seed |`,
    '|---|---|---|---|---|',
    ...t.rows.map(
      (r) =>
        `| ${r.setting.id === t.best ? `**${r.setting.id}**` : r.setting.id} | ${r.setting.label || '(base)'} | ` +
        `${r.seeds.join(', ')} | ${fmt(t.metric, r.summary)} | ` +
        `${r.perSeed.map((v) => (t.metric === 'accuracy' ? (v * 100).toFixed(2) : v.toFixed(4))).join(', ')} |`,
    ),
    '',
    `Best setting: **${t.best || '—'}**${t.best ? ` (${t.rows.find((r) => r.setting.id === t.best)?.setting.label || 'base'})` : ''}.`,
  ];
  if (t.missing.length) lines.push('', `Runs with no result (failed): ${t.missing.join(', ')}.`);
  return [...lines, ...extra].join('\n') + '\n';
}

/** Every config field name a sweep may set (for help text). */
export const SWEEP_FIELDS = CONFIG_KEYS.filter((k) => !SWEEP_OWNED.includes(k));
