/**
 * The HTTPS and rate-limiter sections of `npm run bench` (issue 13), after the main table:
 * `--skip tls` and `--skip rates` leave them out; HTTPS needs ebb and nginx among the servers,
 * the limiter ebb. Each returns its own markdown table; problems go to the run's notes.
 */
import { runRateShareBench } from './rate-share.js';
import type { ServerName } from './options.js';
import type { SectionClock } from './section-clock.js';
import type { SessionContext } from './sessions.js';
import { runTlsBench } from './tls.js';

export async function runTlsSections(
  context: SessionContext,
  servers: readonly ServerName[],
  clock: SectionClock,
): Promise<string> {
  const { options, results, launch } = context;
  const blocks: string[] = [];
  const add = (title: string, section: { table: string; notes: readonly string[] }): void => {
    blocks.push(`### ${title}\n\n${section.table}`);
    for (const note of section.notes) results.note(note);
  };
  if (!options.skip.has('tls') && servers.includes('ebb') && servers.includes('nginx')) {
    const wrk = {
      connections: options.wrkConnections,
      durationS: options.wrkDurationS,
      warmupS: options.wrkWarmupS,
    };
    const input = {
      ...launch,
      rounds: options.rounds,
      wrk,
      wrkWarmupOnce: options.wrkWarmupOnce,
      largeClients: options.largeClients,
    };
    add(
      'HTTPS: ebb --listen-tls and nginx listen ssl, same certificate and cipher',
      await clock.time('tls', () => runTlsBench({ ...input, bigFileBytes: options.bigFileBytes })),
    );
  }
  if (!options.skip.has('rates') && servers.includes('ebb')) {
    add(
      'Rate limiter: 100 clients under --rate-total 50 MB/s',
      await clock.time('rates', () =>
        runRateShareBench({
          ...launch,
          clients: 100,
          rateBytesPerS: 50_000_000,
          warmupS: 1,
          windowS: options.rateWindowS,
        }),
      ),
    );
  }
  return blocks.length === 0 ? '' : `\n\n${blocks.join('\n\n')}`;
}
