/**
 * The terminal ebb was started on. When it hangs up (an SSH logout) every write to it fails with
 * EIO, and Node 20 aborts at exit restoring its modes (tcsetattr meets EIO, a failed CHECK in
 * ResetStdio: exit status 134 instead of the drain's own). So, as daemons do, descriptors still
 * on that terminal are moved to /dev/null once it is gone: writes then succeed into nothing,
 * and at exit Node sees another file and leaves it alone.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { isatty } from 'node:tty';

interface TerminalFd {
  readonly fd: number;
  readonly dev: number;
  readonly ino: number;
}

export interface Terminal {
  /** Moves the standard descriptors still on the hung-up terminal to /dev/null. Idempotent. */
  release(): void;
}

function sameFile(fd: number, dev: number, ino: number): boolean {
  try {
    const stat = fstatSync(fd);
    return stat.dev === dev && stat.ino === ino;
  } catch {
    return false;
  }
}

/** Notes which of stdin, stdout and stderr are a terminal, now, at start. */
export function findTerminal(): Terminal {
  const fds: TerminalFd[] = [];
  for (const fd of [0, 1, 2]) {
    if (!isatty(fd)) continue;
    const stat = fstatSync(fd);
    fds.push({ fd, dev: stat.dev, ino: stat.ino });
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      for (const { fd, dev, ino } of fds) {
        if (!sameFile(fd, dev, ino)) continue;
        try {
          // No dup2 in Node: close, then open takes the lowest free number, this one.
          closeSync(fd);
          const opened = openSync('/dev/null', 'r+');
          if (opened !== fd) closeSync(opened); // another thread took the number first
        } catch {
          // Nothing more can be done for a descriptor that is already gone.
        }
      }
    },
  };
}
