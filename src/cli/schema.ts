/**
 * The one shape of every command: its help text, options and positionals (from which `--help` is
 * generated and argv is parsed with node:util parseArgs), and what it runs. Unknown options are refused
 * with the closest known one; `--flag value` and `--flag=value` both work everywhere.
 */
import { parseArgs } from 'node:util';
import { suggest } from '../experiment/config.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  /** What the value is, for help ('N', 'best|last', 'DIR'); string options only. */
  value?: string;
  help: string;
  /** The default shown in help (in brackets). Defaults are applied by the command, not here. */
  shown?: string;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  /** The command's arguments as given (for records of the command line). */
  argv: string[];
}

export interface Command {
  name: string;
  /** One line for `metalearn --help`. */
  summary: string;
  /** Positional arguments, in order: `required` of them must be given, at most all of them. */
  positionals: { names: string[]; required: number };
  options: Record<string, OptionSpec>;
  /** Paragraphs after the usage line. */
  description: string;
  /** Extra help after the options (examples). */
  epilog?: string;
  run(args: ParsedArgs): Promise<number>;
}

const HELP_OPTION: OptionSpec = { type: 'boolean', help: 'print this help' };

/** The usage line of a command, from its positionals and options. */
export function usage(cmd: Command): string {
  const pos = cmd.positionals.names.map((n, i) => (i < cmd.positionals.required ? `<${n}>` : `[${n}]`));
  return ['metalearn', cmd.name, ...pos, Object.keys(cmd.options).length ? '[options]' : '']
    .filter(Boolean)
    .join(' ');
}

/** `metalearn <command> --help`: usage, description, and one line per option from the schema. */
export function helpText(cmd: Command): string {
  const rows = Object.entries({ ...cmd.options, help: HELP_OPTION }).map(([name, o]) => {
    const flag = `--${name}${o.type === 'string' ? ` ${o.value ?? '<value>'}` : ''}${name === 'help' ? ', -h' : ''}`;
    return [flag, `${o.help}${o.shown !== undefined ? ` [${o.shown}]` : ''}`];
  });
  const width = Math.min(30, Math.max(...rows.map((r) => r[0].length)) + 2);
  const lines = rows.map(([f, h]) =>
    f.length + 2 > width ? `  ${f}\n  ${''.padEnd(width)}${h}` : `  ${f.padEnd(width)}${h}`,
  );
  return [
    `Usage: ${usage(cmd)}`,
    '',
    cmd.description,
    '',
    'Options:',
    ...lines,
    ...(cmd.epilog ? ['', cmd.epilog] : []),
  ].join('\n');
}

/**
 * Parse argv for `cmd`. Throws on an unknown option (naming the closest known one), a missing value, or
 * too many positionals; returns 'help' for --help/-h and 'usage' when required positionals are missing.
 */
export function parseCommand(cmd: Command, argv: string[]): ParsedArgs | 'help' | 'usage' {
  const options = {
    ...Object.fromEntries(Object.entries(cmd.options).map(([k, o]) => [k, { type: o.type }])),
    help: { type: 'boolean' as const, short: 'h' },
  };
  const known = Object.keys(options);
  // A lenient pass finds unknown options with their raw spelling (also in --name=value form).
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  for (const t of tokens) {
    if (t.kind === 'option' && !Object.hasOwn(options, t.name)) {
      const hint = suggest(t.name, known).replace("'", "'--");
      throw new Error(`unknown option ${t.rawName}${hint}; see 'metalearn ${cmd.name} --help'`);
    }
  }
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return 'help';
  const { values, positionals } = (() => {
    try {
      return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
    } catch (e) {
      throw new Error(`${cmd.name}: ${(e as Error).message}`);
    }
  })();
  if (positionals.length > cmd.positionals.names.length) {
    const extra = positionals[cmd.positionals.names.length];
    throw new Error(`${cmd.name}: unexpected argument '${extra}'; usage: ${usage(cmd)}`);
  }
  if (positionals.length < cmd.positionals.required) return 'usage';
  const rest = Object.fromEntries(Object.entries(values).filter(([k]) => k !== 'help'));
  return { values: rest, positionals, argv };
}

/** A string option's value, or undefined. */
export const str = (a: ParsedArgs, name: string): string | undefined => {
  const v = a.values[name];
  return typeof v === 'string' ? v : undefined;
};

/** A boolean option: given or not. */
export const flag = (a: ParsedArgs, name: string): boolean => a.values[name] === true;

/** A string option that must be one of `choices`. */
export function oneOf<T extends string>(
  cmd: string,
  a: ParsedArgs,
  name: string,
  choices: readonly T[],
): T | undefined {
  const v = str(a, name);
  if (v === undefined) return undefined;
  const hit = choices.find((c) => c === v);
  if (hit === undefined)
    throw new Error(`${cmd}: --${name} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got '${v}'`);
  return hit;
}

/** A positive integer option, or undefined. */
export function posInt(cmd: string, a: ParsedArgs, name: string): number | undefined {
  const s = str(a, name);
  if (s === undefined) return undefined;
  const v = Number(s);
  if (!Number.isInteger(v) || v <= 0)
    throw new Error(`${cmd}: --${name} must be a positive integer, got '${s}'`);
  return v;
}
