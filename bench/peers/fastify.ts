/** Peer server: fastify + @fastify/static on ROOT, 127.0.0.1:PORT. */
import fastifyStatic from '@fastify/static';
import Fastify from 'fastify';

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) throw new Error('usage: fastify.js ROOT PORT');
const app = Fastify({ logger: false });
await app.register(fastifyStatic, { root });
await app.listen({ port: Number(port), host: '127.0.0.1' });
console.log(`listening on 127.0.0.1:${port}`);
