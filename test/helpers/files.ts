/** Waiting on files the server writes (watching their folder, not polling). */
import { access } from 'node:fs/promises';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Resolves once `path` exists (e.g. a log file ebb reopened after logrotate moved it). */
export function fileCreated(path: string, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watcher.close();
      reject(new Error(`${path} was not created`));
    }, timeoutMs);
    const check = (): void => {
      access(path).then(
        () => {
          clearTimeout(timer);
          watcher.close();
          resolve();
        },
        () => undefined,
      );
    };
    const watcher = watch(dirname(path), (_event, name) => {
      if (name === basename(path)) check();
    });
    check();
  });
}
