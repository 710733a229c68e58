#!/usr/bin/env python3
"""Slow download clients: COUNT connections each fetching PATH and reading ~RATE bytes/s.

Each socket gets a small SO_RCVBUF before connect, as a slow line has a small window. Reads
come straight from the socket (loop.sock_recv), so nothing is buffered in user space: the
server sees exactly the window the kernel advertises. Stdlib only.

Prints JSON lines on stdout:
  {"event": "held", ...}  once every connection is open and its request sent
  {"event": "tick", ...}  every TICK_S seconds from the first connect: bytes read so far (all
                          connections), for the server's CPU per byte delivered over time
  {"event": "done", ...}  HOLD seconds later: how many are alive, how many made progress in
                          the last PROGRESS_WINDOW seconds, bytes read
then closes every socket and exits.
"""

import argparse
import asyncio
import json
import random
import socket
import sys
import time

PROGRESS_WINDOW_S = 10.0
TICK_S = 1.0


class Connection:
    __slots__ = ("sock", "alive", "last_progress", "bytes_read", "error")

    def __init__(self, sock):
        self.sock = sock
        self.alive = False
        self.last_progress = 0.0
        self.bytes_read = 0
        self.error = None


def emit(event, **fields):
    print(json.dumps({"event": event, **fields}), flush=True)


def new_socket(rcvbuf):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    return sock


async def open_connection(conn, args, request, gate):
    loop = asyncio.get_running_loop()
    async with gate:
        await loop.sock_connect(conn.sock, (args.host, args.port))
        await loop.sock_sendall(conn.sock, request)
    conn.alive = True
    conn.last_progress = time.monotonic()


async def read_slowly(conn, args):
    """Token bucket: by time t the client has asked for at most RATE * t bytes."""
    loop = asyncio.get_running_loop()
    await asyncio.sleep(random.uniform(0, args.interval))
    started = time.monotonic()
    while True:
        allowance = int(args.rate * (time.monotonic() - started + args.interval))
        want = max(1, min(allowance - conn.bytes_read, int(args.rate * args.interval * 4)))
        data = await loop.sock_recv(conn.sock, want)
        if not data:
            conn.alive = False
            conn.error = "eof"
            return
        conn.bytes_read += len(data)
        conn.last_progress = time.monotonic()
        await asyncio.sleep(args.interval)


async def run_connection(conn, args, request, gate, opened):
    try:
        await open_connection(conn, args, request, gate)
    except OSError as error:
        conn.error = f"connect: {error.strerror or error}"
        return
    finally:
        opened.release()
    try:
        await read_slowly(conn, args)
    except OSError as error:
        conn.alive = False
        conn.error = f"read: {error.strerror or error}"


def error_counts(conns):
    counts = {}
    for conn in conns:
        if conn.error is not None:
            counts[conn.error] = counts.get(conn.error, 0) + 1
    return counts


async def tick(conns, started):
    """Bytes read by all connections, each TICK_S (scheduled on the clock, not drifting)."""
    for n in range(1, 1 << 30):
        await asyncio.sleep(max(0.0, started + n * TICK_S - time.monotonic()))
        emit("tick", t=round(time.monotonic() - started, 3), bytes=sum(c.bytes_read for c in conns))


async def main(args):
    request = (
        f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
        "User-Agent: ebb-bench-slow\r\nConnection: close\r\n\r\n"
    ).encode()
    conns = [Connection(new_socket(args.rcvbuf)) for _ in range(args.count)]
    effective = conns[0].sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) if conns else 0
    gate = asyncio.Semaphore(args.connect_concurrency)
    opened = asyncio.Semaphore(0)
    started = time.monotonic()
    emit("start", count=args.count)
    ticker = asyncio.create_task(tick(conns, started))
    tasks = [asyncio.create_task(run_connection(c, args, request, gate, opened)) for c in conns]
    for _ in conns:
        await opened.acquire()
    connected = sum(1 for c in conns if c.alive)
    emit(
        "held",
        count=args.count,
        connected=connected,
        failed=args.count - connected,
        connect_s=round(time.monotonic() - started, 3),
        rcvbuf_effective=effective,
        errors=error_counts(conns),
    )
    await asyncio.sleep(args.hold)
    now = time.monotonic()
    alive = [c for c in conns if c.alive]
    emit(
        "done",
        count=args.count,
        alive=len(alive),
        progressing=sum(1 for c in alive if now - c.last_progress <= PROGRESS_WINDOW_S),
        bytes=sum(c.bytes_read for c in conns),
        errors=error_counts(conns),
    )
    ticker.cancel()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    for conn in conns:
        conn.sock.close()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/big.bin")
    parser.add_argument("--count", type=int, required=True)
    parser.add_argument("--hold", type=float, default=30.0, help="seconds to hold after connecting")
    parser.add_argument("--rate", type=float, default=4096.0, help="bytes per second per client")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between reads")
    parser.add_argument("--rcvbuf", type=int, default=4096, help="SO_RCVBUF, set before connect")
    parser.add_argument("--connect-concurrency", type=int, default=200)
    return parser.parse_args(argv)


if __name__ == "__main__":
    asyncio.run(main(parse_args(sys.argv[1:])))
