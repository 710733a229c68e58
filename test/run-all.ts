/**
 * Runs every compiled test file under node:test. `node --test DIR` runs nothing on Node 22 and
 * later, and Node 20 has no glob patterns, so the file list is made here, the same on every Node.
 * Extra arguments (e.g. `--test-name-pattern=…`, or file filters without a leading `-`) pass through.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const testRoot = fileURLToPath(new URL('.', import.meta.url));

function findTestFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return findTestFiles(path);
      return entry.name.endsWith('.test.js') ? [path] : [];
    })
    .sort();
}

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const filters = args.filter((a) => !a.startsWith('-'));
const files = findTestFiles(testRoot).filter(
  (file) => filters.length === 0 || filters.some((f) => relative(testRoot, file).includes(f)),
);
if (files.length === 0) {
  process.stderr.write(`run-all: no test file matches ${filters.join(' ')}\n`);
  process.exit(1);
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...flags, ...files], {
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
