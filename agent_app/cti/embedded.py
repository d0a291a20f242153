"""The built-in CTI server for the desktop demo: agent-ctid on its own thread and loop.

The demo needs no second program: `agent-app --demo` starts this, logs the demo agent in
over a real socket, and a call from a demo customer arrives every so often (and on demand
from the toolbar), so a new user sees a screen-pop within a minute.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from agent_app.cti.server import CtiServer, ServerOptions
from db.engine import Database
from db.models import Customer, DialedNumber

log = logging.getLogger(__name__)


@dataclass
class EmbeddedServer:
    server: CtiServer
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    host: str
    port: int
    seat: str = "8001"
    plaintext: bool = True     # the desk must be told: it expects TLS otherwise
    callers: list[str] = field(default_factory=list)
    dialed: list[tuple[str, str]] = field(default_factory=list)

    def place_demo_call(self) -> None:
        """A call from a random demo customer (now and then an unknown number)."""
        rng = random.Random()
        caller = (rng.choice(self.callers) if self.callers and rng.random() < 0.8
                  else f"1{rng.choice('3589')}{rng.randrange(10**9):09d}")
        digits, group = rng.choice(self.dialed) if self.dialed else ("4006000000", "21")
        self.loop.call_soon_threadsafe(self._inbound, caller, digits, group)

    def _inbound(self, caller: str, digits: str, group: str) -> None:
        try:
            # the simulated caller gives up after 40 s unringing, talks 20-90 s if answered
            self.server.inbound(caller, digits, group, hangup_after_s=40,
                                talk_s=random.uniform(20, 90))
        except Exception as exc:  # noqa: BLE001 - a demo call must never break the demo
            log.warning("demo call not placed: %s", exc)

    def stop(self) -> None:
        fut = asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop)
        try:
            fut.result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)


def start_embedded_server(db_url: str, host: str = "127.0.0.1", port: int = 0,
                          recordings_dir: Path | None = None,
                          demo_calls_every_s: float | None = 45.0) -> EmbeddedServer:
    from agent_app.config import home

    # plaintext, and so loopback only: the demo's desk is in this very process
    if not ipaddress.ip_address(host).is_loopback:
        raise ValueError(f"the built-in CTI server runs without TLS: loopback only, not {host}")
    rec = Path(recordings_dir) if recordings_dir else home() / "demo-recordings"
    db = Database.open(db_url)
    with db.reading() as s:
        callers = list(s.scalars(select(Customer.mobile).where(Customer.mobile != "")
                                 .order_by(Customer.id).limit(50)))
        dialed = [(d, g) for d, g in s.execute(select(DialedNumber.digits,
                                                      DialedNumber.group_number))
                  if g == "21"]
    db.dispose()
    loop = asyncio.new_event_loop()
    server = CtiServer(db_url, ServerOptions(host=host, port=port, recordings=rec,
                                             outcome_delay=(1.0, 3.0)))
    started = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start())
        except BaseException as exc:  # noqa: BLE001 - reported to the caller
            errors.append(exc)
            started.set()
            return
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="embedded-ctid", daemon=True)
    thread.start()
    started.wait(15)
    if errors:
        raise errors[0]
    handle = EmbeddedServer(server, loop, thread, host, server.port, seat="8001",
                            callers=callers, dialed=dialed)
    if demo_calls_every_s:
        def tick() -> None:
            handle.place_demo_call()
            loop.call_later(demo_calls_every_s, tick)
        loop.call_soon_threadsafe(loop.call_later, min(20.0, demo_calls_every_s), tick)
    log.info("embedded CTI server on %s:%s", host, server.port)
    return handle
