"""A fast webhook receiver for the bench: asyncio, HTTP/1.1 keep-alive, answers 204 at once.

``python -m bench.receiver PORT`` listens on 127.0.0.1. ``POST`` anything: counted, answered
``204``. ``GET /stats``: ``{"received", "first", "last", "signed"}`` (monotonic seconds of the
first and last request; ``signed`` counts requests carrying the Standard Webhooks headers).
``GET /reset`` zeroes them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

STATS = {"received": 0, "signed": 0, "first": None, "last": None}
SIGNATURE_HEADERS = (b"webhook-id:", b"webhook-timestamp:", b"webhook-signature:")


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.split(b"\r\n")
            method, path = lines[0].split(b" ")[:2]
            length = 0
            lowered = [line.lower() for line in lines[1:]]
            for line in lowered:
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if method == b"GET" and path == b"/reset":
                STATS.update(received=0, signed=0, first=None, last=None)
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            elif method == b"GET" and path == b"/stats":
                body = json.dumps(STATS).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
            else:
                now = time.monotonic()
                STATS["received"] += 1
                STATS["first"] = STATS["first"] or now
                STATS["last"] = now
                if all(any(line.startswith(h) for line in lowered) for h in SIGNATURE_HEADERS):
                    STATS["signed"] += 1
                writer.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    finally:
        writer.close()


async def serve(port: int) -> None:
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


def main() -> int:
    asyncio.run(serve(int(sys.argv[1])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
