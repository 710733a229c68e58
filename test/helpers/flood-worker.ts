/**
 * A worker thread running one empty-line flooding client (see floodInWorkers), on its own event
 * loop so that its writes do not delay the good client whose latency is measured.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { floodEmptyLines } from './abuse-replays.js';

const { port, untilMs } = workerData as { port: number; untilMs: number };
parentPort?.postMessage(await floodEmptyLines(port, untilMs));
