/** Unknown option names are errors: a misspelt 'lamda' must not silently train the default model. */
export function checkOptions(opts: object, known: readonly string[], who: string): void {
  if (opts === null || typeof opts !== 'object') throw new Error(`${who}: options must be an object`);
  for (const k of Object.keys(opts)) {
    if (!known.includes(k)) {
      throw new Error(
        `${who}: unknown option '${k}'; known options: ${known.length > 0 ? known.join(', ') : '(none)'}`,
      );
    }
  }
}

export function numberOption(v: unknown, name: string, who: string, lo: number, hi = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new Error(`${who}: option '${name}' must be a number in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}
