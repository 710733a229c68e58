/** Samples per figure and server, in the order they were taken. */
import type { ServerName } from './options.js';

export class Results {
  readonly #samples = new Map<string, Map<ServerName, number[]>>();
  /** Remarks printed under the table (errors, caps, skipped servers). */
  readonly notes: string[] = [];

  add(figure: string, server: ServerName, value: number): void {
    if (!Number.isFinite(value)) return;
    const byServer = this.#samples.get(figure) ?? new Map<ServerName, number[]>();
    byServer.set(server, [...(byServer.get(server) ?? []), value]);
    this.#samples.set(figure, byServer);
  }

  samples(figure: string, server: ServerName): readonly number[] {
    return this.#samples.get(figure)?.get(server) ?? [];
  }

  note(text: string): void {
    console.log(`bench: note: ${text}`);
    this.notes.push(text);
  }
}
