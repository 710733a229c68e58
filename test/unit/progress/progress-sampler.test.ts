/**
 * The sampler turns the kernel's unacknowledged bytes into acknowledged progress and tells a
 * delivering connection when everything (its FIN included) is acknowledged — which lets it
 * linger and close instead of waiting out the write-idle timeout. It samples only when wanted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConnectionPhase } from '../../../src/http/types.js';
import {
  ProgressSampler,
  type DeliveryTarget,
  type SampledConnections,
  type SampledEntry,
} from '../../../src/progress/progress-sampler.js';
import { CONNECTION_RATE } from '../../../src/progress/smooth-rate.js';
import type { SocketSelection } from '../../../src/progress/tcp-table.js';

class Target implements DeliveryTarget {
  progress = 0;
  allAcknowledged = 0;
  constructor(
    readonly socketBytesInKernel: number,
    readonly bodyStartSocketBytes: number,
  ) {}
  noteDeliveryProgress(): void {
    this.progress++;
  }
  noteAllAcknowledged(): void {
    this.allAcknowledged++;
  }
}

function entryOf(key: string, phase: ConnectionPhase, target: Target, bytesSent: number) {
  const entry: SampledEntry & { connection: Target } = {
    tcpKey: key,
    phase,
    connection: target,
    // Past the rate's warm-up (CONNECTION_RATE.warmUpMs), so an acknowledged byte makes a rate.
    requestStartMs: Date.now() - 2000 - CONNECTION_RATE.warmUpMs,
    bytesSent,
    bytesAcked: 0,
    rateBytesPerSec: 0,
    lastSampleMs: Date.now() - 1000,
  };
  return entry;
}

/** A 1000-byte body after a 100-byte head, all in the kernel. */
const downloadOf = (key: string, phase: ConnectionPhase) =>
  entryOf(key, phase, new Target(1100, 100), 1000);

function registryOf(entries: SampledEntry[]): SampledConnections {
  const counts: Record<ConnectionPhase, number> = {
    reading: 0,
    idle: 0,
    responding: 0,
    delivering: 0,
    closed: 0,
  };
  for (const e of entries) counts[e.phase]++;
  return { phaseCounts: counts, [Symbol.iterator]: () => entries.values() };
}

// Head of 100 bytes, then a 1000-byte body all in the kernel.
const CASES: ReadonlyArray<{
  readonly name: string;
  readonly phase: ConnectionPhase;
  readonly txQueue: number | undefined;
  readonly acked: number;
  readonly allAcknowledged: boolean;
}> = [
  {
    name: 'responding, 600 unacknowledged',
    phase: 'responding',
    txQueue: 600,
    acked: 400,
    allAcknowledged: false,
  },
  {
    name: 'responding, all acknowledged',
    phase: 'responding',
    txQueue: 0,
    acked: 1000,
    allAcknowledged: false,
  },
  {
    name: 'delivering, body and FIN unacknowledged',
    phase: 'delivering',
    txQueue: 301,
    acked: 700,
    allAcknowledged: false,
  },
  {
    name: 'delivering, only the FIN left',
    phase: 'delivering',
    txQueue: 1,
    acked: 1000,
    allAcknowledged: true,
  },
  {
    name: 'delivering, FIN acknowledged',
    phase: 'delivering',
    txQueue: 0,
    acked: 1000,
    allAcknowledged: true,
  },
  {
    name: 'delivering, the kernel cannot be asked (not Linux)',
    phase: 'delivering',
    txQueue: undefined,
    acked: 1000,
    allAcknowledged: false,
  },
];

for (const c of CASES) {
  test(`sample: ${c.name}`, async () => {
    const target = new Target(1100, 100);
    const entry = entryOf('K', c.phase, target, 1000);
    const queues = c.txQueue === undefined ? null : new Map([['K', c.txQueue]]);
    const sampler = new ProgressSampler(registryOf([entry]), () => Promise.resolve(queues));
    sampler.sampleAlways();
    await sampler.sample();
    assert.equal(entry.bytesAcked, c.acked);
    assert.equal(target.allAcknowledged, c.allAcknowledged ? 1 : 0);
    assert.equal(target.progress, c.acked > 0 ? 1 : 0);
    assert.ok(entry.rateBytesPerSec > 0 || c.acked === 0);
  });
}

test('no sample while nobody wants one: responding only, no drain, no demand', async () => {
  let reads = 0;
  const entry = entryOf('K', 'responding', new Target(1100, 100), 1000);
  const sampler = new ProgressSampler(registryOf([entry]), () => {
    reads++;
    return Promise.resolve(new Map([['K', 0]]));
  });
  await sampler.sample();
  assert.equal(reads, 0);
  sampler.demand(); // a /status request or an events viewer
  await sampler.sample();
  assert.equal(reads, 1);
});

test('concurrent looks share one read of the kernel, asked about the in-flight ports only', async () => {
  const asked: number[][] = [];
  let release: (queues: Map<string, number>) => void = () => undefined;
  const responding = downloadOf('0100007F:1F90 0100007F:D3C2', 'responding');
  const delivering = downloadOf('0100007F:01BB 0100007F:D3C3', 'delivering');
  const idle = entryOf('0100007F:1F91 0100007F:D3C4', 'idle', new Target(0, 0), 0);
  const sampler = new ProgressSampler(registryOf([responding, delivering, idle]), (selection) => {
    assert.equal(selection.peerPorts, null);
    asked.push([...selection.localPorts].sort((a, b) => a - b));
    return new Promise((done) => (release = done));
  });
  const looks = [sampler.demandFresh(), sampler.demandFresh(), sampler.sample()];
  let secondDone = false;
  void looks[1]?.then(() => (secondDone = true));
  await new Promise((done) => setImmediate(done));
  assert.equal(secondDone, false, 'a look during a sample waits for it');
  release(new Map([[responding.tcpKey, 600]]));
  await Promise.all(looks);
  assert.deepEqual(asked, [[443, 8080]]);
  assert.equal(responding.bytesAcked, 400);
  // A look right after a sample uses it.
  await sampler.demandFresh();
  assert.equal(asked.length, 1);
});

test('a socket missing from a read of the kernel keeps its figures until the next sample', async () => {
  // Seen with ss while another process's sockets came and went: a skipped row, read as
  // "nothing unacknowledged", showed a stalled download's whole send buffer as delivered.
  const skipped = downloadOf('0100007F:1F90 0100007F:D3C2', 'responding');
  const seen = downloadOf('0100007F:1F90 0100007F:D3C3', 'responding');
  let queues = new Map([[seen.tcpKey, 600]]);
  const sampler = new ProgressSampler(registryOf([skipped, seen]), () => Promise.resolve(queues));
  sampler.sampleAlways();
  await sampler.sample();
  assert.equal(skipped.bytesAcked, 0);
  assert.equal(seen.bytesAcked, 400);
  queues = new Map([
    [skipped.tcpKey, 900],
    [seen.tcpKey, 600],
  ]);
  await sampler.sample();
  assert.equal(skipped.bytesAcked, 100);
});

test('nobody looking: only the last replies are asked about, by their peer ports', async () => {
  const responding = downloadOf('0100007F:1F90 0100007F:D3C2', 'responding');
  const delivering = downloadOf('0100007F:1F90 0100007F:D3C3', 'delivering');
  const asked: SocketSelection[] = [];
  const sampler = new ProgressSampler(registryOf([responding, delivering]), (selection) => {
    asked.push(selection);
    return Promise.resolve(new Map([[delivering.tcpKey, 1]]));
  });
  await sampler.sample();
  assert.deepEqual(asked, [{ localPorts: new Set([8080]), peerPorts: new Set([0xd3c3]) }]);
  assert.equal(delivering.bytesAcked, 1000);
  assert.equal(delivering.connection.allAcknowledged, 1);
  assert.equal(responding.bytesAcked, 0); // not asked about, not touched
});

test('bytes written while the kernel is asked do not count as acknowledged', async () => {
  // Seen on a download filling its buffers: ss took 30 ms, Node wrote a megabyte meanwhile,
  // and that megabyte (unknown to the answer) showed as delivered, for good.
  const target = new Target(1100, 100);
  const entry = entryOf('0100007F:1F90 0100007F:D3C2', 'responding', target, 1000);
  const sampler = new ProgressSampler(registryOf([entry]), () => {
    // The kernel answers for the 1,000 body bytes it held when asked: 600 unacknowledged.
    const answer = new Map([[entry.tcpKey, 600]]);
    (target as { socketBytesInKernel: number }).socketBytesInKernel = 1100 + 1_000_000;
    (entry as { bytesSent: number }).bytesSent += 1_000_000;
    return Promise.resolve(answer);
  });
  sampler.sampleAlways();
  await sampler.sample();
  assert.equal(entry.bytesAcked, 400);
});

const PACES: ReadonlyArray<{ readonly cpuMsPerSample: number; readonly intervalMs: number }> = [
  { cpuMsPerSample: 0, intervalMs: 1000 },
  { cpuMsPerSample: 35, intervalMs: 1000 }, // ss at 10,000 sockets, measured
  { cpuMsPerSample: 100, intervalMs: 2000 }, // /proc/net/tcp at 10,000: 5 % of a core at most
  { cpuMsPerSample: 1000, intervalMs: 20_000 },
];

for (const pace of PACES) {
  test(`samples costing ${pace.cpuMsPerSample} ms of CPU come every ${pace.intervalMs} ms`, async () => {
    let cpuMs = 0;
    const entry = downloadOf('0100007F:1F90 0100007F:D3C2', 'responding');
    const sampler = new ProgressSampler(
      registryOf([entry]),
      () => {
        cpuMs += pace.cpuMsPerSample;
        return Promise.resolve(new Map([[entry.tcpKey, 600]]));
      },
      () => cpuMs,
    );
    sampler.sampleAlways();
    for (let i = 0; i < 40; i++) await sampler.sample();
    assert.ok(Math.abs(sampler.sampleIntervalMs - pace.intervalMs) < pace.intervalMs * 0.01);
  });
}
