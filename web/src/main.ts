import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import {
  initEngine,
  currentBackend,
  setWasmPaths,
  meanCI,
  Rng,
  BACKENDS,
  type BackendName,
} from '../../src/browser.js';
import { argmax, classify, loadModel, type Model } from './fewshot.js';
import { loadGlyphs, sampleEpisode, type Glyphs, type GlyphEpisode } from './glyphs.js';
import { Pad, paintImage } from './pad.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const CLASS_NAMES = ['A', 'B', 'C', 'D', 'E'];
const COLOURS = ['#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4'];

export interface Prediction {
  label: string | null;
  confidence: number;
  probs: Record<string, number>;
  ms: number;
}
export interface EpisodeReport {
  way: number;
  shot: number;
  query: number;
  episodes: number;
  mean: number;
  ci95: number;
  medianMs: number;
}
export interface LatencyReport {
  backend: string;
  way: number;
  shot: number;
  queries: number;
  runs: number;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  minMs: number;
  firstCallMs: number;
}
/** What the page exposes to scripts (and to test/browser.test.ts). */
export interface DemoApi {
  ready: Promise<void>;
  backend: string;
  model?: { hidden: number; blocks: number; params: number; metadata: Record<string, unknown> };
  /** Resolves once every requested classification has finished, with the latest prediction. */
  settle(): Promise<Prediction | null>;
  runEpisodes(opts?: {
    way?: number;
    shot?: number;
    episodes?: number;
    seed?: number;
  }): Promise<EpisodeReport>;
  measureLatency(runs?: number): Promise<LatencyReport>;
  lastEpisodes?: EpisodeReport;
  lastLatency?: LatencyReport;
  error?: string;
}
declare global {
  interface Window {
    demo: DemoApi;
  }
}

// ------------------------------------------------------------------------------------------------------
// Engine and assets
// ------------------------------------------------------------------------------------------------------

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
});

const params = new URLSearchParams(location.search);
const forced = params.get('backend');
const modelUrl = params.get('model') ?? './model/model.json';
let model: Model;
let glyphs: Glyphs;
let firstCallMs = NaN;

async function start(): Promise<void> {
  if (forced && !BACKENDS.includes(forced as BackendName))
    throw new Error(`?backend=${forced}: expected one of ${BACKENDS.join(', ')}`);
  // The library prefers webgpu, then webgl, then wasm. A software WebGL (SwiftShader in a headless or GPU-less
  // Chromium) runs this model ~40x slower than wasm, so skip it unless asked for.
  const soft = forced ? null : softwareWebGL();
  const backend = await initEngine(
    forced ? { backend: forced as BackendName } : soft ? { backend: 'wasm' } : {},
  );
  demo.backend = backend;
  $('backend').textContent =
    backend + (forced ? ' (forced)' : soft ? ` (WebGL is software-rendered here: ${soft})` : '');
  [model, glyphs] = await Promise.all([loadModel(modelUrl), loadGlyphs('./episodes/glyphs.json')]);
  demo.model = { hidden: model.hidden, blocks: model.blocks, params: model.count, metadata: model.metadata };
  const m = model.metadata;
  const trained =
    typeof m.trainedOn === 'string'
      ? `meta-trained on ${m.trainedOn}, ${Number(m.episodes).toLocaleString()} episodes`
      : typeof m.copiedFrom === 'string'
        ? `from ${m.copiedFrom}`
        : '';
  $('model-info').textContent =
    `ProtoNet, Conv4 (${model.blocks} blocks × ${model.hidden} filters), ${model.count.toLocaleString()} parameters` +
    (trained ? `, ${trained}` : '');
  $('glyph-source').textContent = `${glyphs.classes} synthetic characters × ${glyphs.drawings} drawings`;
  // The first call compiles kernels (shaders on webgl, wasm set-up); time it on its own.
  const ep = sampleEpisode(glyphs, new Rng(0), 5, 1, 1);
  firstCallMs = (await classify(model, 5, ep.support, ep.supportY, ep.query)).ms;
  $('status').dataset.state = 'ready';
  document.body.dataset.ready = 'true';
}

/** The renderer's name when WebGL is implemented in software (SwiftShader, llvmpipe), else null. */
function softwareWebGL(): string | null {
  try {
    const gl =
      document.createElement('canvas').getContext('webgl2') ??
      document.createElement('canvas').getContext('webgl');
    if (!gl) return null;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    const m = /SwiftShader|llvmpipe|softpipe|Software/i.exec(name);
    return m ? m[0] : null;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------------
// 1. Teaching symbols on the pad
// ------------------------------------------------------------------------------------------------------

const pad = new Pad($<HTMLCanvasElement>('pad'));
const examples: Float32Array[][] = CLASS_NAMES.map(() => []);
let selected = 0;
let lastPrediction: Prediction | null = null;

const classButtons = CLASS_NAMES.map((name, c) => {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = `Class ${name}`;
  b.dataset.class = name;
  b.setAttribute('role', 'radio');
  b.style.setProperty('--c', COLOURS[c]);
  b.addEventListener('click', () => select(c));
  $('class-buttons').append(b);
  return b;
});
function select(c: number): void {
  selected = c;
  classButtons.forEach((b, i) => b.setAttribute('aria-checked', String(i === c)));
}
select(0);

function renderExamples(): void {
  const box = $('examples');
  box.replaceChildren();
  CLASS_NAMES.forEach((name, c) => {
    const row = document.createElement('div');
    row.className = 'ex-row';
    row.dataset.class = name;
    row.style.setProperty('--c', COLOURS[c]);
    const lab = document.createElement('span');
    lab.className = 'ex-label';
    lab.textContent = `${name} (${examples[c].length})`;
    row.append(lab);
    for (const im of examples[c]) {
      const cv = document.createElement('canvas');
      cv.width = cv.height = 42;
      paintImage(cv, im);
      row.append(cv);
    }
    box.append(row);
  });
}
renderExamples();

/** Classes that have examples, in order: they make up the episode's ways. */
function activeClasses(): number[] {
  return examples.flatMap((ex, c) => (ex.length > 0 ? [c] : []));
}

let chain: Promise<void> = Promise.resolve();
let queued = false;
function requestPrediction(): void {
  if (queued) return;
  queued = true;
  chain = chain.then(async () => {
    queued = false;
    try {
      await predictPad();
    } catch (e) {
      showError(e);
    }
  });
}

async function predictPad(): Promise<void> {
  const img = pad.toImage($<HTMLInputElement>('normalise').checked);
  paintImage($<HTMLCanvasElement>('preview'), img);
  const active = activeClasses();
  const out = $('prediction');
  if (!model || active.length < 2 || pad.empty) {
    lastPrediction = null;
    out.dataset.label = '';
    out.textContent = pad.empty
      ? active.length < 2
        ? 'Add examples of at least two classes.'
        : 'Draw a symbol.'
      : active.length < 2
        ? 'Add examples of at least two classes to get a prediction.'
        : 'Loading…';
    $('bars').replaceChildren();
    return;
  }
  const support: Float32Array[] = [];
  const labels: number[] = [];
  active.forEach((c, j) => {
    for (const im of examples[c]) {
      support.push(im);
      labels.push(j);
    }
  });
  const { probs, ms } = await classify(model, active.length, support, labels, [img]);
  const p = probs[0];
  const best = argmax(p);
  const name = CLASS_NAMES[active[best]];
  lastPrediction = {
    label: name,
    confidence: p[best],
    probs: Object.fromEntries(active.map((c, j) => [CLASS_NAMES[c], p[j]])),
    ms,
  };
  out.dataset.label = name;
  out.dataset.confidence = p[best].toFixed(4);
  out.innerHTML = '';
  const big = document.createElement('span');
  big.className = 'big';
  big.style.color = COLOURS[active[best]];
  big.textContent = name;
  out.append(big, ` ${(100 * p[best]).toFixed(1)}% confident`);
  const bars = $('bars');
  bars.replaceChildren(
    ...active.map((c, j) => {
      const row = document.createElement('div');
      row.className = 'bar';
      row.dataset.class = CLASS_NAMES[c];
      row.innerHTML = `<span>${CLASS_NAMES[c]}</span><i style="width:${(100 * p[j]).toFixed(1)}%;background:${COLOURS[c]}"></i><em>${(100 * p[j]).toFixed(1)}%</em>`;
      return row;
    }),
  );
  $('live-latency').textContent =
    `adapt + predict (${support.length} support, 1 query): ${ms.toFixed(1)} ms on ${currentBackend()}`;
}

pad.onChange = () => requestPrediction();
$('normalise').addEventListener('change', () => requestPrediction());
$('clear').addEventListener('click', () => pad.clear());
$('add').addEventListener('click', addExample);
$('reset').addEventListener('click', () => {
  examples.forEach((ex) => (ex.length = 0));
  renderExamples();
  pad.clear();
});
document.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement) return;
  if (e.key === 'Enter') addExample();
  else if (e.key === 'Escape' || e.key === 'Backspace') pad.clear();
  else if (/^[1-5]$/.test(e.key)) select(Number(e.key) - 1);
});

function addExample(): void {
  if (pad.empty) return;
  examples[selected].push(pad.toImage($<HTMLInputElement>('normalise').checked));
  renderExamples();
  pad.clear();
}

// ------------------------------------------------------------------------------------------------------
// 2. Episodes from the bundled glyphs
// ------------------------------------------------------------------------------------------------------

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function quantile(xs: number[], q: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.round(q * (s.length - 1))))];
}
const tick = () => new Promise((r) => setTimeout(r, 0));

async function runEpisodes(
  opts: { way?: number; shot?: number; episodes?: number; seed?: number } = {},
): Promise<EpisodeReport> {
  await demo.ready;
  const way = opts.way ?? Number($<HTMLSelectElement>('ep-way').value);
  const shot = opts.shot ?? Number($<HTMLSelectElement>('ep-shot').value);
  const count = opts.episodes ?? Number($<HTMLInputElement>('ep-count').value);
  const seed = opts.seed ?? Number($<HTMLInputElement>('ep-seed').value);
  const query = Math.min(5, glyphs.drawings - shot);
  const rng = new Rng(seed);
  const scores: number[] = [];
  const times: number[] = [];
  const out = $('episode-accuracy');
  let last: { ep: GlyphEpisode; pred: number[] } | null = null;
  for (let e = 0; e < count; e++) {
    const ep = sampleEpisode(glyphs, rng, way, shot, query);
    const { probs, ms } = await classify(model, way, ep.support, ep.supportY, ep.query);
    const pred = probs.map(argmax);
    scores.push(pred.filter((p, i) => p === ep.queryY[i]).length / pred.length);
    times.push(ms);
    last = { ep, pred };
    if (e % 10 === 9) {
      out.textContent = `Running… ${e + 1}/${count}`;
      await tick();
    }
  }
  const s = meanCI(scores);
  const report: EpisodeReport = {
    way,
    shot,
    query,
    episodes: count,
    mean: s.mean,
    ci95: s.ci95,
    medianMs: median(times),
  };
  out.dataset.mean = s.mean.toFixed(4);
  out.textContent =
    `${way}-way ${shot}-shot, ${query} queries per class: accuracy ${(100 * s.mean).toFixed(1)}% ± ${(100 * s.ci95).toFixed(1)}% ` +
    `(95% CI, ${count} episodes; chance ${(100 / way).toFixed(0)}%) · median ${report.medianMs.toFixed(1)} ms per episode`;
  if (last) showEpisode(last.ep, last.pred, way);
  demo.lastEpisodes = report;
  return report;
}

function showEpisode(ep: GlyphEpisode, pred: number[], way: number): void {
  const view = $('episode-view');
  view.replaceChildren();
  for (let j = 0; j < way; j++) {
    const row = document.createElement('div');
    row.className = 'ep-row';
    const lab = document.createElement('span');
    lab.className = 'ex-label';
    lab.textContent = `class ${j + 1}`;
    row.append(lab);
    ep.support.forEach((im, i) => {
      if (ep.supportY[i] !== j) return;
      const cv = document.createElement('canvas');
      cv.width = cv.height = 42;
      cv.className = 'support';
      paintImage(cv, im);
      row.append(cv);
    });
    const sep = document.createElement('span');
    sep.className = 'sep';
    sep.textContent = '→';
    row.append(sep);
    ep.query.forEach((im, i) => {
      if (ep.queryY[i] !== j) return;
      const cv = document.createElement('canvas');
      cv.width = cv.height = 42;
      cv.className = pred[i] === j ? 'right' : 'wrong';
      cv.title = `predicted class ${pred[i] + 1}`;
      paintImage(cv, im);
      row.append(cv);
    });
    view.append(row);
  }
}

// ------------------------------------------------------------------------------------------------------
// 3. Latency of a 5-way 1-shot episode
// ------------------------------------------------------------------------------------------------------

async function measureLatency(runs?: number): Promise<LatencyReport> {
  await demo.ready;
  const n = runs ?? Number($<HTMLInputElement>('bench-runs').value);
  const rng = new Rng(123);
  const episodes = Array.from({ length: n + 3 }, () => sampleEpisode(glyphs, rng, 5, 1, 1));
  const times: number[] = [];
  for (const [i, ep] of episodes.entries()) {
    const { ms } = await classify(model, 5, ep.support, ep.supportY, ep.query);
    if (i >= 3) times.push(ms); // 3 warm-up runs
    if (i % 5 === 4) await tick();
  }
  const r: LatencyReport = {
    backend: currentBackend(),
    way: 5,
    shot: 1,
    queries: 5,
    runs: n,
    medianMs: median(times),
    p10Ms: quantile(times, 0.1),
    p90Ms: quantile(times, 0.9),
    minMs: Math.min(...times),
    firstCallMs,
  };
  const out = $('latency-result');
  out.dataset.medianMs = r.medianMs.toFixed(3);
  out.dataset.backend = r.backend;
  out.textContent =
    `${r.backend}: adapt + predict, 5-way 1-shot (5 support + 5 query): median ${r.medianMs.toFixed(1)} ms ` +
    `(p10 ${r.p10Ms.toFixed(1)}, p90 ${r.p90Ms.toFixed(1)}, ${n} runs); first call ${r.firstCallMs.toFixed(0)} ms`;
  demo.lastLatency = r;
  return r;
}

function showError(e: unknown): void {
  const msg = e instanceof Error ? e.message : String(e);
  demo.error = msg;
  $('status').dataset.state = 'error';
  $('model-info').textContent = `error: ${msg}`;
  console.error(e);
}

$('run-episodes').addEventListener('click', () => runEpisodes().catch(showError));
$('bench').addEventListener('click', () => measureLatency().catch(showError));

const demo: DemoApi = {
  ready: Promise.resolve(),
  backend: '',
  settle: async () => {
    await demo.ready;
    let c: Promise<void>;
    do {
      c = chain;
      await c;
    } while (c !== chain);
    return lastPrediction;
  },
  runEpisodes,
  measureLatency,
};
window.demo = demo;
demo.ready = start();
demo.ready.catch(showError);
