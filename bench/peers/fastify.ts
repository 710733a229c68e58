/** Peer server: fastify + @fastify/static on ROOT, 127.0.0.1:PORT, with an HTML listing. */
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) throw new Error('usage: fastify.js ROOT PORT');

function renderListing(
  dirs: readonly { href: string; name: string }[],
  files: readonly { href: string; name: string }[],
): string {
  const items = [...dirs, ...files]
    .map((entry) => `<li><a href="${entry.href}">${entry.name}</a></li>`)
    .join('\n');
  return `<!doctype html><html><body><ul>\n${items}\n</ul></body></html>`;
}

const app = Fastify({ logger: false });
await app.register(fastifyStatic, {
  root,
  list: { format: 'html', render: renderListing },
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
console.log(`listening on 127.0.0.1:${port}`);
