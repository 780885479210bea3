"""Hostile peers on 127.0.0.1: scripted servers that stall, drip, flood, inject, lie in BER, XML and
MySQL framing, or speak real TLS (Python's ssl over memory BIOs) through a dripping pipe.

Named hostile_servers, not servers: tests/integration is on sys.path too, and its servers.py starts
the real daemons.

A Peer runs `script(wire)` for every connection it accepts, each in a daemon thread. Nothing a
script does outlives its test: every socket has a timeout bounded by the peer's lifetime, floods and
drips stop when the client goes away, when the lifetime is over or when the test closes the peer,
and close() shuts every open connection down, which wakes any recv() or sendall() at once. A script
that fails for a reason other than the client going away (a bug in the script, not in the plugin)
makes the `with` block raise, so a broken setup never passes for a plugin verdict."""

import random
import socket
import ssl
import struct
import threading
import time
import traceback

from harness import ScriptedServer

# No script runs longer than this, whatever the plugin does (the slowest case ends at -t + 5 s).
LIFETIME = 15.0


class ClientGone(Exception):
    """The client closed or reset the connection, or the peer is closing: the script just ends."""


class Wire:
    """One accepted connection, with the blocking helpers scripts are written in."""

    def __init__(self, connection, peer):
        self.connection = connection
        self.peer = peer
        self.ends = time.monotonic() + peer.lifetime
        self.buffer = b""
        self.received = 0  # bytes read from the client over the connection's life
        self.interval = None  # seconds between the bytes of a drip (slow_down)
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    # -- time -------------------------------------------------------------------------------------

    def left(self):
        left = self.ends - time.monotonic()
        if left <= 0 or self.peer.closing.is_set():
            raise ClientGone("lifetime over")
        return left

    def pause(self, seconds):
        """Sleeps, but not past the lifetime nor past close()."""
        if self.peer.closing.wait(min(seconds, self.left())):
            raise ClientGone("closing")

    # -- reading ----------------------------------------------------------------------------------

    def _fill(self):
        self.connection.settimeout(self.left())
        try:
            chunk = self.connection.recv(65536)
        except socket.timeout:
            raise ClientGone("lifetime over") from None
        except OSError as error:
            raise ClientGone(str(error)) from None
        if not chunk:
            raise ClientGone("client closed")
        self.buffer += chunk
        self.received += len(chunk)

    def recv_some(self):
        """Whatever is buffered, or else what one recv() brings."""
        if not self.buffer:
            self._fill()
        data, self.buffer = self.buffer, b""
        return data

    def read_exact(self, count):
        while len(self.buffer) < count:
            self._fill()
        data, self.buffer = self.buffer[:count], self.buffer[count:]
        return data

    def read_line(self, limit=65536):
        """One line from the client, terminator included."""
        while b"\n" not in self.buffer:
            if len(self.buffer) > limit:
                raise ClientGone("client line too long")
            self._fill()
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def read_until(self, marker, limit=65536):
        while marker not in self.buffer:
            if len(self.buffer) > limit:
                raise ClientGone("marker never came")
            self._fill()
        head, _, self.buffer = self.buffer.partition(marker)
        return head + marker

    def read_record(self):
        """One TLS record (type, version, fragment), or an SSLv2 record as type 'sslv2'."""
        head = self.read_exact(2)
        if head[0] & 0x80:
            return "sslv2", 0x0002, self.read_exact(((head[0] & 0x7F) << 8) | head[1])
        head += self.read_exact(3)
        content_type, version, length = struct.unpack("!BHH", head)
        return content_type, version, self.read_exact(length)

    def hold(self):
        """Reads and discards until the client leaves (or the lifetime ends)."""
        while True:
            self.buffer = b""
            self._fill()

    # -- writing ----------------------------------------------------------------------------------

    def _send_all(self, data):
        self.connection.settimeout(self.left())
        try:
            self.connection.sendall(data)
        except (OSError, socket.timeout) as error:
            raise ClientGone(str(error)) from None

    def send(self, data):
        """sendall(), or a drip once slow_down() was called."""
        if self.interval is None:
            self._send_all(data)
        else:
            self.drip(data, self.interval)

    def slow_down(self, interval):
        """From now on every send() drips: one byte per segment, `interval` seconds apart."""
        self.interval = interval

    def drip(self, data, interval):
        """One byte per TCP segment, `interval` seconds apart."""
        for index in range(len(data)):
            self._send_all(data[index:index + 1])
            self.pause(interval)

    def flood(self, chunk):
        """Sends `chunk` again and again until the client goes away (or the lifetime ends)."""
        while True:
            self._send_all(chunk)

    def reset(self):
        """Ends the connection with a TCP RST instead of a FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        raise ClientGone("reset sent")


class Peer(ScriptedServer):
    """A ScriptedServer whose connections end with the test. Use as a context manager."""

    def __init__(self, script, lifetime=LIFETIME):
        self.script = script
        self.lifetime = lifetime
        self.closing = threading.Event()
        self.failures = []
        self.accepted = 0
        self._open = set()
        self._threads = []
        self.lingering = []
        self._lock = threading.Lock()
        super().__init__(self._run)

    def _run(self, connection):
        # Called by ScriptedServer._serve in the connection's own thread; it closes the socket.
        with self._lock:
            if self.closing.is_set():
                return
            self.accepted += 1
            self._open.add(connection)
            self._threads.append(threading.current_thread())
        try:
            self.script(Wire(connection, self))
        except ClientGone:
            pass
        except OSError:
            pass  # the client reset the connection under a call the script made directly
        except Exception:  # a bug in the script: the test's setup is broken
            if not self.closing.is_set():
                self.failures.append(traceback.format_exc())
        finally:
            with self._lock:
                self._open.discard(connection)

    def close(self):
        self.closing.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() of ScriptedServer
        except OSError:
            pass
        with self._lock:
            for connection in list(self._open):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            threads = list(self._threads)
        super().close()
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout=2.0)
        self.lingering = [thread.name for thread in threads if thread.is_alive()]

    def __exit__(self, kind, value, trace):
        self.close()
        if kind is None and self.failures:
            raise AssertionError("a hostile peer's script failed (test setup bug):\n" + "\n".join(self.failures))
        if kind is None and self.lingering:
            raise AssertionError(f"hostile peer threads outlive their test (test setup bug): {self.lingering}")


# ---------------------------------------------------------------------------------------------
# TLS pieces: records, a ServerHello, HelloRequests, alerts, and real TLS over a memory BIO.

HELLO_REQUEST_RECORD = bytes.fromhex("160303000400000000")  # handshake record: HelloRequest, empty


def record(content_type, body, version=0x0303):
    return struct.pack("!BHH", content_type, version, len(body)) + body


def handshake_message(message_type, body):
    return bytes([message_type]) + len(body).to_bytes(3, "big") + body


def alert_record(description=70, level=2, version=0x0301):
    """A fatal protocol_version alert by default."""
    return record(21, bytes([level, description]), version)


def parse_client_hello(fragment):
    """(client_version, session_id, versions offered in supported_versions) of a ClientHello."""
    if len(fragment) < 4 or fragment[0] != 1:
        return None
    body = fragment[4:4 + int.from_bytes(fragment[1:4], "big")]
    version = struct.unpack("!H", body[0:2])[0]
    at = 34
    session_id = body[at + 1:at + 1 + body[at]]
    at += 1 + body[at]
    at += 2 + struct.unpack("!H", body[at:at + 2])[0]  # cipher suites
    at += 1 + body[at]  # compression methods
    versions = []
    if at + 2 <= len(body):
        end = at + 2 + struct.unpack("!H", body[at:at + 2])[0]
        at += 2
        while at + 4 <= end:
            kind, size = struct.unpack("!HH", body[at:at + 4])
            data = body[at + 4:at + 4 + size]
            if kind == 43 and data:
                versions = [struct.unpack("!H", data[1 + i:3 + i])[0] for i in range(0, data[0], 2)]
            at += 4 + size
    return version, session_id, versions


def server_hello_tls12(session_id=b"", cipher=0xC02F):
    """A TLS 1.2 ServerHello record (ECDHE-RSA-AES128-GCM-SHA256, renegotiation_info): what a real
    TLS 1.2 server answers first. The random is fixed, and holds no downgrade sentinel."""
    extensions = struct.pack("!HH", 0xFF01, 1) + b"\x00"
    body = (struct.pack("!H", 0x0303) + bytes(range(32)) + bytes([len(session_id)]) + session_id +
            struct.pack("!HB", cipher, 0) + struct.pack("!H", len(extensions)) + extensions)
    return record(22, handshake_message(2, body))


def answer_hello_with_tls12(wire):
    """Reads a hello; answers SSLv2 and anything below TLS 1.2 with a protocol_version alert, and
    a hello offering TLS 1.2 (or 1.3) with a TLS 1.2 ServerHello. True when a ServerHello went out."""
    content_type, _, fragment = wire.read_record()
    hello = parse_client_hello(fragment) if content_type == 22 else None
    if hello is None or hello[0] < 0x0303:
        wire.send(alert_record())
        return False
    wire.send(server_hello_tls12(hello[1]))
    return True


def garbage(size, seed=1):
    """Deterministic noise that starts with no valid SSL/TLS record or protocol reply."""
    return b"\x00\xff" + random.Random(seed).randbytes(size - 2)


def server_context(chain, tls13=True):
    """A Python ssl server context presenting `chain` (a pki.Chain: leaf, key, intermediates)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    full = chain.leaf.with_suffix(".full.pem")
    full.write_bytes(chain.leaf.read_bytes() + chain.chain.read_bytes())
    context.load_cert_chain(str(full), str(chain.key))
    context.num_tickets = 0
    if not tls13:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


class TlsChannel:
    """A server-side TLS connection over a Wire, through memory BIOs, so that every byte it sends
    goes through Wire.send (and drips after Wire.slow_down)."""

    def __init__(self, wire, context):
        self.wire = wire
        self.incoming = ssl.MemoryBIO()
        self.outgoing = ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.buffer = b""

    def _flush(self):
        pending = self.outgoing.read()
        if pending:
            self.wire.send(pending)

    def _feed(self):
        self.incoming.write(self.wire.recv_some())

    def handshake(self):
        while True:
            self.wire.left()
            try:
                self.tls.do_handshake()
                break
            except ssl.SSLWantReadError:
                self._flush()
                self._feed()
            except ssl.SSLError as error:
                self._flush()
                raise ClientGone(f"TLS: {error}") from None
        self._flush()
        return self

    def read_line(self):
        while b"\n" not in self.buffer:
            self.wire.left()
            try:
                data = self.tls.read(65536)
                if not data:  # the client's close_notify: SSLObject.read() returns b"" from then on
                    raise ClientGone("TLS closed")
                self.buffer += data
            except ssl.SSLWantReadError:
                self._flush()
                self._feed()
            except (ssl.SSLZeroReturnError, ssl.SSLError):
                raise ClientGone("TLS closed") from None
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line + b"\n"

    def send(self, data):
        self.tls.write(data)
        self._flush()


# ---------------------------------------------------------------------------------------------
# STARTTLS: the server side of every dialog up to its go-ahead, which goes out with `extra` in one
# sendall() (one TCP segment). check_starttls's dialogs are in common/starttls/*.cpp.

def _smtp_style(wire, go_ahead, extra, hello_word):
    wire.send(b"220 mx.hostile.test ESMTP\r\n")
    line = wire.read_line()
    assert line.upper().startswith(hello_word), line
    wire.send(b"250-mx.hostile.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
    assert wire.read_line().upper().startswith(b"STARTTLS")
    wire.send(go_ahead + extra)


def _pop3(wire, extra):
    wire.send(b"+OK POP3 ready\r\n")
    assert wire.read_line().upper().startswith(b"CAPA")
    wire.send(b"+OK Capability list follows\r\nSTLS\r\nUIDL\r\n.\r\n")
    assert wire.read_line().upper().startswith(b"STLS")
    wire.send(b"+OK Begin TLS negotiation\r\n" + extra)


def _imap(wire, extra):
    wire.send(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
    tag = wire.read_line().split(b" ", 1)[0]
    wire.send(b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n" + tag + b" OK CAPABILITY completed\r\n")
    tag = wire.read_line().split(b" ", 1)[0]
    wire.send(tag + b" OK Begin TLS negotiation now\r\n" + extra)


def _ftp(wire, extra):
    wire.send(b"220 FTP ready\r\n")
    assert wire.read_line().upper().startswith(b"FEAT")
    wire.send(b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n")
    assert wire.read_line().upper().startswith(b"AUTH TLS")
    wire.send(b"234 Proceed with negotiation.\r\n" + extra)


def _nntp(wire, extra):
    wire.send(b"200 news.hostile.test ready\r\n")
    assert wire.read_line().upper().startswith(b"CAPABILITIES")
    wire.send(b"101 Capability list:\r\nVERSION 2\r\nREADER\r\nSTARTTLS\r\n.\r\n")
    assert wire.read_line().upper().startswith(b"STARTTLS")
    wire.send(b"382 Continue with TLS negotiation\r\n" + extra)


def _sieve(wire, extra):
    wire.send(b'"IMPLEMENTATION" "hostile"\r\n"SIEVE" "fileinto"\r\n"STARTTLS"\r\nOK "ready"\r\n')
    assert wire.read_line().upper().startswith(b"STARTTLS")
    wire.send(b'OK "Begin TLS negotiation now"\r\n' + extra)


def _irc(wire, extra):
    assert wire.read_line().upper().startswith(b"CAP LS")
    wire.send(b":irc.hostile.test CAP * LS :multi-prefix tls\r\n")
    assert wire.read_line().upper().startswith(b"STARTTLS")
    wire.send(b":irc.hostile.test 670 * :STARTTLS successful, go ahead with TLS handshake\r\n" + extra)


LDAP_START_TLS_OK = bytes.fromhex("300c02010178070a010004000400")  # ExtendedResponse, resultCode 0


def ber_length(size):
    """A definite BER length: short form below 128, else long form with as few bytes as needed."""
    if size < 0x80:
        return bytes([size])
    raw = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def ber(tag, contents):
    return bytes([tag]) + ber_length(len(contents)) + contents


def nested_sequences(depth):
    """`depth` SEQUENCEs, each the only element of the one around it: 1000 levels are about 3 KB."""
    inner = b""
    for _ in range(depth):
        inner = ber(0x30, inner)
    return inner


def read_ldap_request(wire):
    head = wire.read_exact(2)
    assert head[0] == 0x30 and head[1] < 0x80, head
    return head + wire.read_exact(head[1])


def _ldap(wire, extra):
    read_ldap_request(wire)
    wire.send(LDAP_START_TLS_OK + extra)


def xmpp_stream_header(server=False):
    namespace = b"jabber:server" if server else b"jabber:client"
    return (b"<?xml version='1.0'?><stream:stream xmlns='" + namespace +
            b"' xmlns:stream='http://etherx.jabber.org/streams' id='hostile-1' from='example.test' version='1.0'>")


def read_xmpp_stream_open(wire):
    wire.read_until(b"<stream:stream")
    wire.read_until(b">")


def _xmpp(wire, extra, server=False):
    read_xmpp_stream_open(wire)
    wire.send(xmpp_stream_header(server) + b"<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>"
              b"<required/></starttls></stream:features>")
    wire.read_until(b"<starttls")
    wire.read_until(b">")
    wire.send(b"<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>" + extra)


def _postgres(wire, extra):
    request = wire.read_exact(8)
    assert request == struct.pack("!II", 8, 80877103), request
    wire.send(b"S" + extra)


CLIENT_SSL = 0x0800


def mysql_greeting_payload(capabilities=0x8A01 | CLIENT_SSL, version=b"5.5.5-10.11.6-MariaDB-hostile"):
    """A protocol-10 initial handshake, as MariaDB sends it (CLIENT_SSL among the capabilities)."""
    return (b"\x0a" + version + b"\x00" + struct.pack("<I", 7) + b"12345678" + b"\x00" +
            struct.pack("<H", capabilities & 0xFFFF) + b"\x21" + struct.pack("<H", 2) +
            struct.pack("<H", capabilities >> 16) + b"\x15" + bytes(10) + b"123456789012\x00" +
            b"mysql_native_password\x00")


def mysql_packet(payload, sequence=0, length=None):
    return struct.pack("<I", len(payload) if length is None else length)[:3] + bytes([sequence]) + payload


def _mysql(wire, extra):
    wire.send(mysql_packet(mysql_greeting_payload()) + extra)
    wire.read_exact(36)  # the SSLRequest: 4-byte header, 32 bytes


STARTTLS_SERVERS = {
    "smtp": lambda wire, extra: _smtp_style(wire, b"220 2.0.0 Ready to start TLS\r\n", extra, b"EHLO"),
    "submission": lambda wire, extra: _smtp_style(wire, b"220 2.0.0 Ready to start TLS\r\n", extra, b"EHLO"),
    "lmtp": lambda wire, extra: _smtp_style(wire, b"220 2.0.0 Ready to start TLS\r\n", extra, b"LHLO"),
    "pop3": _pop3,
    "imap": _imap,
    "ftp": _ftp,
    "ldap": _ldap,
    "xmpp": _xmpp,
    "xmpp-server": lambda wire, extra: _xmpp(wire, extra, server=True),
    "nntp": _nntp,
    "sieve": _sieve,
    "postgres": _postgres,
    "mysql": _mysql,
    "irc": _irc,
}


def starttls_dialog(wire, protocol, extra=b""):
    """Plays the server side of `protocol`'s STARTTLS dialog; the go-ahead and `extra` leave in one
    segment. Returns when the client may start its TLS handshake."""
    STARTTLS_SERVERS[protocol](wire, extra)


def real_tls_after(protocol, context, after=None):
    """A script: the STARTTLS dialog of `protocol`, then a real TLS handshake, then `after(channel)`
    or, for SMTP, an EHLO answer over TLS."""
    def script(wire):
        starttls_dialog(wire, protocol)
        channel = TlsChannel(wire, context).handshake()
        if after is not None:
            after(channel)
        elif protocol in ("smtp", "submission", "lmtp"):
            channel.read_line()
            channel.send(b"250-mx.hostile.test\r\n250 PIPELINING\r\n")
        wire.hold()
    return script


def real_tls(context):
    """A script: an implicit-TLS server."""
    def script(wire):
        TlsChannel(wire, context).handshake()
        wire.hold()
    return script



# ---------------------------------------------------------------------------------------------
# Certificates the hostile servers present, made with tests/integration/pki.py.

def ec_pki():
    """A root and an intermediate with P-256 keys: small, so that a dripped handshake is short."""
    from pki import Spec, ec_key, issue
    root = issue(Spec("hostile test root", is_ca=True, not_after_days=3650, key=ec_key("secp256r1", 301)))
    intermediate = issue(Spec("hostile test intermediate", is_ca=True, not_after_days=1825,
                              key=ec_key("secp256r1", 302)), root)
    return root, intermediate


def ec_chain(directory, tag="server"):
    """root -> intermediate -> leaf for localhost, all P-256."""
    from pki import Spec, ec_key, issue, write_chain
    root, intermediate = ec_pki()
    leaf = issue(Spec("localhost", key=ec_key("secp256r1", 303)), intermediate)
    return write_chain(directory, leaf, [intermediate], root, tag)


def deep_chain(directory, depth=200, tag="deep"):
    """A real chain of `depth` certificates: leaf, 198 intermediates, root (all sent), every
    intermediate about to expire, as in test_two_hundred_certificate_chain_keeps_the_output_under_4_kib."""
    from pki import Spec, ec_key, issue, write_chain
    root = issue(Spec("deep root", is_ca=True, not_after_days=3650, key=ec_key("secp256r1", 400)))
    issuer, intermediates = root, []
    for n in range(depth - 2):
        issuer = issue(Spec(f"deep intermediate {n}", is_ca=True, not_after_days=5,
                            key=ec_key("secp256r1", 401 + n)), issuer)
        intermediates.append(issuer)
    leaf = issue(Spec("localhost", key=ec_key("secp256r1", 399)), issuer)
    return write_chain(directory, leaf, list(reversed(intermediates)) + [root], root, tag)


def _leaf_builder(subject, issuer, key, dns_names=("localhost",)):
    import datetime
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    return (x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer.certificate.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in dns_names]), critical=False))


def _write_leaf(directory, tag, certificate, key, intermediate, root):
    from pki import Issued, write_chain
    return write_chain(directory, Issued(certificate, key, tag), [intermediate], root, tag)


def megabyte_certificate_chain(directory, size=1024 * 1024, tag="megabyte"):
    """A leaf for localhost carrying a non-critical private extension of `size` bytes: a 1 MB
    certificate that a real server (Python's ssl, OpenSSL underneath) presents without complaint."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    from pki import ec_key
    root, intermediate = ec_pki()
    key = ec_key("secp256r1", 304)
    blob = b"\x04\x83" + size.to_bytes(3, "big") + b"M" * size  # an OCTET STRING of `size` bytes
    certificate = (_leaf_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]), intermediate, key)
                   .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.55555.1.1"), blob),
                                  critical=False)
                   .sign(intermediate.key, hashes.SHA256()))
    return _write_leaf(directory, tag, certificate, key, intermediate, root)


def evil_names_chain(directory, evil, fake_line, tag="evil"):
    """A leaf whose subject (CN, O, OU) and extra SAN dNSName carry `evil` (controls, bidi and
    zero-width characters, '|') and a fake status line; its SAN also names localhost."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    from pki import ec_key
    root, intermediate = ec_pki()
    key = ec_key("secp256r1", 305)
    subject = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, ("localhost" + evil)[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Hostile" + evil + "\n" + fake_line),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "\r" + fake_line + evil),
    ])
    ascii_evil = "".join(c for c in evil if ord(c) < 0x80)
    names = ("localhost", "x" + ascii_evil + ".hostile.test\r" + fake_line)
    certificate = _leaf_builder(subject, intermediate, key, names).sign(intermediate.key, hashes.SHA256())
    return _write_leaf(directory, tag, certificate, key, intermediate, root)
