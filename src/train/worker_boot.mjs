// Worker entry in plain JavaScript: registers tsx in this thread (loader hooks are per thread in Node 20),
// then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker_main.ts');
