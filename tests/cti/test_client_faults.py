"""CtiClient against scripted fake servers: garbage, silence, dead links, bad checksums."""
from __future__ import annotations

import asyncio
import base64
import gc
import hashlib
import json
import time

import pytest

from agent_app.cti.client import CtiError
from tests.cti.clientkit import Recorder, client_for, run, stop_in_time, until

# -- against fake servers ----------------------------------------------------------------------------
AGENT = {"user": "1001", "name": "李娜", "seat": "8001", "groups": ["21"], "state": "busy",
         "reason": None, "since": None, "call_id": None}


class Fake:
    """A scripted server: behave(n, reader, writer) runs for the n-th connection."""

    def __init__(self, behave) -> None:
        self.behave, self.connections, self.handlers = behave, 0, []

    async def __aenter__(self) -> Fake:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        self.server.close()
        for t in self.handlers:
            t.cancel()
        await asyncio.gather(*self.handlers, return_exceptions=True)
        await self.server.wait_closed()

    async def _handle(self, reader, writer) -> None:
        self.connections += 1
        self.handlers.append(asyncio.current_task())
        try:
            await self.behave(self.connections, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            pass  # the fake closes: ending quietly keeps asyncio's stream callback content
        finally:
            writer.transport.abort()


async def recv(reader) -> dict:
    line = await reader.readline()
    if not line:
        raise ConnectionError("the client closed")
    return json.loads(line)


def send(writer, msg: dict | bytes) -> None:
    writer.write(msg if isinstance(msg, bytes) else (json.dumps(msg) + "\n").encode())


async def greet(reader, writer, heartbeat_s: float = 15) -> None:
    hello = await recv(reader)
    assert hello["type"] == "hello" and hello["protocol"] == 1
    send(writer, {"type": "result", "id": hello["id"], "ok": True, "protocol": 1,
                  "server": "fake/1", "heartbeat_s": heartbeat_s})
    login = await recv(reader)
    assert (login["type"], login["user"], login["seat"]) == ("login", "1001", "8001")
    send(writer, {"type": "result", "id": login["id"], "ok": True, "agent": AGENT,
                  "resumed": False, "call": None})


async def serve_forever(reader, writer) -> None:
    """Answer every request with ok (logout closes, as the real server does)."""
    while True:
        msg = await recv(reader)
        send(writer, {"type": "result", "id": msg["id"], "ok": True})
        if msg["type"] == "logout":
            await writer.drain()
            return


GARBAGE = {
    "not_json": b"this is not json\n",
    "not_object": b"[1, 2, 3]\n",
    "not_utf8": b"\xff\xfe{}\n",
    "no_type": b'{"id": 1}\n',
    "over_long": b'{"type":"event","pad":"' + b"x" * 80_000 + b'"}\n',
    "over_long_no_newline": b"y" * 200_000,
}


@pytest.mark.parametrize("garbage", list(GARBAGE))
def test_garbage_from_the_server_drops_and_reconnects(garbage):
    async def behave(n, reader, writer):
        await greet(reader, writer)
        if n == 1:
            await recv(reader)  # the request the test makes: never answered
            send(writer, GARBAGE[garbage])
            await writer.drain()
            await hang()
        await serve_forever(reader, writer)

    async def main():
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            rec = Recorder(client)
            await client.start()
            assert await client.wait_logged_in(5)
            with pytest.raises(CtiError) as exc:
                await client.ready()
            assert exc.value.code == "disconnected"
            at = await rec.status("disconnected", "bad_frame", timeout=5)
            await rec.status("logged_in", after=at, timeout=5)
            assert fake.connections == 2
            assert (await client.ready()) == {}
            await stop_in_time(client)
    run(main())


def test_pending_request_fails_when_the_server_vanishes():
    async def behave(n, reader, writer):
        await greet(reader, writer)
        await recv(reader)  # then the server dies without answering

    async def main():
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            rec = Recorder(client)
            await client.start()
            assert await client.wait_logged_in(5)
            t0 = time.monotonic()
            with pytest.raises(CtiError) as exc:
                await client.request("ready", timeout=30)
            assert exc.value.code == "disconnected" and time.monotonic() - t0 < 2
            await rec.status("disconnected", "connection_lost")
            await stop_in_time(client)
    run(main())


def test_unanswered_ping_drops_the_link_and_timeouts_fail_one_request():
    async def behave(n, reader, writer):
        await greet(reader, writer, heartbeat_s=0.2)
        while True:
            msg = await recv(reader)  # pings and "busy" are swallowed; others answered
            if msg["type"] not in ("ping", "busy"):
                send(writer, {"type": "result", "id": msg["id"], "ok": False,
                              "error": {"code": "bad_state", "message": "not now"}})

    async def main():
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            rec = Recorder(client)
            await client.start()
            assert await client.wait_logged_in(5)
            with pytest.raises(CtiError) as exc:
                await client.request("busy", timeout=0.1)
            assert exc.value.code == "timeout"
            with pytest.raises(CtiError) as exc:
                await client.ready()
            assert (exc.value.code, exc.value.message) == ("bad_state", "not now")
            at = await rec.status("disconnected", "ping_timeout", timeout=3)
            await rec.status("logged_in", after=at, timeout=3)
            assert fake.connections >= 2
            await stop_in_time(client)
    run(main())


def test_events_dispatch_and_seq_gaps():
    async def behave(n, reader, writer):
        await greet(reader, writer)
        for seq, name, extra in ((1, "agent_state", {"agent": {**AGENT, "state": "ready"}}),
                                 (2, "agent_state", {"agent": {**AGENT, "user": "1002"}}),
                                 (5, "message", {"from": "0002", "text": "hi"}),
                                 (6, "future_event", {})):
            send(writer, {"type": "event", "event": name, "seq": seq, "ts": "x", **extra})
        await serve_forever(reader, writer)

    async def main():
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            rec = Recorder(client)
            await client.start()
            await rec.event("future_event")
            assert [e["event"] for e in rec.events] == ["agent_state", "agent_state", "message"]
            assert client.seq_gaps == 1
            assert client.agent["state"] == "ready"  # another agent's state is not ours
            await stop_in_time(client)
    run(main())


def _chunks(payload: bytes, digest: str, rid: int, size: int = 1000) -> list[dict]:
    parts = [payload[i:i + size] for i in range(0, len(payload), size)]
    return [{"type": "result", "id": rid, "ok": True, "chunk": k,
             "data": base64.b64encode(p).decode(), "last": k == len(parts) - 1,
             **({"sha256": digest} if k == len(parts) - 1 else {})}
            for k, p in enumerate(parts)]


@pytest.mark.parametrize("honest", [True, False])
def test_fetch_recording_checks_the_hash(tmp_path, honest):
    payload = bytes(range(256)) * 20   # 5,120 bytes: six chunks of 1,000
    digest = hashlib.sha256(payload if honest else payload + b"!").hexdigest()

    async def behave(n, reader, writer):
        await greet(reader, writer)
        msg = await recv(reader)
        assert msg["type"] == "get_recording" and msg["recording_id"] == "r1"
        for chunk in _chunks(payload, digest, msg["id"]):
            send(writer, chunk)
            send(writer, {"type": "event", "event": "message", "seq": chunk["chunk"] + 1,
                          "ts": "x", "text": "interleaved"})
            await writer.drain()
        await serve_forever(reader, writer)

    async def main():
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            Recorder(client)
            await client.start()
            assert await client.wait_logged_in(5)
            dest = tmp_path / "r1.wav"
            if honest:
                assert await client.fetch_recording("r1", dest) == dest
                assert dest.read_bytes() == payload
            else:
                with pytest.raises(CtiError) as exc:
                    await client.fetch_recording("r1", dest)
                assert exc.value.code == "bad_checksum"
                assert not dest.exists()
            assert not dest.with_suffix(".part").exists()
            assert (await client.ready()) == {}  # the link is fine either way
            await stop_in_time(client)
    run(main())


async def hang() -> None:
    """A fake server that never answers again: waits until its connection is closed
    (the Fake's exit cancels it)."""
    await asyncio.Event().wait()


async def _silent(n, reader, writer):
    await hang()


async def _no_logout_answer(n, reader, writer):
    await greet(reader, writer)
    while (await recv(reader))["type"] != "logout":
        pass
    await hang()


async def _dies_mid_fetch(n, reader, writer):
    await greet(reader, writer)
    msg = await recv(reader)
    send(writer, _chunks(b"a" * 3000, "0" * 64, msg["id"])[0])
    await hang()


@pytest.mark.parametrize("behave,state", [
    (None, "never started"), ("refused", "connection refused, backing off"),
    (_silent, "waiting for hello"), (_no_logout_answer, "logout unanswered"),
    (_dies_mid_fetch, "fetching a recording"), ("at once", "stopped while connecting"),
])
def test_stop_returns_quickly_in_every_state(behave, state, tmp_path):
    async def main():
        if behave is None:
            await stop_in_time(client_for(1))
            return
        if behave == "at once":  # stop() lands while open_connection is in flight
            async with Fake(_silent) as fake:
                client = client_for(fake.port)
                await client.start()
                await stop_in_time(client)
                await asyncio.sleep(0.1)
            gc.collect()  # a StreamWriter left open would warn (an error here) now
            return
        if behave == "refused":
            async with Fake(_silent) as fake:
                port = fake.port  # a port that was just free: nothing listens now
            client = client_for(port, backoff=(8,))
            rec = Recorder(client)
            await client.start()
            await rec.status("disconnected", "connect_failed", timeout=5)
            await stop_in_time(client)
            return
        async with Fake(behave) as fake:
            client = client_for(fake.port)
            rec = Recorder(client)
            await client.start()
            if behave is _silent:
                await rec.status("connected", timeout=5)
            else:
                assert await client.wait_logged_in(5)
            fetch = None
            if behave is _dies_mid_fetch:
                fetch = asyncio.ensure_future(client.fetch_recording("r", tmp_path / "r.wav"))
                await until(lambda: (tmp_path / "r.part").exists())   # the fetch is under way
            await stop_in_time(client)
            if fetch is not None:
                with pytest.raises(CtiError) as exc:
                    await fetch
                assert exc.value.code == "disconnected"
                assert not (tmp_path / "r.part").exists()
    run(main())
