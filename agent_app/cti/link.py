"""One CTI connection seen from the desk: framing, and results matched to requests by id.

CtiClient (client.py) supervises these: it makes a Link per connection and throws it away
when the connection ends. A Link never reconnects and keeps no agent state.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from agent_app.cti import protocol as P

log = logging.getLogger("agent_app.cti.client")

READ_LIMIT = P.MAX_LINE + 8 * 1024     # a longer line is garbage; parse_frame checks the rest
MAX_SEND_BUFFER = 1 << 20              # unsent bytes beyond this: the server is not reading
CLOSE_WAIT_S = 0.3                     # how long ending a task may take before we move on


class CtiError(Exception):
    """A refused or failed request: `code` is a protocol error code or a client one
    (not_connected, disconnected, timeout, bad_checksum, bad_frame)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code, self.message = code, message


class Dropped(Exception):
    """Ends a connection: `code` becomes the detail of the "disconnected" status."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code


def _close_abandoned(task: asyncio.Future) -> None:
    """A connect we stopped waiting for may still have opened a socket: close it, so no
    StreamWriter is left to the garbage collector (ResourceWarning, a leaked socket)."""
    if task.cancelled() or task.exception() is not None:
        return
    result = task.result()
    for part in result if isinstance(result, tuple) else (result,):
        if isinstance(part, asyncio.StreamWriter):
            part.close()


async def bounded(aw, timeout: float):
    """Await `aw` for at most `timeout` s; on time-out cancel it and return None.
    (asyncio.wait never swallows the caller's own cancellation, unlike 3.11's wait_for.)"""
    task = asyncio.ensure_future(aw)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:  # the caller was stopped while we waited
        task.cancel()
        task.add_done_callback(_close_abandoned)
        raise
    if not done:
        task.cancel()
        task.add_done_callback(_close_abandoned)
        await asyncio.wait({task}, timeout=CLOSE_WAIT_S)
        return None
    return task.result()


def refusal(msg: dict) -> CtiError:
    err = msg.get("error") if isinstance(msg.get("error"), dict) else {}
    return CtiError(str(err.get("code") or "internal"), str(err.get("message") or ""))


class Link:
    """Reads lines in its own task (`reading`), which ends by raising Dropped."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 on_event: Callable[[dict], None]) -> None:
        self.writer: asyncio.StreamWriter | None = writer
        self.on_event = on_event
        # id -> Future (one result), or Queue (a stream of results sharing the id), or
        # (Future, hook): the hook sees an ok result inside the reader, before any later line
        self.pending: dict[int, Any] = {}
        self.next_id = 0
        self.said: tuple[str, str] | None = None  # the server's error frame before it closed
        self.reading = asyncio.create_task(self._read(reader), name="cti-reader")

    @property
    def alive(self) -> bool:
        return self.writer is not None and not self.writer.is_closing()

    def send(self, verb: str, args: dict) -> int:
        w = self.writer
        if w is None or w.is_closing():
            raise CtiError("disconnected", "the CTI link is down")
        if w.transport.get_write_buffer_size() > MAX_SEND_BUFFER:
            # the heartbeat will notice and drop the link; refuse meanwhile
            raise CtiError("disconnected", "the CTI server is not reading")
        self.next_id += 1
        w.write(P.encode(P.request(verb, self.next_id, **args)))
        return self.next_id

    async def call(self, verb: str, args: dict, timeout: float,
                   hook: Callable[[dict], None] | None = None) -> dict:
        """One request → its result data; CtiError on refusal, time-out or a dropped link."""
        future = asyncio.get_running_loop().create_future()
        rid = self.send(verb, args)
        self.pending[rid] = (future, hook) if hook else future
        try:
            done, _ = await asyncio.wait({future}, timeout=timeout)
            if not done:
                raise CtiError("timeout", f"no answer to {verb} in {timeout:g} s")
            msg = future.result()
        finally:
            self.pending.pop(rid, None)
        if not msg.get("ok"):
            raise refusal(msg)
        return {k: v for k, v in msg.items() if k not in ("type", "id", "ok")}

    def stream(self, verb: str, args: dict) -> tuple[int, asyncio.Queue]:
        """A request answered by several results with its id (get_recording). The queue gets
        each result, or a CtiError when the link drops; the caller ends it with unstream()."""
        queue: asyncio.Queue = asyncio.Queue()
        rid = self.send(verb, args)
        self.pending[rid] = queue
        return rid, queue

    def unstream(self, rid: int) -> None:
        self.pending.pop(rid, None)

    def close(self, why: str) -> None:
        """Abort the socket and fail everything waiting. Abort, not close: a dead peer must not
        keep a TLS goodbye waiting, and anything unsent fails as "disconnected" anyway."""
        w, self.writer = self.writer, None
        if w is not None:
            w.transport.abort()
        pending, self.pending = self.pending, {}
        for target in pending.values():
            if isinstance(target, asyncio.Queue):
                target.put_nowait(CtiError("disconnected", why))
                continue
            future = target[0] if isinstance(target, tuple) else target
            if not future.done():
                future.set_exception(CtiError("disconnected", why))
        if not self.reading.done():
            self.reading.cancel()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                if self.said:  # busy_server, login_timeout, bad_frame: the reason it closed
                    raise Dropped(*self.said) from None
                raise Dropped("connection_lost", "the server closed the link") from None
            except asyncio.LimitOverrunError:
                raise Dropped("bad_frame", "a line from the server is too long") from None
            except (ConnectionError, OSError) as exc:
                if self.said:
                    raise Dropped(*self.said) from None
                raise Dropped("connection_lost", str(exc)) from None
            try:
                msg = P.parse_frame(line.rstrip(b"\r\n"))
            except P.FrameError as exc:
                raise Dropped("bad_frame", f"from the server: {exc}") from None
            kind = msg["type"]
            if kind == "result":
                self._result(msg)
            elif kind == "event":
                self.on_event(msg)
            else:  # "error" (why the server closes next: bad_frame, busy_server …) or a later type
                log.warning("CTI server says: %s", msg)
                err = msg.get("error")
                if kind == "error" and isinstance(err, dict) and isinstance(err.get("code"), str):
                    self.said = (err["code"][:40], str(err.get("message") or "")[:200])

    def _result(self, msg: dict) -> None:
        rid = msg.get("id")
        target = self.pending.get(rid) if isinstance(rid, int) else None
        if target is None:
            log.debug("CTI result for no waiting request (late after a time-out?): %s", rid)
            return
        if isinstance(target, asyncio.Queue):
            target.put_nowait(msg)
            return
        self.pending.pop(rid, None)
        future, hook = target if isinstance(target, tuple) else (target, None)
        if hook is not None and msg.get("ok"):
            try:
                hook(msg)
            except Exception:
                log.exception("CTI result hook failed")
        if not future.done():
            future.set_result(msg)
