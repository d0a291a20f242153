"""Slow or dead clients never delay others: a full send queue drops that client, and a
connection silent for 3 × heartbeat is dropped."""
from __future__ import annotations

import asyncio
import socket
import time

from tests.cti.clientkit import until
from tests.cti.conftest import PASSWORD
from tests.cti.wire import Wire


def test_a_client_that_stops_reading_is_dropped_not_waited_for(run_server):
    async def scenario(server):
        # the slow agent: a tiny receive buffer, and it never reads after logging in
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.setblocking(False)
        r, w = await asyncio.open_connection(sock=sock)
        for msg in (b'{"type":"hello","id":1,"protocol":1}\n',
                    b'{"type":"login","id":2,"user":"1001","password":"%s","seat":"8001",'
                    b'"groups":["21"]}\n' % PASSWORD.encode()):
            w.write(msg)
        await until(lambda: "1001" in server.by_user)
        other = await Wire.connect(server.port)
        assert (await other.login("1002", PASSWORD, "8002", ["21"]))["ok"]
        boss = await Wire.connect(server.port)
        assert (await boss.login("0002", PASSWORD, "8099", ["11"]))["ok"]
        # ~18 MB of broadcasts: more than the kernel's socket buffers and the send queue
        text = "广播通知" * 500
        t0 = time.perf_counter()
        for _ in range(3000):
            assert (await boss.request("broadcast", text=text))["ok"]
            if "1001" not in server.by_user:
                break
        elapsed = time.perf_counter() - t0
        await until(lambda: "1001" not in server.by_user)  # dropped: its queue filled
        assert (await other.request("ping", timeout=2))["ok"]  # the others never waited
        assert elapsed < 10
        for c in (other, boss):
            await c.close()
        w.transport.abort()
    run_server(scenario, send_queue=20)


def test_silent_connection_dropped_after_three_heartbeats(run_server):
    async def scenario(server):
        quiet = await Wire.connect(server.port)
        hello = await quiet.request("hello", protocol=1)
        assert hello["heartbeat_s"] == 0.2
        await asyncio.wait_for(quiet.closed.wait(), 3)  # 3 × 0.2 s of silence
        await quiet.close()
        chatty = await Wire.connect(server.port)
        await chatty.request("hello", protocol=1)
        for _ in range(6):
            await asyncio.sleep(0.15)
            assert (await chatty.request("ping"))["ok"]  # pinging keeps it alive
        await chatty.close()
    run_server(scenario, heartbeat_s=0.2)
