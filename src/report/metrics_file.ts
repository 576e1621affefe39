/**
 * Reading a run's metrics.jsonl (one JSON object per step) for reports (Node: files). A run killed
 * while it appended a line leaves that last line cut short; it is skipped, as resume skips it. Any
 * other bad line is an error naming the file and the line.
 */
import { readFileSync } from 'node:fs';

export interface MetricLine {
  step: number;
  /** null when the loss was not finite (JSON has no NaN). */
  loss: number | null;
  seconds: number;
  val?: { mean: number; ci95: number; n: number };
}

export interface MetricLines {
  lines: MetricLine[];
  /** `file:line (cut short)` when the last line was cut short and skipped. */
  skipped?: string;
}

const isNum = (v: unknown): v is number => typeof v === 'number';

/** The fields a report draws, checked: `where` is `file:line`. */
function checkLine(rec: unknown, where: string): MetricLine {
  const bad = (field: string, expected: string, v: unknown): never => {
    throw new Error(`${where}: field '${field}' must be ${expected}, got ${JSON.stringify(v)}`);
  };
  if (rec === null || typeof rec !== 'object' || Array.isArray(rec))
    throw new Error(`${where}: expected a JSON object per line, got ${JSON.stringify(rec)}`);
  const r = rec as Record<string, unknown>;
  if (!isNum(r.step)) bad('step', 'a number', r.step);
  if (!(isNum(r.loss) || r.loss === null)) bad('loss', 'a number', r.loss);
  if (r.val !== undefined) {
    const v = r.val as Record<string, unknown> | null;
    if (v === null || typeof v !== 'object') bad('val', 'an object {mean, ci95, n}', r.val);
    for (const k of ['mean', 'ci95'])
      if (!(isNum(v![k]) || v![k] === null)) bad(`val.${k}`, 'a number', v![k]);
  }
  return r as unknown as MetricLine;
}

/** The metric lines of `file`. */
export function readMetricLines(file: string): MetricLines {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${file}: cannot read the metrics (${(e as Error).message})`);
  }
  const raw = text.split('\n');
  // The index of the last non-empty line: the only one a kill can cut short (every line is one append).
  let last = raw.length - 1;
  while (last >= 0 && !raw[last].trim()) last--;
  const cutShort = last >= 0 && last === raw.length - 1; // no newline after it
  const lines: MetricLine[] = [];
  let skipped: string | undefined;
  raw.forEach((l, i) => {
    if (!l.trim()) return;
    const where = `${file}:${i + 1}`;
    let rec: unknown;
    try {
      rec = JSON.parse(l);
    } catch (e) {
      if (i === last && cutShort) {
        skipped = `${where} (cut short)`;
        return;
      }
      throw new Error(`${where}: not a JSON line (${(e as Error).message})`);
    }
    lines.push(checkLine(rec, where));
  });
  return { lines, skipped };
}
