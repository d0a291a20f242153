"""TLS on the CTI link: the site's certificate, agent-ctid's context, the desk's trust.

One self-signed server certificate per site, no CA (`agent-admin cti cert`): a site runs one
agent-ctid, so a CA would add a second key to guard and nothing a desk could use; the
certificate file is itself what a desk may be given to trust (`cti_ca_file`), and its
SHA-256 fingerprint is what a desk without that file pins at its first connection (trust on
first use) and what the administrator compares with the one agent-ctid logs at start.

No Qt here: the desk's UI only shows what the client reports.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass
from pathlib import Path

CERT_NAME = "ctid-cert.pem"
KEY_NAME = "ctid-key.pem"


def fingerprint(der: bytes) -> str:
    """SHA-256 of a DER certificate as OpenSSL prints it: AB:CD:…, upper case."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def same_fingerprint(a: str, b: str) -> bool:
    """Equal ignoring case, colons and spaces (a pin typed or pasted by hand still matches)."""
    def norm(s: str) -> str:
        return "".join(ch for ch in s.upper() if ch in "0123456789ABCDEF")
    return bool(norm(a)) and norm(a) == norm(b)


def file_fingerprint(path: str | Path) -> str:
    """The fingerprint of the first certificate in a PEM file."""
    pem = Path(path).read_text(encoding="ascii")
    start = pem.index("-----BEGIN CERTIFICATE-----")
    end = pem.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
    return fingerprint(ssl.PEM_cert_to_DER_cert(pem[start:end]))


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path
    fingerprint: str


def make_certificate(out: str | Path, hosts: list[str], days: int = 3650) -> CertFiles:
    """Write a self-signed server certificate for `hosts` (names or addresses, the first
    is the subject) and its key (mode 0600) into `out`. Existing files are not replaced:
    the desks that pinned the old certificate would refuse the new one."""
    from cryptography import x509  # only agent-admin needs it, not the desk or the server
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    if not hosts:
        raise ValueError("give at least one host name or address")
    if days < 1:
        raise ValueError("--days must be at least 1")
    folder = Path(out)
    cert_path, key_path = folder / CERT_NAME, folder / KEY_NAME
    for p in (cert_path, key_path):
        if p.exists():
            raise FileExistsError(f"{p} exists; move it away first (desks that pinned it "
                                  "will refuse a new certificate until their pin is cleared)")
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    now = dt.datetime.now(dt.UTC)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (x509.CertificateBuilder()
            .subject_name(subject).issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))  # a desk's clock a little behind
            .not_valid_after(now + dt.timedelta(days=days))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            # its own trust anchor when a desk is given the file (cti_ca_file): OpenSSL
            # wants a CA flag on an anchor, and path length 0 keeps it from signing others
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         crl_sign=False, encipher_only=False,
                                         decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(ski, critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski),
                           critical=False)
            .sign(key, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    key_pem = key.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    # created 0600 from the start: never a moment when another user could read the key
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key_pem)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return CertFiles(cert_path, key_path,
                     fingerprint(cert.public_bytes(serialization.Encoding.DER)))


def server_context(cert: str | Path, key: str | Path) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(cert), str(key))
    return ctx


def client_context(ca_file: str | Path | None = None) -> ssl.SSLContext:
    """With `ca_file`: the chain and the host name are verified against it. Without: the
    handshake encrypts but verifies nothing, and the caller must check the server's
    fingerprint against its pin before it sends anything (CtiClient does)."""
    if ca_file:
        ctx = ssl.create_default_context(cafile=str(ca_file))
    else:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def desk_options(settings) -> dict:
    """CtiClient's TLS arguments from the workstation settings (agent_app.config): TLS with
    the server's certificate pinned at first use, verified against `cti_ca_file` when one
    is given, plaintext only when `cti_plaintext` says so."""
    if settings.cti_plaintext:
        return {"ssl": None}
    if settings.cti_ca_file:
        return {"ssl": client_context(settings.cti_ca_file)}
    return {"ssl": client_context(), "pinning": True, "pin": settings.cti_pin}
