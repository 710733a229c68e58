/**
 * How long each section of a bench run took, printed at the end (and in the report's header)
 * so that where a run's minutes go, and what `--quick` must stay under, can be read off a run.
 */
export class SectionClock {
  private readonly seconds: Array<readonly [string, number]> = [];

  /** Runs `section` and records its wall time under `name`. */
  async time<T>(name: string, section: () => Promise<T>): Promise<T> {
    const startMs = Date.now();
    try {
      return await section();
    } finally {
      this.seconds.push([name, (Date.now() - startMs) / 1000]);
    }
  }

  /** `setup 5 s, requests 70 s, ...`, in the order the sections ran. */
  summary(): string {
    return this.seconds.map(([name, s]) => `${name} ${s.toFixed(0)} s`).join(', ');
  }
}
