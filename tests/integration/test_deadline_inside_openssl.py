"""The run's deadline holds inside OpenSSL. A server that answers the ClientHello with an endless
stream of empty HelloRequest messages keeps one SSL_connect() call looping in OpenSSL (a client
ignores HelloRequest during a handshake and reads the next message) for as long as bytes arrive:
only a BIO that checks the deadline and counts what it reads stops it. Every case must end within
-t plus 0.5 s with a well-formed CRITICAL, never a hang, never an UNKNOWN or a crash."""

import struct
import time

import pytest

from harness import ScriptedServer, assert_plugin_shape, run_plugin

LIMIT = 2           # -t
MARGIN = 0.5        # a run ends within the deadline plus this, whatever the server does
HANG = LIMIT + 8    # subprocess timeout: a hang fails the test instead of blocking it

# One empty HelloRequest (handshake type 0, length 0) in its own TLS 1.2 handshake record.
HELLO_REQUEST_RECORD = bytes([22, 3, 3, 0, 4, 0, 0, 0, 0])
# 16 KiB worth of HelloRequest messages packed into one record (the largest plaintext record).
PACKED_RECORD = bytes([22, 3, 3]) + struct.pack("!H", 16384) + bytes(16384)


def tls12_server_hello():
    """A TLS 1.2 ServerHello choosing ECDHE-RSA-AES128-GCM-SHA256 (which the plugins offer): the
    client then waits for the Certificate and ignores every HelloRequest in the same way."""
    body = (b"\x03\x03" + bytes(range(1, 33))   # version, random (no TLS 1.3 downgrade sentinel)
            + b"\x00"                         # no session id
            + b"\xc0\x2f"                     # TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
            + b"\x00")                        # no compression; no extensions
    message = b"\x02" + struct.pack("!I", len(body))[1:] + body
    return bytes([22, 3, 3]) + struct.pack("!H", len(message)) + message


def read_client_hello(connection):
    """Reads one whole TLS record (the ClientHello)."""
    data = b""
    while len(data) < 5 or len(data) < 5 + struct.unpack("!H", data[3:5])[0]:
        chunk = connection.recv(65536)
        if not chunk:
            raise OSError("client closed before its ClientHello")
        data += chunk
    return data


def read_line(connection):
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(1)
        if not chunk:
            raise OSError("client closed during the dialog")
        data += chunk
    return data


class Flood:
    """What the server sends after the ClientHello: an optional ServerHello, then HelloRequest
    records until the client goes away, or (rate) at most `rate` bytes per second."""

    def __init__(self, server_hello=False, record=HELLO_REQUEST_RECORD, rate=None):
        self.server_hello = server_hello
        self.record = record
        self.rate = rate
        self.sent = 0

    def __call__(self, connection):
        read_client_hello(connection)
        if self.server_hello:
            connection.sendall(tls12_server_hello())
        chunk = self.record * max(1, 65536 // len(self.record))
        started = time.monotonic()
        while time.monotonic() - started < 30:
            if self.rate is not None:
                piece = self.record * max(1, self.rate // 100 // len(self.record))
                connection.sendall(piece)
                self.sent += len(piece)
                time.sleep(0.01)
            else:
                connection.sendall(chunk)
                self.sent += len(chunk)


def smtp_then(flood):
    """An SMTP server that offers STARTTLS, gives the go-ahead, and then floods."""
    def handler(connection):
        connection.sendall(b"220 mx.example ESMTP\r\n")
        read_line(connection)                                   # EHLO
        connection.sendall(b"250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        read_line(connection)                                   # STARTTLS
        connection.sendall(b"220 2.0.0 Ready to start TLS\r\n")
        flood(connection)
    return handler


def run(plugin, port, *args, limit=str(LIMIT)):
    return run_plugin(plugin, "-H", "localhost", "-I", "127.0.0.1", "-p", port, "-t", limit, *args, timeout=HANG)


PLUGINS = [
    # plugin, extra options, output prefix, whether an SMTP dialog comes first
    pytest.param("check_tls_cert", (), "TLS_CERT", False, id="check_tls_cert"),
    pytest.param("check_tls_cert", ("--starttls", "smtp"), "TLS_CERT", True, id="check_tls_cert-starttls"),
    pytest.param("check_starttls", ("--starttls", "smtp"), "STARTTLS", True, id="check_starttls"),
]

FLOODS = [
    pytest.param({}, id="hello-requests"),
    pytest.param({"server_hello": True}, id="server-hello-then-hello-requests"),
    pytest.param({"record": PACKED_RECORD}, id="packed-hello-requests"),
]


@pytest.mark.parametrize("flood_kind", FLOODS)
@pytest.mark.parametrize("plugin, extra, prefix, dialog", PLUGINS)
def test_hello_request_flood_ends_within_the_limit_with_a_clear_critical(plugin, extra, prefix, dialog, flood_kind):
    flood = Flood(**flood_kind)
    with ScriptedServer(smtp_then(flood) if dialog else flood) as server:
        result = run(plugin, server.port, *extra)
    assert_plugin_shape(result, prefix)
    assert result.returncode == 2, result.stdout
    assert result.first_line.startswith(f"{prefix} CRITICAL - "), result.stdout
    assert result.elapsed < LIMIT + MARGIN, (result.elapsed, result.stdout)
    assert "TLS handshake with 127.0.0.1:" in result.summary, result.stdout
    # The cause is named: far more handshake data than any real server sends.
    assert "exceeded 256 KiB" in result.summary, result.stdout
    if dialog:
        assert "smtp after STARTTLS" in result.summary or prefix == "STARTTLS", result.stdout


@pytest.mark.parametrize("plugin, extra, prefix, dialog", PLUGINS)
def test_slow_hello_request_flood_ends_at_the_deadline_with_the_timeout_state(plugin, extra, prefix, dialog):
    # 20 KB/s: far below the handshake limit in 2 s, so it is the deadline that ends the run, and
    # the -t state that is reported.
    flood = Flood(server_hello=True, rate=20000)
    with ScriptedServer(smtp_then(flood) if dialog else flood) as server:
        result = run(plugin, server.port, *extra, limit=f"{LIMIT}:unknown")
    assert_plugin_shape(result, prefix)
    assert result.status == "UNKNOWN", result.stdout
    assert "timed out after the server sent " in result.summary, result.stdout
    assert f"without finishing it (limit {LIMIT} s)" in result.summary, result.stdout
    assert LIMIT - 0.1 < result.elapsed < LIMIT + MARGIN, (result.elapsed, result.stdout)
