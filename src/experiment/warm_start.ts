/** Warm starts: a fresh learner's params partly replaced by saved ones (Node: reads a params folder). */
import { loadParams } from '../nn/io_files.js';
import { disposeParams, type Params } from '../nn/params.js';
import { checkParamsMatch, type ParamShapes } from '../meta/check_params.js';

/**
 * Overwrite entries of a fresh theta with saved params (a warm start: e.g. a SNAIL encoder from a trained
 * ProtoNet's Conv4). `map` is 'from=to': saved names starting with `from` are used, renamed to start with
 * `to`; each must land on a param of the same shape, and at least one must be used.
 */
export async function initFromFolder(
  theta: Params,
  dir: string,
  map: string,
  log: (s: string) => void,
): Promise<void> {
  const eq = map.indexOf('=');
  if (eq < 0) throw new Error(`field 'initMap': expected 'from=to' (e.g. 'embed.=encoder.'), got '${map}'`);
  const [from, to] = [map.slice(0, eq), map.slice(eq + 1)];
  const { params: saved } = await loadParams(dir);
  const used = Object.keys(saved).filter((k) => k.startsWith(from));
  try {
    if (used.length === 0) {
      throw new Error(
        `field 'initFrom': no param in '${dir}' starts with '${from}' (field 'initMap' is '${map}'); it holds ${Object.keys(saved).slice(0, 4).join(', ')}, ...`,
      );
    }
    // The one params check of every loader, on the saved params that are used (renamed).
    const renamed: ParamShapes = {};
    for (const k of used) renamed[to + k.slice(from.length)] = saved[k].shape;
    checkParamsMatch(theta, renamed, `field 'initFrom': ${dir}`, {
      partial: true,
      hint: `field 'initMap' is '${map}' (saved names starting with '${from}' become '${to}...'); this learner's params start ${Object.keys(theta).slice(0, 4).join(', ')}, ...`,
    });
  } catch (e) {
    disposeParams(saved);
    throw e;
  }
  for (const k of Object.keys(saved)) {
    if (!k.startsWith(from)) {
      saved[k].dispose();
      continue;
    }
    const name = to + k.slice(from.length);
    theta[name].dispose();
    theta[name] = saved[k];
  }
  log(`initialised ${used.length} of ${Object.keys(theta).length} params from ${dir} (${map})`);
}
