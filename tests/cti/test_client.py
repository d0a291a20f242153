"""CtiClient against the real agent-ctid on loopback (tests/cti/conftest.py's database)."""
from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from pathlib import Path

import pytest

from agent_app.cti.client import CtiError
from agent_app.cti.server import CtiServer, ServerOptions
from tests.cti.clientkit import Recorder, client_for, stop_in_time
from tests.cti.conftest import PASSWORD
from tests.cti.test_server_tls import cert  # noqa: F401 - the certificate fixture
from tests.cti.wire import Wire

# -- against the real server ----------------------------------------------------------------------
# The client does not care which database the server uses (the server's own tests cover
# both), so these run on SQLite only: half the time on a shared 2-core machine.
real = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def servers(cti_db, tmp_path):
    """servers(scenario): `await scenario(start)`; start(port=0, **opts) runs a CtiServer."""
    def go(scenario):
        async def main():
            live: list[CtiServer] = []

            async def start(port: int = 0, **opts) -> CtiServer:
                server = CtiServer(cti_db.url, ServerOptions(
                    port=port, recordings=Path(tmp_path / "rec"),
                    grace_s=opts.pop("grace_s", 30.0), outcome_delay=(0.05, 0.1), **opts))
                await server.start()
                live.append(server)
                return server

            async def stop(server: CtiServer) -> None:
                live.remove(server)
                await server.stop()

            start.stop = stop  # type: ignore[attr-defined]
            try:
                return await asyncio.wait_for(scenario(start), 60)
            finally:
                for s in live:
                    await s.stop()
        return asyncio.run(main())
    return go


async def admin(port: int) -> Wire:
    w = await Wire.connect(port)
    assert (await w.login("0002", PASSWORD, "8099", ["11"]))["ok"]
    return w


@real
def test_login_ready_call_and_recording(servers, tmp_path):
    async def scenario(start):
        server = await start()
        client = client_for(server.port)
        rec = Recorder(client)
        seen: list[str] = []

        def fragile(ev):  # a handler that raises must not end the link
            seen.append(ev["event"])
            if ev["event"] == "agent_state":
                raise RuntimeError("handler bug")
        client.on_event = fragile
        with pytest.raises(CtiError) as exc:
            await client.ready()
        assert exc.value.code == "not_connected"
        with pytest.raises(CtiError) as exc:   # checked locally: bad_args, not not_connected
            await client.dial("12ab")
        assert exc.value.code == "bad_args"

        await client.start()
        assert await client.wait_logged_in(5)
        assert rec.names() == ["connecting", "connected", "logged_in"]
        assert client.agent["state"] == "busy" and client.resumed is False
        client.on_event = lambda ev: (fragile(ev) if ev["event"] == "agent_state"
                                      else rec.events.append(ev))
        await client.ready()
        boss = await admin(server.port)
        cid = (await boss.request("sim_inbound", caller="13800138000", dialed="4006000000",
                                  group="21"))["call_id"]
        ring = await rec.event("call_ringing", call__call_id=cid)
        assert ring["pop"]["dialed"] == "4006000000"
        assert "agent_state" in seen and client.agent["state"] == "ringing"
        await client.answer(cid)
        await rec.event("call_answered", call__call_id=cid)
        assert client.call["call_id"] == cid and client.call["state"] == "talking"
        with pytest.raises(CtiError) as exc:
            await client.dial("138-0013")
        assert exc.value.code == "bad_args"
        await asyncio.sleep(2.3)  # > 2 s of 8 kHz 16-bit audio: the file comes in two chunks
        await client.hangup(cid)
        ended = await rec.event("call_ended", call__call_id=cid)
        assert ended["call"]["end_cause"] == "answered" and client.call is None
        ready = await rec.event("recording_ready", call_id=cid)
        dest = tmp_path / "call.wav"
        assert await client.fetch_recording(ready["recording_id"], dest) == dest
        data = dest.read_bytes()
        assert len(data) == ready["bytes"] > 32 * 1024
        assert hashlib.sha256(data).hexdigest() == ready["sha256"]
        assert not dest.with_suffix(".part").exists()
        with pytest.raises(CtiError) as exc:
            await client.fetch_recording("no-such-recording", tmp_path / "x.wav")
        assert exc.value.code == "no_such_call" and exc.value.message
        assert not (tmp_path / "x.part").exists()
        pong = await client.request("ping")  # a refreshed resume ticket, nothing else
        assert set(pong) == {"ticket", "ticket_ttl_s"} and pong["ticket_ttl_s"] == 60
        with pytest.raises(CtiError) as exc:
            await client.request("monitor")
        assert exc.value.code == "forbidden"

        other = client_for(server.port, user="1002", seat="8002")
        await other.start()
        assert await other.wait_logged_in(5)
        with pytest.raises(CtiError) as exc:
            await other.fetch_recording(ready["recording_id"], tmp_path / "y.wav")
        assert exc.value.code == "forbidden"
        assert client.status == "logged_in" and client.seq_gaps == 0
        await stop_in_time(other)
        await stop_in_time(client)
        assert "1001" not in server.acd.agents  # stop() logged out, no grace period kept
        await boss.close()
    servers(scenario)


@real
def test_reconnects_to_a_restarted_server(servers):
    async def scenario(start):
        server = await start()
        port = server.port
        client = client_for(port)
        rec = Recorder(client)
        await client.start()
        assert await client.wait_logged_in(5)
        await client.ready()
        await start.stop(server)
        at = await rec.status("disconnected", timeout=5)
        assert rec.statuses[at][1] == "connection_lost"
        with pytest.raises(CtiError) as exc:
            await client.ready()
        assert exc.value.code == "not_connected"
        await rec.status("disconnected", "connect_failed", after=at)  # refused, backing off
        server = await start(port=port)
        await rec.status("logged_in", after=at, timeout=10)
        names = rec.names()
        assert names[:4] == ["connecting", "connected", "logged_in", "disconnected"]
        assert names[-3:] == ["connecting", "connected", "logged_in"]
        assert set(names) == {"connecting", "connected", "logged_in", "disconnected"}
        # a new server life, but the agent's place was journalled: resumed, still ready
        assert client.resumed is True and client.agent["state"] == "ready"
        await client.ready()
        boss = await admin(port)
        cid = (await boss.request("sim_inbound", caller="13800138001", dialed="4006000000",
                                  group="21"))["call_id"]
        await rec.event("call_ringing", call__call_id=cid)
        await stop_in_time(client)
        await boss.close()
    servers(scenario)


@real
def test_resume_within_grace_after_the_socket_drops(servers):
    async def scenario(start):
        server = await start()
        client = client_for(server.port)
        rec = Recorder(client)
        await client.start()
        assert await client.wait_logged_in(5)
        await client.ready()
        boss = await admin(server.port)
        cid = (await boss.request("sim_inbound", caller="13800138002", dialed="4006000000",
                                  group="21"))["call_id"]
        await rec.event("call_ringing", call__call_id=cid)
        await client.answer(cid)
        await rec.event("call_answered", call__call_id=cid)
        pending = asyncio.ensure_future(client.request("ping"))
        await asyncio.sleep(0)  # the ping is written and waits for its result
        client._link.writer.transport.abort()  # the desk's link drops mid-call
        at = await rec.status("disconnected", timeout=5)
        with pytest.raises(CtiError) as exc:
            await pending
        assert exc.value.code == "disconnected"
        await rec.status("logged_in", "resumed", after=at, timeout=10)
        assert client.resumed is True
        assert client.call["call_id"] == cid and client.agent["state"] == "talking"
        await client.hangup(cid)
        await rec.event("call_ended", call__call_id=cid)
        await stop_in_time(client)
        await boss.close()
    servers(scenario)


@real
def test_wrong_password_is_not_retried_in_a_tight_loop(servers):
    async def scenario(start):
        server = await start()
        client = client_for(server.port, password="wrong", backoff=(0.05, 1.0))
        rec = Recorder(client)
        await client.start()
        await rec.status("disconnected", "auth_failed", timeout=5)
        t0 = time.monotonic()
        before = rec.statuses.count(("connecting", ""))
        await asyncio.sleep(2)
        attempts = rec.statuses.count(("connecting", "")) - before
        assert 1 <= attempts <= 3, rec.statuses  # at the cap (1 s), not the first step
        assert client.status in ("disconnected", "connecting", "connected")
        assert time.monotonic() - t0 < 2.5
        await stop_in_time(client)
    servers(scenario)


@real
def test_tls_verified_and_refused(servers, cert):  # noqa: F811 - the imported fixture
    crt, key = cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(crt, key)

    async def scenario(start):
        server = await start(tls=server_ctx)
        trusting = client_for(server.port)
        trusting.ssl = ssl.create_default_context(cafile=str(crt))
        await trusting.start()
        assert await trusting.wait_logged_in(5)
        assert (await trusting.ready()) == {}
        # a desk that does not trust the certificate refuses the server, and does not hammer it
        doubting = client_for(server.port, user="1002", seat="8002", backoff=(0.05, 1.0))
        doubting.ssl = ssl.create_default_context()
        rec = Recorder(doubting)
        await doubting.start()
        await rec.status("disconnected", "tls_failed", timeout=5)
        await asyncio.sleep(0.5)
        assert rec.statuses.count(("connecting", "")) == 1
        await stop_in_time(doubting)
        await stop_in_time(trusting)
    servers(scenario)
