"""Resume tickets: a desk logs in again after a server restart without an argon2 hash.

150 desks re-logging at once would cost 150 argon2id verifications (~30 ms of CPU each,
~3 s on two cores), so the p99 login would be seconds. Instead every login result (and
every ping result, as a refresh) carries a ticket: an HMAC-SHA256, under a key kept in the
server's data folder, of the user, the seat, the client's IP address, a fingerprint of the
employee's password hash, and the ticket's issue and expiry times. A login that presents a
valid ticket skips the password hash; everything else about the login is checked as
always (the employee still active, role and permissions read afresh, the lock-out).

What a stolen ticket is worth: the same user at the same seat from the same IP address,
for at most `ttl_s` (4 heartbeats, 60 s by default) after its desk last pinged; logout
revokes the user's tickets (in memory), a password change voids them all (fingerprint),
and deleting the key file voids every ticket. A client that sends none is checked by its
password, so the protocol addition is backwards compatible (docs/cti-server.md).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger("agent_ctid.tickets")
KEY_FILE = "ticket.key"
KEY_BYTES = 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_key(folder: Path) -> bytes:
    """The server's ticket key, created (readable by its owner only) on first use."""
    path = Path(folder) / KEY_FILE
    try:
        key = path.read_bytes()
        if len(key) == KEY_BYTES:
            return key
        log.warning("%s has %d bytes, not %d: a new key (old tickets are void)",
                    path, len(key), KEY_BYTES)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, key)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return key


class Tickets:
    def __init__(self, key: bytes, ttl_s: float = 60.0) -> None:
        self._key = key
        self.ttl_s = ttl_s
        self._revoked: dict[str, float] = {}   # user → tickets issued before this are void

    @staticmethod
    def fingerprint(password_hash: str) -> str:
        return hashlib.sha256(password_hash.encode("utf-8")).hexdigest()[:32]

    def _mac(self, user: str, seat: str, ip: str, fingerprint: str, issued: int,
             expires: int) -> bytes:
        msg = json.dumps(["agent-ctid ticket 1", user, seat, ip, fingerprint, issued, expires],
                         ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return hmac.new(self._key, msg, hashlib.sha256).digest()

    def issue(self, user: str, seat: str, ip: str, password_hash: str, now: float) -> str:
        # milliseconds: a ticket issued in the same second as a logout must still be void
        issued = int(now * 1000)
        expires = int((now + self.ttl_s) * 1000)
        body = json.dumps({"u": user, "s": seat, "i": issued, "e": expires},
                          ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        mac = self._mac(user, seat, ip, self.fingerprint(password_hash), issued, expires)
        return f"{_b64(body)}.{_b64(mac)}"

    def check(self, ticket: object, user: str, seat: str, ip: str, password_hash: str,
              now: float) -> bool:
        """True only for a ticket this key issued for exactly this user, seat, IP address and
        password, not expired and not revoked. Anything malformed is simply False."""
        if not isinstance(ticket, str) or len(ticket) > 512 or ticket.count(".") != 1:
            return False
        try:
            body_text, mac_text = ticket.split(".")
            body = json.loads(_unb64(body_text))
            issued, expires = body["i"], body["e"]
            if body["u"] != user or body["s"] != seat or not all(
                    isinstance(v, int) and not isinstance(v, bool) for v in (issued, expires)):
                return False
            mac = _unb64(mac_text)
        except (ValueError, KeyError, TypeError):
            return False
        good = self._mac(user, seat, ip, self.fingerprint(password_hash), issued, expires)
        if not hmac.compare_digest(mac, good):
            return False
        if not issued <= now * 1000 + 5_000 or now * 1000 >= expires:
            return False  # (5 s of clock step allowed for the issue time)
        return issued >= self._revoked.get(user, float("-inf"))

    def revoke(self, user: str, now: float) -> None:
        """Logout: the user's tickets issued until now are void. The server journals
        logouts and recent revocations, so they outlive a restart too."""
        self._revoked[user] = max(self._revoked.get(user, 0), int(now * 1000) + 1)

    def recent_revocations(self, now: float) -> dict[str, float]:
        """Revocations a ticket could still be affected by (younger than the TTL)."""
        horizon = (now - self.ttl_s) * 1000
        return {u: at / 1000 for u, at in self._revoked.items() if at >= horizon}
