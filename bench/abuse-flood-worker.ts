/**
 * A worker thread of `npm run bench:abuse`: one empty-line flooding client, on its own event
 * loop so its writes do not delay the good client whose latency the bench measures.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { floodEmptyLines } from '../test/helpers/abuse-replays.js';

const { port, untilMs } = workerData as { port: number; untilMs: number };
parentPort?.postMessage(await floodEmptyLines(port, untilMs));
