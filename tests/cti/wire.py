"""A minimal client written from cti-protocol.md alone, for testing the server."""
from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any


class Wire:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.next_id = 0
        self.results: dict[int, list[dict]] = {}
        self.events: list[dict] = []
        self.other: list[dict] = []
        self.closed = asyncio.Event()
        self._arrived = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    @classmethod
    async def connect(cls, port: int, ssl=None) -> Wire:
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20, ssl=ssl)
        return cls(r, w)

    async def _read(self) -> None:
        try:
            while True:
                line = await self.reader.readline()
                if not line:
                    break
                msg = json.loads(line)
                if msg.get("type") == "result":
                    self.results.setdefault(msg["id"], []).append(msg)
                elif msg.get("type") == "event":
                    self.events.append(msg)
                else:
                    self.other.append(msg)
                self._arrived.set()
        finally:
            self.closed.set()
            self._arrived.set()

    async def _until(self, predicate, timeout: float):
        async def wait():
            while True:
                found = predicate()
                if found is not None:
                    return found
                if self.closed.is_set():
                    raise ConnectionError("connection closed")
                self._arrived.clear()
                await self._arrived.wait()
        return await asyncio.wait_for(wait(), timeout)

    def send(self, verb: str, **args: Any) -> int:
        self.next_id += 1
        self.writer.write((json.dumps({"type": verb, "id": self.next_id, **args},
                                      ensure_ascii=False) + "\n").encode())
        return self.next_id

    async def request(self, verb: str, timeout: float = 5, **args: Any) -> dict:
        rid = self.send(verb, **args)
        return await self._until(lambda: (self.results.get(rid) or [None])[-1], timeout)

    async def chunks(self, rid: int, timeout: float = 10) -> list[dict]:
        return await self._until(
            lambda: self.results[rid] if self.results.get(rid) and
            (self.results[rid][-1].get("last") or not self.results[rid][-1]["ok"]) else None,
            timeout)

    async def event(self, name: str, timeout: float = 5, **match: Any) -> dict:
        def find():
            for i, e in enumerate(self.events):
                if e["event"] == name and all(_get(e, k) == v for k, v in match.items()):
                    return self.events.pop(i)
            return None
        return await self._until(find, timeout)

    async def login(self, user: str, password: str, seat: str, groups: list[str]) -> dict:
        assert (await self.request("hello", protocol=1, client="test/1"))["ok"]
        return await self.request("login", user=user, password=password, seat=seat, groups=groups)

    async def close(self) -> None:
        self.writer.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        if self.writer.get_extra_info("ssl_object") is not None:
            # TLS closes with a goodbye that needs the loop: wait for it (bounded), or a
            # loop that ends next leaves the socket to the garbage collector
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.writer.wait_closed(), 2)


def _get(obj: dict, dotted: str):
    for part in dotted.split("__"):
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj
