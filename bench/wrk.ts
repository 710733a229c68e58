/**
 * Request rate and p99 latency with wrk over keep-alive connections, after a short warmup.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pinned } from './cpu-pinning.js';

const execFileAsync = promisify(execFile);

export interface WrkResult {
  readonly requestsPerS: number;
  readonly p99Ms: number;
  readonly requests: number;
  /** Socket errors and non-2xx/3xx responses, as wrk printed them; empty when clean. */
  readonly problems: readonly string[];
  /** Non-2xx/3xx responses plus socket errors of all kinds. */
  readonly failures: number;
}

export interface WrkSettings {
  readonly connections: number;
  readonly durationS: number;
  /** 0: no warmup run (the server was warmed up already). */
  readonly warmupS: number;
}

const LATENCY_UNITS_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Parses wrk's `--latency` report. */
export function parseWrk(text: string): WrkResult {
  const rate = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\b/m.exec(text);
  if (rate?.[1] === undefined || p99?.[1] === undefined || p99[2] === undefined) {
    throw new Error(`unexpected wrk output:\n${text}`);
  }
  const problems = text
    .split('\n')
    .filter((line) => /Socket errors|Non-2xx or 3xx/.test(line))
    .map((line) => line.trim());
  const failures = problems
    .flatMap((line) => [...line.matchAll(/(\d+)/g)].map((match) => Number(match[1])))
    .reduce((sum, count) => sum + count, 0);
  return {
    requests: Number(/(\d+) requests in/.exec(text)?.[1] ?? 0),
    failures,
    requestsPerS: Number(rate[1]),
    p99Ms: Number(p99[1]) * (LATENCY_UNITS_MS[p99[2]] ?? Number.NaN),
    problems,
  };
}

async function runWrk(url: string, connections: number, durationS: number): Promise<string> {
  const args = ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', url];
  const [command = 'wrk', ...rest] = pinned('client', ['wrk', ...args]);
  const { stdout } = await execFileAsync(command, rest, { timeout: (durationS + 30) * 1000 });
  return stdout;
}

export async function measureWrk(url: string, settings: WrkSettings): Promise<WrkResult> {
  if (settings.warmupS > 0) await runWrk(url, settings.connections, settings.warmupS);
  return parseWrk(await runWrk(url, settings.connections, settings.durationS));
}
