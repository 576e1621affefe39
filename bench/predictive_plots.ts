// Figures of the probabilistic learners on sinusoid regression (issue 18): functions sampled from a
// trained latent NP's predictive (z ~ q(z | context)) beside a CNP's mean ± 2 std, on a few fixed tasks,
// and the attentive NP's samples when its run is given.
//   node --import tsx bench/predictive_plots.ts <np run> <cnp run> <shot> <out folder> [<anp run>]
//   node --import tsx bench/predictive_plots.ts runs/sin-np-5shot runs/sin-cnp-5shot 5 results/meta/sinusoid-probabilistic runs/sin-anp-5shot
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { tf, initEngine, Rng, loadParams, disposeParams } from '../src/index.js';
import { npRegressor } from '../src/meta/blackbox/np.js';
import { cnpRegressor } from '../src/meta/blackbox/cnp.js';
import { disposePredictive } from '../src/meta/common.js';
import { functionSamplesSvg, type FunctionPanel } from '../src/report/predictive_plot.js';

await initEngine({ backend: 'wasm' });
const [npRun, cnpRun, shotArg, out, anpRun] = process.argv.slice(2);
const shot = Number(shotArg ?? '5');
mkdirSync(out, { recursive: true });
const np = npRegressor({});
const anp = npRegressor({ crossAttention: { heads: 8 } });
const cnp = cnpRegressor({});
const npTheta = (await loadParams(path.join(npRun, 'best'))).params;
const anpTheta = anpRun ? (await loadParams(path.join(anpRun, 'best'))).params : null;
const cnpTheta = (await loadParams(path.join(cnpRun, 'best'))).params;

// Three fixed tasks of MAML's family (amplitude U[0.1, 5], phase U[0, pi]), seeded.
const rng = new Rng(2026);
const grid = Array.from({ length: 101 }, (_, i) => -5 + i / 10);
const gx = tf.tensor2d(grid, [grid.length, 1]);
const npPanels: FunctionPanel[] = [];
const anpPanels: FunctionPanel[] = [];
const cnpPanels: FunctionPanel[] = [];

/** One task's panel of 8 functions drawn from a latent NP's predictive. */
function samplePanel(
  learner: typeof np,
  theta: typeof npTheta,
  support: { x: tf.Tensor; y: tf.Tensor },
  t: number,
  panel: Omit<FunctionPanel, 'samples' | 'band'>,
): FunctionPanel {
  const phi = learner.adapt(theta, support);
  const d = learner.sampleFunctions!(theta, phi, gx, 8, new Rng(t));
  const means = d.components!.means.arraySync() as number[][][];
  const out = {
    ...panel,
    samples: means.map((m) => m.map((v, i) => [grid[i], v[0]] as [number, number])),
    band: { x: grid, mean: Array.from(d.mean.dataSync()), std: Array.from(d.std.dataSync()) },
  };
  disposePredictive(d);
  learner.disposePhi(phi);
  return out;
}
for (let t = 0; t < 3; t++) {
  const a = rng.uniform(0.1, 5);
  const ph = rng.uniform(0, Math.PI);
  const xs = rng.uniformArray(shot, -5, 5);
  const ys = xs.map((x) => a * Math.sin(x - ph));
  const support = { x: tf.tensor2d(xs, [shot, 1]), y: tf.tensor2d(ys, [shot, 1]) };
  const truth = grid.map((x) => [x, a * Math.sin(x - ph)] as [number, number]);
  const context = Array.from(xs, (x, i) => [x, ys[i]] as [number, number]);
  const title = `A=${a.toFixed(2)}, phase=${ph.toFixed(2)}, ${shot} points`;

  npPanels.push(samplePanel(np, npTheta, support, t, { title, truth, context }));
  if (anpTheta) anpPanels.push(samplePanel(anp, anpTheta, support, t, { title, truth, context }));

  const cphi = cnp.adapt(cnpTheta, support);
  const c = cnp.predictDistribution(cnpTheta, cphi, gx);
  cnpPanels.push({
    title,
    truth,
    context,
    samples: [Array.from(c.mean.dataSync(), (v, i) => [grid[i], v] as [number, number])],
    band: { x: grid, mean: Array.from(c.mean.dataSync()), std: Array.from(c.std.dataSync()) },
  });
  disposePredictive(c);
  cnp.disposePhi(cphi);
  tf.dispose([support.x, support.y]);
}
writeFileSync(
  path.join(out, `np-samples-${shot}shot.svg`),
  functionSamplesSvg(npPanels, {
    title: `Latent NP, ${shot}-shot: 8 functions sampled with z ~ q(z | context), mean ± 2 std shaded; truth dashed`,
  }),
);
writeFileSync(
  path.join(out, `cnp-band-${shot}shot.svg`),
  functionSamplesSvg(cnpPanels, { title: `CNP, ${shot}-shot: predictive mean and ± 2 std; truth dashed` }),
);
if (anpTheta) {
  writeFileSync(
    path.join(out, `anp-samples-${shot}shot.svg`),
    functionSamplesSvg(anpPanels, {
      title: `Attentive NP, ${shot}-shot: 8 functions sampled with z ~ q(z | context), mean ± 2 std shaded; truth dashed`,
    }),
  );
  disposeParams(anpTheta);
}
gx.dispose();
disposeParams(npTheta);
disposeParams(cnpTheta);
console.log(`wrote ${out}/np-samples-${shot}shot.svg and cnp-band-${shot}shot.svg`);
