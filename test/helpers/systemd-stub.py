"""What systemd does for ebb, for tests on a machine where systemd is not PID 1.

  systemd-stub.py notify PATH
      Binds a Unix datagram socket at PATH (a NOTIFY_SOCKET) and prints one JSON line per
      datagram: {"message": "READY=1\\n..."}. Descriptors passed with a message are closed at once,
      which is how sd_notify_barrier() (systemd-notify's wait) learns the message was taken.

  systemd-stub.py listen NAME[:NAME...] -- COMMAND [ARG...]
      Opens one TCP listener on 127.0.0.1 (any free port) per NAME, starts COMMAND with them as
      fds 3... and LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, and keeps its own copy of every socket
      open, as systemd does, until COMMAND exits. Prints {"pid": P, "ports": [...]} once
      started and {"exit": CODE} at the end.
"""
import json
import os
import socket
import sys


def emit(value):
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def notify(path):
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(path)
    emit({"bound": path})
    while True:
        message, fds, _flags, _address = socket.recv_fds(receiver, 65536, 16)
        for fd in fds:
            os.close(fd)
        emit({"message": message.decode("utf-8", "replace")})


def listen(names, command):
    listeners = []
    for _ in names:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listeners.append(listener)
    pid = os.fork()
    if pid == 0:
        # Move the listeners to 3, 4, ... (dup first: a listener may already sit on one of them).
        copies = [os.dup(listener.fileno()) for listener in listeners]
        for index, fd in enumerate(copies):
            os.dup2(fd, 3 + index, inheritable=True)
        env = dict(os.environ)
        env.update(
            LISTEN_FDS=str(len(listeners)),
            LISTEN_PID=str(os.getpid()),
            LISTEN_FDNAMES=":".join(names),
        )
        os.execvpe(command[0], command, env)
    emit({"pid": pid, "ports": [listener.getsockname()[1] for listener in listeners]})
    _, status = os.waitpid(pid, 0)
    emit({"exit": os.waitstatus_to_exitcode(status)})


def main(argv):
    if argv[:1] == ["notify"] and len(argv) == 2:
        notify(argv[1])
    elif argv[:1] == ["listen"] and len(argv) > 3 and argv[2] == "--":
        listen(argv[1].split(":"), argv[3:])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
