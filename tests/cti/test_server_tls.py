"""--tls-cert/--tls-key: the link runs over TLS and the client verifies the certificate."""
from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess

import pytest

from tests.cti.conftest import PASSWORD


@pytest.fixture
def cert(tmp_path):
    if shutil.which("openssl") is None:
        pytest.fail("openssl is needed to make a test certificate (scripts/test.sh installs it)")
    key, crt = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(crt)], check=True, capture_output=True)
    return crt, key


def test_tls_link_verified(run_server, cert):
    crt, key = cert
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(crt, key)

    async def scenario(server):
        client_ctx = ssl.create_default_context(cafile=str(crt))
        r, w = await asyncio.open_connection("127.0.0.1", server.port, ssl=client_ctx)
        for msg in ({"type": "hello", "id": 1, "protocol": 1},
                    {"type": "login", "id": 2, "user": "1001", "password": PASSWORD,
                     "seat": "8001", "groups": ["21"]}):
            w.write((json.dumps(msg) + "\n").encode())
        hello, login = json.loads(await r.readline()), json.loads(await r.readline())
        assert hello["ok"] and login["ok"] and login["agent"]["user"] == "1001"
        w.close()
        # a client that does not trust the certificate is refused by its own check
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", server.port,
                                          ssl=ssl.create_default_context())
    run_server(scenario, tls=server_ctx)
