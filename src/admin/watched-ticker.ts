/**
 * "Tick while someone watches", once for every live view (the status page's `/events`, `ebb
 * stop`'s drain progress): `tick` runs every `intervalMs` while at least one watcher is
 * subscribed, and no timer exists while nobody is.
 */
export class WatchedTicker<W> {
  private readonly watchers = new Set<W>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly tick: (watchers: ReadonlySet<W>) => void,
  ) {}

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Adds a watcher; the first one starts the timer (and, with `tickNow`, a tick at once).
   * Returns the unsubscribe function.
   */
  subscribe(watcher: W, options: { readonly tickNow?: boolean } = {}): () => void {
    this.watchers.add(watcher);
    if (this.timer === null) {
      if (options.tickNow === true) this.tick(this.watchers);
      this.timer = setInterval(() => this.tick(this.watchers), this.intervalMs);
    }
    return () => {
      this.watchers.delete(watcher);
      if (this.watchers.size === 0) this.stopTimer();
    };
  }

  /** Stops ticking and hands back every watcher (to be told goodbye); forgets them. */
  drainWatchers(): W[] {
    const all = [...this.watchers];
    this.watchers.clear();
    this.stopTimer();
    return all;
  }

  private stopTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }
}
