/** Warm starts: a fresh learner's params partly replaced by saved ones (Node: reads a params folder). */
import { loadParams } from '../nn/io_files.js';
import { disposeParams, type Params } from '../nn/params.js';

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
    for (const k of used) {
      const name = to + k.slice(from.length);
      if (!(name in theta)) {
        throw new Error(
          `field 'initFrom': '${dir}' holds '${k}', but this learner has no param '${name}' (field 'initMap' is '${map}'; its params start ${Object.keys(theta).slice(0, 4).join(', ')}, ...)`,
        );
      }
      const a = saved[k].shape.join(', ');
      const b = theta[name].shape.join(', ');
      if (a !== b)
        throw new Error(`field 'initFrom': '${dir}' '${k}' is [${a}], this learner's '${name}' is [${b}]`);
    }
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
