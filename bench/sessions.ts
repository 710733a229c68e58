/**
 * One server session each: start the server, take its figures, stop it. Each failure is noted
 * and the suite goes on with the next measurement.
 */
import { FILES } from './docroot.js';
import { figureIds, WRK_CASES, type LogMode } from './figures.js';
import { measureLargeDownload } from './large-download.js';
import type { BenchOptions } from './options.js';
import type { Results } from './results.js';
import { startServer, type LaunchInput, type RunningServer, type ServerSpec } from './servers.js';
import { cpuSecondsPerGiB, measureSlowClients, type DeliveryWindow } from './slow-clients.js';
import { measureStatusMs } from './status-probe.js';
import { measureMirrorMix } from './mirror-mix.js';
import { measureWrk, type WrkSettings } from './wrk.js';

/** A wrk sample with more failed requests than this share of the total is not counted. */
const MAX_FAILURE_SHARE = 0.01;

export interface SessionContext {
  readonly options: BenchOptions;
  readonly results: Results;
  readonly launch: Omit<LaunchInput, 'log' | 'maxConnections'>;
}

async function withServer(
  spec: ServerSpec,
  context: SessionContext,
  log: LogMode,
  maxConnections: number,
  body: (server: RunningServer) => Promise<void>,
): Promise<void> {
  let server: RunningServer;
  try {
    server = await startServer(spec, { ...context.launch, log, maxConnections });
  } catch (error) {
    context.results.note(`${spec.name}, log ${log}: ${String(error)}`);
    return;
  }
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

async function attempt(
  context: SessionContext,
  what: string,
  measure: () => Promise<void>,
): Promise<void> {
  try {
    await measure();
  } catch (error) {
    context.results.note(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The wrk settings of a session's `index`th case: warmed up before each, or only the first. */
function wrkSettings(options: BenchOptions, index: number): WrkSettings {
  return {
    connections: options.wrkConnections,
    durationS: options.wrkDurationS,
    warmupS: index > 0 && options.wrkWarmupOnce ? 0 : options.wrkWarmupS,
  };
}

async function runWrkCase(
  context: SessionContext,
  server: RunningServer,
  path: string,
  figures: { rps: string; p99?: string },
  index: number,
): Promise<void> {
  const what = `${server.name} wrk ${path}`;
  await attempt(context, what, async () => {
    const settings = wrkSettings(context.options, index);
    const result = await measureWrk(server.baseUrl + path, settings);
    if (result.problems.length > 0) {
      const dropped = result.failures > result.requests * MAX_FAILURE_SHARE;
      const verdict = dropped ? 'sample dropped' : 'sample kept';
      context.results.note(`${what}: ${result.problems.join('; ')}; ${verdict}`);
      if (dropped) return;
    }
    context.results.add(figures.rps, server.name, result.requestsPerS);
    if (figures.p99 !== undefined) context.results.add(figures.p99, server.name, result.p99Ms);
  });
}

/** Request-rate figures with the given log mode; with log off also the listing and big file. */
export async function runRequestSession(
  spec: ServerSpec,
  context: SessionContext,
  log: LogMode,
): Promise<void> {
  const { options, results } = context;
  await withServer(spec, context, log, 1024, async (server) => {
    console.log(`bench: ${server.name} (pid ${server.pid}), access log ${log}`);
    let cases = 0;
    if (!options.skip.has('wrk')) {
      for (const { key, path } of WRK_CASES) {
        const figures = { rps: figureIds.rps(key, log), p99: figureIds.p99(key, log) };
        await runWrkCase(context, server, path, figures, cases++);
      }
    }
    if (log === 'on') return;
    if (!options.skip.has('listing') && spec.hasListing) {
      await runWrkCase(context, server, FILES.listing, { rps: figureIds.listingRps }, cases++);
    }
    if (!options.skip.has('large') && spec.servesDocroot) {
      await attempt(context, `${server.name} large download`, async () => {
        const url = server.baseUrl + FILES.big;
        const large = await measureLargeDownload(
          url,
          server.pid,
          options.largeClients,
          options.bigFileBytes,
        );
        results.add(figureIds.largeMBps, server.name, large.megabytesPerS);
        results.add(figureIds.largeCpu, server.name, large.cpuSecondsPerGiB);
      });
    }
  });
}

function addWindows(a: DeliveryWindow, b: DeliveryWindow): DeliveryWindow {
  return {
    seconds: a.seconds + b.seconds,
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    bytesDelivered: a.bytesDelivered + b.bytesDelivered,
  };
}

function describeWindow(window: DeliveryWindow): string {
  const mib = window.bytesDelivered / 2 ** 20;
  return `${window.seconds.toFixed(0)} s, CPU ${window.cpuSeconds.toFixed(2)} s, ${mib.toFixed(0)} MiB read`;
}

/** Slow clients against a freshly started server; ebb's /status is timed late in the hold. */
export async function runSlowSession(
  spec: ServerSpec,
  context: SessionContext,
  count: number,
  probeStatus: boolean,
): Promise<void> {
  const { options, results, launch } = context;
  await withServer(spec, context, 'off', count + 1024, async (server) => {
    console.log(`bench: ${server.name} (pid ${server.pid}), ${count} slow clients`);
    const probe = !probeStatus
      ? null
      : () =>
          attempt(context, `${server.name} /status`, async () => {
            const ms = await measureStatusMs(server.adminUrl);
            results.add(figureIds.statusMs(count), server.name, ms);
          });
    await attempt(context, `${server.name} ${count} slow clients`, async () => {
      const slow = await measureSlowClients(
        server.pid,
        server.port,
        {
          count,
          holdS: options.slowHoldS,
          rateBytesPerS: options.slowRateBytesPerS,
          rcvbufBytes: options.slowRcvbufBytes,
          fdLimit: launch.fdLimit,
        },
        probe,
      );
      results.add(figureIds.slowRssPerConn(count), server.name, slow.rssPerConnBytes / 1024);
      results.add(figureIds.slowRss(count), server.name, slow.rssBytes / 2 ** 20);
      results.add(figureIds.slowCpu(count), server.name, slow.cpuPercent);
      const whole = addWindows(slow.ramp, slow.steady);
      results.add(figureIds.slowCpuPerGiB(count, 'all'), server.name, cpuSecondsPerGiB(whole));
      results.add(figureIds.slowCpuPerGiB(count, 'ramp'), server.name, cpuSecondsPerGiB(slow.ramp));
      results.add(
        figureIds.slowCpuPerGiB(count, 'steady'),
        server.name,
        cpuSecondsPerGiB(slow.steady),
      );
      results.add(figureIds.slowAlive(count), server.name, slow.alive);
      results.add(figureIds.slowProgressing(count), server.name, slow.progressing);
      const errors = Object.entries(slow.errors);
      console.log(
        `bench:   connected ${slow.connected} in ${slow.connectS} s, alive ${slow.alive}, ` +
          `progressing ${slow.progressing}, RSS ${(slow.rssBytes / 2 ** 20).toFixed(0)} MiB, ` +
          `CPU ${slow.cpuPercent.toFixed(1)}%; ramp ${describeWindow(slow.ramp)}; ` +
          `steady ${describeWindow(slow.steady)}`,
      );
      if (errors.length > 0) {
        results.note(
          `${server.name} ${count} slow clients: ${errors.map((e) => e.join(' x')).join(', ')}`,
        );
      }
    });
  });
}

/**
 * The mirror mix: `count` slow downloads held while apt-like small requests come at a steady
 * rate; their p50 and p99 latency. The slow clients' own figures come from runSlowSession.
 */
export async function runMirrorMixSession(
  spec: ServerSpec,
  context: SessionContext,
  count: number,
): Promise<void> {
  const { options, results, launch } = context;
  await withServer(spec, context, 'off', count + 1024, async (server) => {
    console.log(
      `bench: ${server.name} (pid ${server.pid}), mirror mix beside ${count} slow clients`,
    );
    await attempt(context, `${server.name} mirror mix`, async () => {
      await measureSlowClients(
        server.pid,
        server.port,
        {
          count,
          // Held a little past the mix, so that its last requests still meet the downloads.
          holdS: options.mixDurationS + (options.quick ? 1 : 2),
          rateBytesPerS: options.slowRateBytesPerS,
          rcvbufBytes: options.slowRcvbufBytes,
          fdLimit: launch.fdLimit,
        },
        async () => {
          const mix = await measureMirrorMix(server.baseUrl, {
            ratePerS: options.mixRatePerS,
            durationS: options.mixDurationS,
            conditionalShare: 0.8,
          });
          console.log(
            `bench:   ${mix.requests} small requests (${mix.notModified} x 304, ` +
              `${mix.failures} failed): p50 ${mix.p50Ms.toFixed(2)} ms, p99 ${mix.p99Ms.toFixed(2)} ms`,
          );
          if (mix.failures > 0) results.note(`${server.name} mirror mix: ${mix.failures} failed`);
          results.add(figureIds.mixP50(count), server.name, mix.p50Ms);
          results.add(figureIds.mixP99(count), server.name, mix.p99Ms);
        },
      );
    });
  });
}
