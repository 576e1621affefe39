import { spawnSync } from 'node:child_process';

/**
 * SVG -> PNG through an installed rasteriser (librsvg's rsvg-convert, else headless Chromium). Neither
 * is required: without them only the SVG is written, and the function says so. METALEARN_PNG=0 skips
 * it (sweep workers and tests: a Chromium start per plot costs seconds a run).
 */
export function svgToPng(svgPath: string, pngPath: string): { ok: boolean; tool?: string; reason?: string } {
  if (process.env.METALEARN_PNG === '0')
    return { ok: false, reason: 'PNG plots turned off (METALEARN_PNG=0)' };
  const rsvg = spawnSync('rsvg-convert', [svgPath, '-o', pngPath], { encoding: 'utf8' });
  if (rsvg.status === 0) return { ok: true, tool: 'rsvg-convert' };
  for (const chrome of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    const r = spawnSync(
      chrome,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        `--screenshot=${pngPath}`,
        '--window-size=640,360',
        `file://${svgPath}`,
      ],
      { encoding: 'utf8', timeout: 30000 },
    );
    if (r.status === 0) return { ok: true, tool: chrome };
  }
  return { ok: false, reason: 'no SVG rasteriser found (install librsvg2-bin or chromium for PNG plots)' };
}
