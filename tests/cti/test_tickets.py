"""Resume tickets: bound to user, seat, IP and password; expiring; revocable; the key kept."""
from __future__ import annotations

import os
import stat

from agent_app.cti.tickets import KEY_FILE, Tickets, load_key

HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"


def test_a_ticket_is_good_only_for_what_it_was_issued_for(tmp_path):
    t = Tickets(load_key(tmp_path), ttl_s=60)
    ticket = t.issue("1001", "8001", "10.0.0.5", HASH, 1000.0)
    assert t.check(ticket, "1001", "8001", "10.0.0.5", HASH, 1030.0)
    assert not t.check(ticket, "1002", "8001", "10.0.0.5", HASH, 1030.0)      # user
    assert not t.check(ticket, "1001", "8002", "10.0.0.5", HASH, 1030.0)      # seat
    assert not t.check(ticket, "1001", "8001", "10.0.0.6", HASH, 1030.0)      # another desk
    assert not t.check(ticket, "1001", "8001", "10.0.0.5", HASH + "x", 1030.0)  # new password
    assert not t.check(ticket, "1001", "8001", "10.0.0.5", HASH, 1060.0)      # expired
    assert not t.check(ticket, "1001", "8001", "10.0.0.5", HASH, 900.0)       # from the future
    body, mac = ticket.split(".")
    for forged in (f"{body}.{mac[:-2]}AA", f"{body[:-2]}AA.{mac}", body, "", None, 42,
                   "a.b", "x" * 600, f"{body}.{mac}.x"):
        assert not t.check(forged, "1001", "8001", "10.0.0.5", HASH, 1030.0), forged
    other = Tickets(load_key(tmp_path / "elsewhere"))  # another server's key
    assert not other.check(ticket, "1001", "8001", "10.0.0.5", HASH, 1030.0)


def test_logout_revokes_and_revocations_are_kept_for_a_restart(tmp_path):
    t = Tickets(load_key(tmp_path), ttl_s=60)
    old = t.issue("1001", "8001", "10.0.0.5", HASH, 1000.0)
    t.revoke("1001", 1010.0)
    assert not t.check(old, "1001", "8001", "10.0.0.5", HASH, 1011.0)
    new = t.issue("1001", "8001", "10.0.0.5", HASH, 1012.0)  # a later login is fine
    assert t.check(new, "1001", "8001", "10.0.0.5", HASH, 1013.0)
    assert t.recent_revocations(1020.0) == {"1001": 1010.001}
    assert t.recent_revocations(1100.0) == {}  # older than any live ticket
    restarted = Tickets(load_key(tmp_path), ttl_s=60)
    for user, at in t.recent_revocations(1020.0).items():
        restarted.revoke(user, at)
    assert not restarted.check(old, "1001", "8001", "10.0.0.5", HASH, 1021.0)
    assert restarted.check(new, "1001", "8001", "10.0.0.5", HASH, 1021.0)


def test_the_key_is_private_and_kept_across_restarts(tmp_path):
    key = load_key(tmp_path)
    assert load_key(tmp_path) == key and len(key) == 32
    mode = stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode)
    assert mode == 0o600
    (tmp_path / KEY_FILE).write_bytes(b"short")  # damaged: replaced, old tickets void
    assert load_key(tmp_path) != key


def test_get_recording_serves_recordings_only(tmp_path):
    """The ticket key never shares the recordings folder by default, and a call record
    whose path was tampered with still cannot make the server send anything but a WAV."""
    import datetime as dt

    from agent_app.cti.recordings import RecordingStore
    store = RecordingStore(tmp_path / "rec")
    wav = store.record("C1", 0.5, dt.datetime(2026, 3, 1, 9))
    assert store.resolve(str(wav.path.relative_to(store.root))) == wav.path.resolve()
    load_key(store.root)  # even if an operator points --data at it
    for bad in (KEY_FILE, f"../rec/{KEY_FILE}", "/etc/passwd", "../x.wav"):
        assert store.resolve(bad) is None, bad
