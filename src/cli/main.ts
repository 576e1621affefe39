#!/usr/bin/env node
/**
 * `metalearn <command>`: one dispatch table of the commands in ./commands, each parsed by its own schema
 * (schema.ts). The library work is in src/experiment; nothing here spawns another process.
 */
import { suggest } from '../experiment/config.js';
import { helpText, parseCommand, type Command } from './schema.js';
import { packageVersion } from './version.js';
import { demo } from './commands/demo.js';
import { train } from './commands/train.js';
import { resume } from './commands/resume.js';
import { evalCommand } from './commands/eval.js';
import { report } from './commands/report.js';
import { exportCommand } from './commands/export.js';
import { predict } from './commands/predict.js';
import { fetch } from './commands/fetch.js';
import { transfer } from './commands/transfer.js';
import { bench } from './commands/bench.js';
import { sweep } from './commands/sweep.js';
import { worker } from './commands/worker.js';
import { search } from './commands/search.js';
import { compare } from './commands/compare.js';

export { DEFAULTS } from '../experiment/config.js';

/** Every command by name, in help order. */
export const COMMANDS: Readonly<Record<string, Command>> = Object.fromEntries(
  [
    demo,
    train,
    resume,
    evalCommand,
    compare,
    report,
    exportCommand,
    predict,
    fetch,
    search,
    transfer,
    bench,
    sweep,
    worker,
  ].map((c) => [c.name, c]),
);

export function mainHelp(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length)) + 2;
  return `metalearn: meta-learning and multi-task learning on TensorFlow.js

Usage: metalearn <command> [options]
       metalearn --version

Commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.name.padEnd(width)}${c.summary}`)
  .join('\n')}

Run 'metalearn <command> --help' for the options of a command.`;
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
    const topic = cmd === 'help' && rest[0] !== undefined ? COMMANDS[rest[0]] : undefined;
    console.log(topic ? helpText(topic) : mainHelp());
    return cmd ? 0 : 1;
  }
  if (cmd === '--version' || cmd === '-v') {
    console.log(packageVersion());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, cmd) ? COMMANDS[cmd] : undefined;
  if (!command) {
    console.error(`unknown command '${cmd}'${suggest(cmd, Object.keys(COMMANDS))}\n\n${mainHelp()}`);
    return 2;
  }
  const args = parseCommand(command, rest);
  if (args === 'help' || args === 'usage') {
    console.log(helpText(command));
    return args === 'help' ? 0 : 1;
  }
  return command.run(args);
}

const invoked =
  process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!);
if (invoked) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: Error) => {
      console.error(`error: ${e.message}`);
      process.exit(1);
    },
  );
}
