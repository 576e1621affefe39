// The sweep processor from source (tests under tsx): registers tsx in BullMQ's worker thread (loader
// hooks are per thread in Node 20), then loads the TypeScript processor. Compiled, sweep_processor.js
// is loaded directly.
import { register } from 'tsx/esm/api';

register();
export default (await import('./sweep_processor.ts')).default;
