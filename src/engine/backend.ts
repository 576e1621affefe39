import { tf } from './tf.js';
import { isNode } from './env.js';
import '@tensorflow/tfjs-backend-wasm';
import { installWasmReductions } from './kernels/wasm_reduce.js';
import { installNativeKernels, nativeThreads, setNativeThreads } from './kernels/native.js';
import { installWasmSharing } from './kernels/wasm_sharing.js';
import { installWasmSlicing } from './kernels/wasm_slicing.js';

/** A TensorFlow.js backend the library can run on. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu' | 'webgpu' | 'webgl';
/** Every backend name initEngine accepts. */
export const BACKENDS: readonly BackendName[] = ['tensorflow', 'wasm', 'cpu', 'webgpu', 'webgl'];

/** Environment variable that forces a backend, e.g. `METALEARN_BACKEND=cpu`. */
export const BACKEND_ENV = 'METALEARN_BACKEND';

/** Options of initEngine. */
export interface EngineOptions {
  /** Force a backend; otherwise `METALEARN_BACKEND`, otherwise the best available. */
  backend?: BackendName;
  /** Print which backend was chosen. */
  verbose?: boolean;
  /**
   * Threads inside each native kernel run from this JavaScript thread (Node with the native addon; a
   * worker thread has its own). Default: `METALEARN_THREADS`, else the machine's hardware threads.
   * Worker pools give each worker its share, so workers x threads stays at the machine's size.
   */
  threads?: number;
}

/** Environment variable: threads of the native kernels, e.g. `METALEARN_THREADS=1`. */
export const THREADS_ENV = 'METALEARN_THREADS';

/**
 * Threads each native kernel of this JavaScript thread runs on, this thread included (1 without the
 * native addon, in browsers and on the cpu backend).
 */
export function kernelThreads(): number {
  return nativeThreads();
}

/**
 * Set the threads of this JavaScript thread's native kernels (an integer from 1 to 256); returns the
 * number in effect, 1 without the addon. Results do not depend on it: each output is computed by one
 * thread in the same order.
 */
export function setKernelThreads(n: number): number {
  return setNativeThreads(n);
}

let tfjsNodeTried = false;

/** tfjs-node is optional: it cannot be installed everywhere (its install downloads libtensorflow). */
async function tryTfjsNode(): Promise<boolean> {
  if (!isNode) return false;
  if (tfjsNodeTried) return tf.findBackend('tensorflow') != null;
  tfjsNodeTried = true;
  try {
    const name = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ name);
    return tf.findBackend('tensorflow') != null;
  } catch {
    return false;
  }
}

function preferenceOrder(): BackendName[] {
  return isNode ? ['tensorflow', 'wasm', 'cpu'] : ['webgpu', 'webgl', 'wasm', 'cpu'];
}

function requested(opts: EngineOptions): BackendName | undefined {
  const fromEnv = isNode ? process.env[BACKEND_ENV] : undefined;
  const want = opts.backend ?? (fromEnv && fromEnv.length > 0 ? fromEnv : undefined);
  if (want === undefined) return undefined;
  if (!BACKENDS.includes(want as BackendName)) {
    const where = opts.backend !== undefined ? 'option `backend`' : `environment variable ${BACKEND_ENV}`;
    throw new Error(`${where}: unknown backend '${want}'; expected one of ${BACKENDS.join(', ')}`);
  }
  return want as BackendName;
}

async function activate(name: BackendName): Promise<boolean> {
  if (name === 'wasm') {
    installWasmReductions();
    installWasmSharing();
    installWasmSlicing();
    installNativeKernels();
  }
  if (name === 'tensorflow' && !(await tryTfjsNode())) return false;
  if (tf.findBackendFactory(name) == null && tf.findBackend(name) == null) return false;
  const listeners = isNode ? snapshotListeners() : null;
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch {
    ok = false;
  }
  if (listeners) restoreListeners(listeners);
  // The cpu backend greets Node users with a banner recommending tfjs-node on first use; we have already
  // chosen, and the banner lands in every CLI run and test log.
  if (ok && name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
  return ok;
}

/**
 * Choose and initialise the tensor backend. In Node: tfjs-node when installed, else wasm, else cpu.
 * In a browser: webgpu, webgl, wasm, cpu. A forced backend that cannot start is an error, not a fallback.
 */
export async function initEngine(opts: EngineOptions = {}): Promise<BackendName> {
  if (opts.threads !== undefined) setNativeThreads(opts.threads);
  const want = requested(opts);
  if (want !== undefined) {
    if (tf.getBackend() === want) return want;
    if (!(await activate(want))) {
      throw new Error(`backend '${want}' was requested but could not be initialised in this environment`);
    }
    if (opts.verbose) console.error(`[metalearn] backend: ${want} (forced)`);
    return want;
  }
  for (const name of preferenceOrder()) {
    if (await activate(name)) {
      if (opts.verbose) console.error(`[metalearn] backend: ${name}`);
      return name;
    }
  }
  throw new Error('no tfjs backend could be initialised');
}

/** Name of the active TensorFlow.js backend. */
export function currentBackend(): string {
  return tf.getBackend();
}

// The emscripten glue of the wasm backend installs process-wide handlers that rethrow every uncaught
// error with its whole minified source attached. Remove them so errors stay readable.
type Listeners = {
  uncaught: NodeJS.UncaughtExceptionListener[];
  rejection: NodeJS.UnhandledRejectionListener[];
};
function snapshotListeners(): Listeners {
  return {
    uncaught: process.listeners('uncaughtException'),
    rejection: process.listeners('unhandledRejection'),
  };
}
function restoreListeners(before: Listeners): void {
  for (const l of process.listeners('uncaughtException')) {
    if (!before.uncaught.includes(l)) process.removeListener('uncaughtException', l);
  }
  for (const l of process.listeners('unhandledRejection')) {
    if (!before.rejection.includes(l)) process.removeListener('unhandledRejection', l);
  }
}
