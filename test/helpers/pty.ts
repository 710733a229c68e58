/**
 * Runs a command on a real pseudo-terminal (python3's pty module, as `script` would, but the
 * driver also reports the command's exit status), and closes the terminal on demand: what an SSH
 * logout does to a server started in the foreground.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { LineFollower } from './ebb-process.js';

const DRIVER = `
import os, pty, select, sys
pid, master = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
out = sys.stdout.buffer
while True:
    ready, _, _ = select.select([0, master], [], [])
    if master in ready:
        try:
            data = os.read(master, 65536)
        except OSError:
            data = b''
        if not data:
            break
        out.write(data)
        out.flush()
    if 0 in ready:
        command = os.read(0, 100)
        if command == b'' or b'hangup' in command:
            os.close(master)
            break
_, status = os.waitpid(pid, 0)
out.write(b'\\nexit %d\\n' % os.waitstatus_to_exitcode(status))
out.flush()
`;

export interface PtyProcess {
  /** The python driver (our child); the command runs as its child, session leader on the pty. */
  readonly driver: ChildProcess;
  /** What the command wrote to the terminal, by line. */
  readonly output: LineFollower;
  /** Closes the terminal's master side: the command gets SIGHUP, then EIO on every write. */
  hangUp(): void;
  /** The command's exit status (negative: killed by that signal), once it has exited. */
  readonly exitStatus: Promise<number>;
}

export function runInPty(command: string, args: readonly string[]): PtyProcess {
  const driver = spawn('python3', ['-c', DRIVER, command, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const output = new LineFollower(driver.stdout);
  const exitStatus = output.waitFor(/^exit -?\d+$/, 60_000).then((line) => Number(line.slice(5)));
  return {
    driver,
    output,
    hangUp: () => driver.stdin.write('hangup\n'),
    exitStatus,
  };
}
