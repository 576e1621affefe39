import { readFileSync } from 'node:fs';

/** Options of the CSV parser. */
export interface CsvOptions {
  /** Field separator; default ','. */
  delimiter?: string;
  /** Names the source in errors. */
  file?: string;
}

/** Parsed rows plus the 1-based line on which each row starts (for error messages). */
export interface CsvRows {
  rows: string[][];
  lines: number[];
}

/**
 * RFC 4180 CSV: quoted fields may hold delimiters, newlines and doubled quotes (""). Accepts LF and CRLF,
 * a leading byte-order mark, and skips blank lines. Lenient where real files are sloppy: a quote inside an
 * unquoted field is kept as a character. An unterminated quote is an error (it would swallow the file).
 */
export function parseCsvRows(text: string, opts: CsvOptions = {}): CsvRows {
  const delim = opts.delimiter ?? ',';
  if (delim.length !== 1 || delim === '"' || delim === '\n' || delim === '\r') {
    throw new Error(
      `parseCsv: delimiter must be one character other than a quote or newline, got '${delim}'`,
    );
  }
  const file = opts.file ?? '<csv>';
  const rows: string[][] = [];
  const lines: number[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let row: string[] = [];
  let rowLine = 1;
  let field = '';
  // inField: characters of the current field were consumed (a quote then is literal);
  // rowHasContent: the row is not blank (a delimiter or any character was seen).
  let inField = false;
  let rowHasContent = false;
  const endRow = () => {
    if (rowHasContent || inField) {
      row.push(field);
      rows.push(row);
      lines.push(rowLine);
    }
    row = [];
    field = '';
    inField = false;
    rowHasContent = false;
  };
  while (i < n) {
    const ch = text[i];
    if (ch === '"' && !inField) {
      // Quoted field: read to the closing quote; "" is an escaped quote.
      const startLine = line;
      inField = true;
      rowHasContent = true;
      i++;
      let closed = false;
      let buf = '';
      while (i < n) {
        const c = text[i];
        if (c === '"') {
          if (text[i + 1] === '"') {
            buf += '"';
            i += 2;
            continue;
          }
          closed = true;
          i++;
          break;
        }
        if (c === '\n') line++;
        buf += c;
        i++;
      }
      if (!closed) throw new Error(`${file}:${startLine}: unterminated quoted field (no closing '"')`);
      field += buf;
      continue;
    }
    if (ch === delim) {
      row.push(field);
      field = '';
      inField = false;
      rowHasContent = true;
      i++;
      continue;
    }
    if (ch === '\r' || ch === '\n') {
      endRow();
      if (ch === '\r' && text[i + 1] === '\n') i++;
      i++;
      line++;
      rowLine = line;
      continue;
    }
    field += ch;
    inField = true;
    rowHasContent = true;
    i++;
  }
  endRow();
  return { rows, lines };
}

/** Rows of fields; see parseCsvRows. */
export function parseCsv(text: string, opts: CsvOptions = {}): string[][] {
  return parseCsvRows(text, opts).rows;
}

/** A CSV file with a header row; every row is checked to have as many fields as the header. */
export class CsvTable {
  readonly header: readonly string[];
  readonly rows: readonly string[][];
  /** 1-based line number where each row starts. */
  readonly lines: readonly number[];

  constructor(
    readonly file: string,
    text: string,
    opts: { delimiter?: string } = {},
  ) {
    const { rows, lines } = parseCsvRows(text, { ...opts, file });
    if (rows.length === 0) throw new Error(`${file}: empty CSV (no header row)`);
    this.header = rows[0].map((h) => h.trim());
    for (let r = 1; r < rows.length; r++) {
      if (rows[r].length !== this.header.length) {
        throw new Error(
          `${file}:${lines[r]}: row has ${rows[r].length} fields, but the header has ${this.header.length}`,
        );
      }
    }
    this.rows = rows.slice(1);
    this.lines = lines.slice(1);
  }

  static read(path: string, opts: { delimiter?: string } = {}): CsvTable {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new Error(`${path}: cannot read CSV file: ${(e as Error).message}`);
    }
    return new CsvTable(path, text, opts);
  }

  /** Index of a column; `role` (e.g. 'label', 'task') makes the error say what the column was for. */
  columnIndex(name: string, role = ''): number {
    const k = this.header.indexOf(name);
    if (k < 0) {
      const what = role ? `${role} column` : 'column';
      throw new Error(`${this.file}: missing ${what} '${name}'; the header has: ${this.header.join(', ')}`);
    }
    return k;
  }

  column(name: string, role = ''): string[] {
    const k = this.columnIndex(name, role);
    return this.rows.map((r) => r[k]);
  }

  /** A column parsed as numbers; a non-numeric cell is an error naming the file, line and column. */
  numericColumn(name: string, role = ''): Float64Array {
    const k = this.columnIndex(name, role);
    const out = new Float64Array(this.rows.length);
    for (let r = 0; r < this.rows.length; r++) {
      const s = this.rows[r][k].trim();
      const v = s.length === 0 ? NaN : Number(s);
      if (!Number.isFinite(v)) {
        throw new Error(
          `${this.file}:${this.lines[r]}: column '${name}' should be a number, got '${this.rows[r][k]}'`,
        );
      }
      out[r] = v;
    }
    return out;
  }
}
