/** Round-trip time of `GET /status` on ebb's admin listener, one request at a time. */
import { Agent, request } from 'node:http';
import { median } from './stats.js';

function timeOneGet(url: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const startNs = process.hrtime.bigint();
    const req = request(url, { agent }, (response) => {
      response.resume();
      response.on('end', () => {
        if (response.statusCode !== 200) reject(new Error(`${url}: ${response.statusCode}`));
        else resolve(Number(process.hrtime.bigint() - startNs) / 1e6);
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Milliseconds of `count` sequential round trips on one keep-alive connection. */
export async function timeStatusGets(
  adminUrl: string,
  count: number,
  path = '/status',
): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const times: number[] = [];
    for (let index = 0; index < count; index += 1) {
      times.push(await timeOneGet(`${adminUrl}${path}`, agent));
    }
    return times;
  } finally {
    agent.destroy();
  }
}

/** Median milliseconds over `count` sequential round trips on one keep-alive connection. */
export async function measureStatusMs(adminUrl: string, count = 20): Promise<number> {
  return median(await timeStatusGets(adminUrl, count));
}
