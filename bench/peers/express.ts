/** Peer server: express + serve-static on ROOT, 127.0.0.1:PORT. */
import express from 'express';
import serveStatic from 'serve-static';

const [root, port] = process.argv.slice(2);
if (root === undefined || port === undefined) throw new Error('usage: express.js ROOT PORT');
const app = express();
app.use(serveStatic(root));
app.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on 127.0.0.1:${port}`);
});
