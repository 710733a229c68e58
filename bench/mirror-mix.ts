/**
 * A mirror's small requests while slow downloads run: at a steady rate, apt's pattern of
 * InRelease and Packages fetches, most of them conditional (If-Modified-Since with the file's
 * Last-Modified, answered 304), the rest in full. Reports the latency of each (p50, p99), so
 * that a server busy filling a thousand send buffers shows what its small requests wait.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { FILES } from './docroot.js';

export interface MixSettings {
  readonly ratePerS: number;
  readonly durationS: number;
  /** Share of requests that are conditional (apt revalidating), answered 304. */
  readonly conditionalShare: number;
}

export interface MixResult {
  readonly requests: number;
  readonly notModified: number;
  readonly failures: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Answer {
  readonly status: number;
  readonly lastModified: string | undefined;
  readonly ms: number;
}

function get(baseUrl: string, path: string, agent: Agent, since: string | undefined) {
  return new Promise<Answer>((resolve, reject) => {
    const startNs = process.hrtime.bigint();
    const headers: Record<string, string> = { 'user-agent': 'Debian APT-HTTP/1.3 (2.6.1)' };
    if (since !== undefined) headers['if-modified-since'] = since;
    const req = request(baseUrl + path, { agent, headers }, (response) => {
      response.resume();
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          lastModified: response.headers['last-modified'],
          ms: Number(process.hrtime.bigint() - startNs) / 1e6,
        }),
      );
      response.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: readonly number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] ?? Number.NaN;
}

/** Runs the mix against `baseUrl` for `durationS`; requests are started on a fixed schedule. */
export async function measureMirrorMix(baseUrl: string, settings: MixSettings): Promise<MixResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const paths = [FILES.inRelease, FILES.packages];
  try {
    const since = new Map<string, string | undefined>();
    for (const path of paths)
      since.set(path, (await get(baseUrl, path, agent, undefined)).lastModified);
    const total = Math.round(settings.ratePerS * settings.durationS);
    const intervalMs = 1000 / settings.ratePerS;
    const startMs = performance.now();
    const answers: Array<Promise<Answer | Error>> = [];
    for (let index = 0; index < total; index++) {
      const dueMs = startMs + index * intervalMs - performance.now();
      if (dueMs > 0) await sleep(dueMs);
      const path = paths[index % 3 === 2 ? 1 : 0] ?? FILES.inRelease;
      // Deterministic spread: the first share of every ten requests is conditional.
      const conditional = index % 10 < settings.conditionalShare * 10;
      answers.push(
        get(baseUrl, path, agent, conditional ? since.get(path) : undefined).catch(
          (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
        ),
      );
    }
    const settled = await Promise.all(answers);
    const ok = settled.filter((a): a is Answer => !(a instanceof Error) && a.status < 400);
    const times = ok.map((a) => a.ms).sort((a, b) => a - b);
    return {
      requests: settled.length,
      notModified: ok.filter((a) => a.status === 304).length,
      failures: settled.length - ok.length,
      p50Ms: percentile(times, 0.5),
      p99Ms: percentile(times, 0.99),
    };
  } finally {
    agent.destroy();
  }
}
