"""Call recordings: one WAV per answered call, stored by date, fetched in chunks.

The simulated switch has no audio path, so each recording is synthesised: the length of
the real call, 8 kHz 16-bit PCM mono (what a PBX records), with alternating "voices"
(two tones with syllable-like envelopes) so playback is audibly a conversation. A real
PBX backend hands over its own file instead; everything after that is the same.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import struct
import time
import wave
from dataclasses import dataclass
from pathlib import Path

from agent_app.cti.journal import sync_dir

RATE = 8000
RETENTION_DAYS = 90            # default; a site may set more
OUTBOUND_MIN_DAYS = 30         # 2020 MIIT rules: outbound recordings kept ≥ 30 days


@dataclass(frozen=True)
class Recording:
    recording_id: str
    path: Path
    bytes: int
    sha256: str
    seconds: float


_PATTERNS: dict[int, bytes] = {}


def _pattern(turn_tenths: int) -> bytes:
    """Two speaking turns (one each voice) of PCM, computed once per turn length."""
    cached = _PATTERNS.get(turn_tenths)
    if cached is not None:
        return cached
    turn = turn_tenths / 10
    pack = struct.Struct("<h").pack
    out = bytearray()
    for i in range(int(2 * turn * RATE)):
        t = i / RATE
        speaker = int(t / turn) % 2
        freq = (180.0 if speaker else 120.0) + 15 * math.sin(2 * math.pi * 0.7 * t)
        syllable = max(0.0, math.sin(2 * math.pi * 3.5 * t))  # words and gaps
        pause = 0.0 if (t % turn) > turn - 0.25 else 1.0      # a breath between turns
        out += pack(int(0.25 * syllable * pause * math.sin(2 * math.pi * freq * t) * 32767))
    _PATTERNS[turn_tenths] = bytes(out)
    return _PATTERNS[turn_tenths]


def synthesize(path: Path, seconds: float, seed: int = 0, fsync: bool = False) -> None:
    """Write a WAV of `seconds` (at least 0.5 s) that sounds like two people talking.

    The conversation pattern is computed once and tiled, so a recording costs a memory
    copy, not a Python loop per sample (which would hold the GIL and delay routing)."""
    seconds = max(0.5, min(seconds, 4 * 3600))
    n_bytes = int(seconds * RATE) * 2
    pattern = _pattern(16 + (seed % 5) * 2)
    frames = (pattern * (n_bytes // len(pattern) + 1))[:n_bytes]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(frames)
    if fsync:  # on disk before its recording_ready is told (the journal's promise)
        with tmp.open("rb+") as f:
            os.fsync(f.fileno())
    tmp.replace(path)
    if fsync:
        sync_dir(path.parent)


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 16), b""):
            h.update(block)
    return h.hexdigest()


class RecordingStore:
    def __init__(self, root: Path, retention_days: int = RETENTION_DAYS) -> None:
        self.root = Path(root)
        self.retention_days = max(retention_days, OUTBOUND_MIN_DAYS)

    def path_for(self, call_id: str, when: dt.datetime) -> Path:
        return self.root / when.strftime("%Y/%m/%d") / f"{call_id}.wav"

    def record(self, call_id: str, talk_s: float, when: dt.datetime,
               fsync: bool = False) -> Recording:
        """Blocking (run it in an executor): synthesise and hash the call's recording."""
        path = self.path_for(call_id, when)
        synthesize(path, talk_s, seed=sum(call_id.encode()), fsync=fsync)
        return Recording(call_id, path, path.stat().st_size, sha256_of(path), talk_s)

    def resolve(self, stored_path: str) -> Path | None:
        """A path from the call record, refused if it points outside the store or is not a
        recording (only .wav files are ever served, whatever else shares the folder)."""
        p = (self.root / stored_path).resolve() if not Path(stored_path).is_absolute() \
            else Path(stored_path).resolve()
        root = self.root.resolve()
        if root not in p.parents or p.suffix.lower() != ".wav" or not p.is_file():
            return None
        return p

    def purge(self, now: float | None = None) -> int:
        """Delete recordings older than the retention; returns how many went."""
        cutoff = (now or time.time()) - self.retention_days * 86400
        gone = 0
        for p in self.root.rglob("*.wav"):
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                gone += 1
        return gone
