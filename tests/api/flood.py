"""A small load generator: CLIENTS keep-alive connections each sending requests with random wrong API keys.

``python flood.py HOST PORT CLIENTS SECONDS PATH`` prints ``{"status": count, ...}`` as JSON when done.
Plain asyncio streams (no HTTP client library), so that the generator costs little CPU next to the server
it hammers on the same machine.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import sys
import time
from collections import Counter


async def _client(host: str, port: int, path: str, until: float, counts: Counter) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < until:
            writer.write((f"GET {path} HTTP/1.1\r\nHost: {host}\r\nX-API-Key: {secrets.token_urlsafe(16)}\r\n\r\n")
                         .encode())
            await writer.drain()
            status_line = await reader.readline()
            if not status_line:  # the server closed the connection: open a new one
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                counts["reconnect"] += 1
                continue
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            await reader.readexactly(length)
            counts[status_line.split()[1].decode()] += 1
    finally:
        writer.close()


async def main(host: str, port: int, clients: int, seconds: float, path: str) -> Counter:
    counts: Counter = Counter()
    until = time.monotonic() + seconds
    await asyncio.gather(*(_client(host, port, path, until, counts) for _ in range(clients)))
    return counts


if __name__ == "__main__":
    host, port, clients, seconds, path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
    print(json.dumps(asyncio.run(main(host, port, clients, seconds, path))))
