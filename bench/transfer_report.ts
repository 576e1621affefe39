// The negative-transfer report on one real benchmark (src/experiment/transfer.ts), as a script:
//   node --import tsx bench/transfer_report.ts <omniglot|youtube-spam|parkinsons>
//        [--seeds 1,2,3] [--steps N] [--batch N] [--lr X] [--hidden 64,64] [--settings label,label]
//        [--backend wasm|cpu] [--data-dir DIR] [--out results/multitask] [--quick] [--render]
// The same as `metalearn transfer`, which the commands and options belong to (src/cli/commands/transfer.ts).
import { main } from '../src/cli/main.js';

process.exitCode = await main(['transfer', ...process.argv.slice(2)]);
