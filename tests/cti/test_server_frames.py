"""Bad input on the link: every framing rule of cti-protocol.md, plus fuzzing. The server
never crashes, never stalls other connections, and never changes state on a rejected
request."""
from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cti.clientkit import until
from tests.cti.conftest import PASSWORD
from tests.cti.wire import Wire

BAD_FRAMES = [
    (b"x" * 70_000 + b"\n", "longer than"),
    (b"\xff\xfe\xfd\n", "UTF-8"),
    (b"{not json\n", "JSON"),
    (b"[1,2,3]\n", "object"),
    (b'{"id":1}\n', "type"),
    (b'{"type":7,"id":1}\n', "type"),
]


async def raw(port: int, payload: bytes) -> list[dict]:
    r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    w.write(payload)
    await w.drain()
    out = []
    try:
        while line := await asyncio.wait_for(r.readline(), 5):
            out.append(json.loads(line))
    finally:
        w.close()
    return out  # the server closed the connection


async def victim(port: int) -> Wire:
    w = await Wire.connect(port)
    assert (await w.login("1001", PASSWORD, "8001", ["21"]))["ok"]
    return w


def test_each_framing_rule(run_server):
    async def scenario(server):
        v = await victim(server.port)
        for payload, words in BAD_FRAMES:
            got = await raw(server.port, payload)
            assert len(got) == 1 and got[0]["type"] == "error", payload[:20]
            assert got[0]["error"]["code"] == "bad_frame" and words in got[0]["error"]["message"]
            assert (await v.request("ping", timeout=2))["ok"]  # others unaffected
        # a well-framed unknown type: result unknown_type, the connection stays open
        w = await Wire.connect(server.port)
        r = await w.request("frobnicate")
        assert r["error"]["code"] == "unknown_type"
        assert (await w.request("hello", protocol=1, extra_field={"ignored": True}))["ok"]
        # a partial line followed by a close is never acted on
        open_before = len(server.conns)
        r2, w2 = await asyncio.open_connection("127.0.0.1", server.port)
        await until(lambda: len(server.conns) == open_before + 1)
        w2.write(b'{"type":"hello","id":1,"protocol":1}')  # no newline
        await w2.drain()
        w2.close()
        await until(lambda: len(server.conns) == open_before)  # the server saw the close
        assert server.acd.agents["1001"].state == "busy"
        await w.close()
        await v.close()
    run_server(scenario)


frames = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.dictionaries(st.sampled_from(["type", "id", "call_id", "user", "groups", "number", "to"]),
                    st.one_of(st.none(), st.integers(), st.text(max_size=20),
                              st.lists(st.text(max_size=4), max_size=3),
                              st.sampled_from(["ready", "busy", "answer", "hangup", "dial",
                                               "transfer", "login", "monitor", "hello"])),
                    max_size=5).map(lambda d: json.dumps(d).encode()),
)


@settings(max_examples=6, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(frames, min_size=10, max_size=40))
def test_fuzzed_frames_never_hurt_the_server(run_server, payloads):
    async def scenario(server):
        v = await victim(server.port)
        before = server.acd.agents["1001"].public(str)
        for p in payloads:
            r, w = await asyncio.open_connection("127.0.0.1", server.port, limit=1 << 20)
            w.write(b'{"type":"hello","id":1,"protocol":1}\n' + p.replace(b"\n", b" ") + b"\n")
            await w.drain()
            w.close()
        assert (await v.request("ping", timeout=3))["ok"]
        assert server.acd.agents["1001"].public(str) == before  # nothing changed
        assert len(server.acd.agents) == 1 and not server.acd.calls
        await v.close()
    run_server(scenario)
