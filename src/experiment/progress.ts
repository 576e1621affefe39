/**
 * Progress of a training run: on a terminal, one redrawn line with a bar, episodes per second and the
 * time left; elsewhere (logs, CI, pipes) a plain line every `every` steps.
 */
export class Progress {
  private readonly tty: boolean;
  private lastDraw = 0;

  constructor(
    private readonly total: number,
    private readonly every: number,
    private readonly unit: string,
    /** Units (episodes, tasks) per step: the rate is in units, the time left in steps. */
    private readonly perStep: number,
    private readonly log: (s: string) => void,
    stream: { isTTY?: boolean; write(s: string): boolean } = process.stderr,
    private readonly out = stream,
  ) {
    this.tty = !!stream.isTTY;
  }

  static eta(seconds: number): string {
    if (!Number.isFinite(seconds) || seconds < 0) return '?';
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    const s = Math.floor(seconds % 60);
    return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s).padStart(2, '0')}s`;
  }

  /** After `step` of the total steps, at `rate` units per second. */
  update(step: number, rate: number, text: string, force = false): void {
    const left = ((this.total - step) * this.perStep) / Math.max(rate, 1e-9);
    if (this.tty) {
      const now = Date.now();
      if (!force && now - this.lastDraw < 200 && step < this.total) return;
      this.lastDraw = now;
      const width = 24;
      const filled = Math.round((width * step) / this.total);
      const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
      this.out.write(
        `\r[${bar}] ${step}/${this.total}  ${rate.toFixed(1)} ${this.unit}/s  ETA ${Progress.eta(left)}  ${text}\x1b[K`,
      );
      if (step >= this.total) this.out.write('\n');
      return;
    }
    if (force || step % this.every === 0 || step === this.total) {
      this.log(
        `step ${step}/${this.total}  ${rate.toFixed(1)} ${this.unit}/s  ETA ${Progress.eta(left)}  ${text}`,
      );
    }
  }

  /** A line that must stay visible (validation results): printed on its own line on a terminal too. */
  note(s: string): void {
    if (this.tty) this.out.write(`\r\x1b[K`);
    this.log(s);
  }
}
