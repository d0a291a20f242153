"""agent-ctid's write-ahead journal: what the server is about to tell clients, on disk first.

Every call record change and agent state is appended here before the event that announces
it is queued for any client, so a kill at any moment loses nothing a client was told
(docs/cti-server.md, "Crash safety"). An append is one os.write on the event loop (a few
µs); the page cache outlives a killed process. With fsync on, one thread runs fdatasync
over whatever has been appended so far (group commit) and a connection's sender holds a
message back until the journal is synced up to the point where the message was queued,
so a power cut loses nothing told either, for ~0.3-2 ms of event latency.

Files: `<folder>/NNNNNN.jsonl` segments of JSON lines, each with "k" (kind) and "t" (epoch
seconds). A segment is closed at `segment_bytes` and deleted once the writer thread has
applied it to the database; each segment starts with the entries `header()` gives (the
server's life and a checkpoint of its agents), so the newest segment alone restores them.
"""
from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger("agent_ctid.journal")
ERROR_LOG_EVERY_S = 60.0


class Journal:
    def __init__(self, folder: Path, *, fsync: bool = True,
                 segment_bytes: int = 1 << 20) -> None:
        self.folder = Path(folder)
        self.fsync = fsync
        self.segment_bytes = segment_bytes
        self.appended = 0          # lines appended in this life (positions start at 1)
        self.synced = 0            # lines known durable (event loop's view)
        self.segment = 0           # number of the segment being written
        self.size = 0              # its size in bytes
        self.syncs = 0             # fdatasync calls, and the slowest one (stats)
        self.sync_max_s = 0.0
        self._fd: int | None = None
        self._lock = threading.Lock()          # appends vs the sync thread's snapshot
        self._retired: list[int] = []          # closed segments' fds, synced then closed
        self._want = threading.Event()
        self._closing = False
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._tie = itertools.count()
        self._last_error = 0.0

    # -- reading (start-up, before open) -------------------------------------------------------
    def segments(self) -> list[Path]:
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.glob("*.jsonl") if p.stem.isdigit())

    def load(self) -> list[dict[str, Any]]:
        """Every entry of every segment, oldest first. A line that is not a JSON object with
        a string "k" (a write torn by a kill or a power cut) is skipped with a log line."""
        out: list[dict[str, Any]] = []
        for path in self.segments():
            out.extend(read_lines(path))
        return out

    # -- writing (event loop thread) -----------------------------------------------------------
    def open(self, loop: asyncio.AbstractEventLoop | None,
             header: Callable[[], list[dict[str, Any]]]) -> None:
        """Start a new segment (after any left by an earlier life) and the sync thread."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._loop = loop
        self._header = header
        existing = self.segments()
        self.segment = int(existing[-1].stem) if existing else 0
        if self.fsync:
            self._thread = threading.Thread(target=self._sync_loop, name="ctid-journal-sync",
                                            daemon=True)
            self._thread.start()
        self._new_segment()

    def append(self, kind: str, **data: Any) -> int:
        """Append one entry; returns its position (wait_synced(pos) before telling anyone
        when fsync is on). A failing disk is logged and does not stop the server."""
        line = json.dumps({"k": kind, "t": round(time.time(), 3), **data},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        with self._lock:
            self._write(line)
            self.appended += 1
            pos = self.appended
        if self.fsync and self._thread is not None:
            self._want.set()
        else:
            self.synced = pos
        return pos

    @property
    def is_open(self) -> bool:
        return self._fd is not None

    @property
    def full(self) -> bool:
        return self.size >= self.segment_bytes

    def rotate(self) -> int:
        """Close the current segment and start the next; returns the closed one's number."""
        closed = self.segment
        self._new_segment()
        return closed

    def remove(self, numbers: Iterable[int]) -> None:
        """Delete closed segments whose every entry is in the database (writer thread)."""
        for n in numbers:
            if n != self.segment:
                (self.folder / f"{n:06d}.jsonl").unlink(missing_ok=True)

    def remove_before_current(self) -> None:
        """After start-up recovery applied everything earlier lives left."""
        self.remove(int(p.stem) for p in self.segments() if int(p.stem) < self.segment)

    async def wait_synced(self, pos: int) -> None:
        if pos <= self.synced:
            return
        fut = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (pos, next(self._tie), fut))
        await fut

    def close(self) -> None:
        """Sync what is left and stop (any thread; the event loop may be gone)."""
        self._closing = True
        if self._thread is not None:
            self._want.set()
            self._thread.join(timeout=10)
            self._thread = None
        with self._lock:
            fds, self._retired = self._retired + [self._fd], []
            self._fd = None
        for fd in fds:
            if fd is not None:
                try:
                    if self.fsync:
                        os.fdatasync(fd)
                finally:
                    os.close(fd)
        # senders still waiting (none, when the server stopped first) are let go on their loop
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._synced_to, self.appended)
            except RuntimeError:
                pass

    # -- internals -----------------------------------------------------------------------------
    def _new_segment(self) -> None:
        self.segment += 1
        path = self.folder / f"{self.segment:06d}.jsonl"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with self._lock:
            if self._fd is not None:
                self._retired.append(self._fd)
            self._fd, self.size = fd, 0
        if self.fsync:
            sync_dir(self.folder)  # the new name survives a power cut too
        for entry in self._header():
            kind = entry.pop("k")
            self.append(kind, **entry)
        if self._thread is None and self._retired:  # no sync thread: close at once
            with self._lock:
                retired, self._retired = self._retired, []
            for old in retired:
                os.close(old)

    def _write(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                n = os.write(self._fd, view)  # type: ignore[arg-type]
                view = view[n:]
            self.size += len(data)
        except (OSError, TypeError) as exc:
            now = time.monotonic()
            if now - self._last_error > ERROR_LOG_EVERY_S:
                self._last_error = now
                log.error("journal write failed (%s): events go out unjournalled until "
                          "the disk is fixed", exc)

    def _sync_loop(self) -> None:
        while True:
            self._want.wait()
            self._want.clear()
            with self._lock:
                target, fd = self.appended, self._fd
                retired, self._retired = self._retired, []
            t0 = time.perf_counter()
            try:
                for old in retired:
                    os.fdatasync(old)
                    os.close(old)
                if fd is not None:
                    os.fdatasync(fd)
            except OSError as exc:
                now = time.monotonic()
                if now - self._last_error > ERROR_LOG_EVERY_S:
                    self._last_error = now
                    log.error("journal fsync failed: %s", exc)
            took = time.perf_counter() - t0
            self.syncs += 1
            self.sync_max_s = max(self.sync_max_s, took)
            loop = self._loop
            if loop is not None and not loop.is_closed():
                try:
                    loop.call_soon_threadsafe(self._synced_to, target)
                except RuntimeError:  # the loop closed meanwhile
                    pass
            if self._closing:
                return

    def _synced_to(self, pos: int) -> None:
        self.synced = max(self.synced, pos)
        self._release(self.synced)

    def _release(self, pos: int) -> None:
        while self._waiters and self._waiters[0][0] <= pos:
            _, _, fut = heapq.heappop(self._waiters)
            if not fut.done():
                fut.set_result(None)


def read_lines(path: Path) -> list[dict[str, Any]]:
    """One segment's entries; bad lines (torn writes) skipped with a log line."""
    out: list[dict[str, Any]] = []
    try:
        data = path.read_bytes()
    except OSError as exc:
        log.error("journal segment %s unreadable, skipped: %s", path.name, exc)
        return out
    lines = data.split(b"\n")
    for no, raw in enumerate(lines, 1):
        if not raw.strip(b"\x00 \r\t"):
            continue  # empty, or the zeros a power cut can leave at the end of a file
        try:
            entry = json.loads(raw.decode("utf-8"))
            if not isinstance(entry, dict) or not isinstance(entry.get("k"), str):
                raise ValueError("not an entry")
        except (ValueError, UnicodeDecodeError) as exc:
            last = no == len(lines) or (no == len(lines) - 1 and not lines[-1])
            log.warning("journal %s line %d skipped (%s%s): %r", path.name, no,
                        "torn last write; " if last else "", exc, raw[:80])
            continue
        out.append(entry)
    return out


def sync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; NTFS journals the name itself
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
