"""STARTTLS injection (CVE-2011-0411 class) against scripted peers, one per protocol: the go-ahead
and the injected bytes leave the peer in ONE send() call, so they reach check_starttls in one TCP
segment and one read. Whatever buffer of the dialog they end up in (the line reader, the XMPP
scanner), check_starttls must refuse to go on: CRITICAL, naming the injection. The same for a
peer that answers STARTTLS before it was asked (the go-ahead sent along with the reply before it).
Control cases: the same peers sending the go-ahead alone, then a real TLS handshake, are not
flagged (the real servers of test_check_starttls.py are the other half of that proof)."""

import socket
import ssl
import struct
import time

import pytest

from harness import ScriptedServer, assert_plugin_shape, run_plugin

INJECTION = "after its STARTTLS reply, before the handshake (injection risk)"
EARLY = "answered STARTTLS before it was asked"


def starttls(port, protocol, *args, host="localhost"):
    run = run_plugin("check_starttls", "-H", host, "-I", "127.0.0.1", "-p", port, "--starttls", protocol, "-t", "3",
                     "--plaintext-auth", "ok", *args)
    assert_plugin_shape(run, "STARTTLS")
    return run


class Peer:
    """The server side of one connection, with the reads a scripted dialog needs."""

    def __init__(self, connection):
        self.connection = connection
        self.pending = b""

    def _more(self):
        chunk = self.connection.recv(4096)
        if not chunk:
            raise ConnectionResetError("client closed")
        self.pending += chunk

    def until(self, terminator):
        while terminator not in self.pending:
            self._more()
        end = self.pending.index(terminator) + len(terminator)
        data, self.pending = self.pending[:end], self.pending[end:]
        return data

    def line(self):
        return self.until(b"\n")

    def exact(self, count):
        while len(self.pending) < count:
            self._more()
        data, self.pending = self.pending[:count], self.pending[count:]
        return data

    def send(self, data):
        # One call, one segment on loopback: what arrives together is read together.
        self.connection.sendall(data)

    def linger(self):
        """Waits until the client hangs up (it must not wait for more from us)."""
        self.connection.settimeout(5)
        try:
            while self.connection.recv(4096):
                pass
        except OSError:
            pass


# Each dialog: `before(peer)` runs the conversation up to the STARTTLS command and returns the last
# reply before it (not yet sent); `ask(peer)` reads the STARTTLS command; then the go-ahead follows.

def smtp_before(peer):
    peer.send(b"220 mx.example ESMTP\r\n")
    assert peer.line().startswith(b"EHLO ")
    return b"250-mx.example\r\n250-PIPELINING\r\n250 STARTTLS\r\n"


def lmtp_before(peer):
    peer.send(b"220 lmtp ready\r\n")
    assert peer.line().startswith(b"LHLO ")
    return b"250-lmtp\r\n250 STARTTLS\r\n"


def pop3_before(peer):
    peer.send(b"+OK ready\r\n")
    assert peer.line() == b"CAPA\r\n"
    return b"+OK\r\nTOP\r\nSTLS\r\n.\r\n"


def imap_before(peer):
    peer.send(b"* OK ready\r\n")
    assert peer.line() == b"a2 CAPABILITY\r\n"
    return b"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\na2 OK done\r\n"


def ftp_before(peer):
    peer.send(b"220 ready\r\n")
    assert peer.line() == b"FEAT\r\n"
    return b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n211 End\r\n"


def nntp_before(peer):
    peer.send(b"200 news ready\r\n")
    assert peer.line() == b"CAPABILITIES\r\n"
    return b"101 Capability list:\r\nVERSION 2\r\nSTARTTLS\r\n.\r\n"


def sieve_before(peer):
    return b'"IMPLEMENTATION" "scripted"\r\n"SASL" "GSSAPI"\r\n"STARTTLS"\r\nOK "ready"\r\n'


def irc_before(peer):
    assert peer.line() == b"CAP LS 302\r\n"
    return b":irc.example CAP * LS :tls\r\n"


XMPP_TLS = b"urn:ietf:params:xml:ns:xmpp-tls"


def xmpp_before(peer):
    peer.until(b"version='1.0'>")
    return (b"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
            b"id='s1' from='example.test' version='1.0'><stream:features><starttls xmlns='" + XMPP_TLS +
            b"'><required/></starttls></stream:features>")


def no_before(peer):
    return b""


def line_command(expected):
    def ask(peer):
        assert peer.line() == expected
    return ask


def xmpp_ask(peer):
    peer.until(b"/>")


def ldap_ask(peer):
    peer.exact(31)


def postgres_ask(peer):
    assert peer.exact(8) == bytes.fromhex("0000000804d2162f")


LDAP_SUCCESS = bytes.fromhex("300c02010178070a010004000400")
LDAP_EXTRA = bytes.fromhex("30050201024200")  # an UnbindRequest-shaped message with messageID 2
FORGED_FEATURES = (b"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN"
                   b"</mechanism></mechanisms></stream:features>")

# protocol, before, ask, go-ahead, injected, -H
DIALOGS = [
    ("smtp", smtp_before, line_command(b"STARTTLS\r\n"), b"220 2.0.0 Ready to start TLS\r\n", b"250 injected\r\n", "localhost"),
    ("submission", smtp_before, line_command(b"STARTTLS\r\n"), b"220 go ahead\r\n", b"250-mx\r\n250 AUTH PLAIN\r\n",
     "localhost"),
    ("lmtp", lmtp_before, line_command(b"STARTTLS\r\n"), b"220 ready\r\n", b"250 2.1.0 ok\r\n", "localhost"),
    ("pop3", pop3_before, line_command(b"STLS\r\n"), b"+OK Begin TLS negotiation\r\n", b"+OK 2 messages\r\n", "localhost"),
    ("imap", imap_before, line_command(b"a3 STARTTLS\r\n"), b"a3 OK Begin TLS negotiation now\r\n",
     b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n", "localhost"),
    ("ftp", ftp_before, line_command(b"AUTH TLS\r\n"), b"234 Proceed with negotiation.\r\n", b"230 Login successful.\r\n",
     "localhost"),
    ("nntp", nntp_before, line_command(b"STARTTLS\r\n"), b"382 Continue with TLS negotiation\r\n",
     b"281 Authentication accepted\r\n", "localhost"),
    ("sieve", sieve_before, line_command(b"STARTTLS\r\n"), b'OK "Begin TLS negotiation now."\r\n',
     b'"SASL" "PLAIN"\r\nOK\r\n', "localhost"),
    ("irc", irc_before, line_command(b"STARTTLS\r\n"), b":irc.example 670 * :STARTTLS successful, go ahead\r\n",
     b":irc.example 001 nick :Welcome\r\n", "localhost"),
    ("xmpp", xmpp_before, xmpp_ask, b"<proceed xmlns='" + XMPP_TLS + b"'/>", FORGED_FEATURES, "example.test"),
    ("ldap", no_before, ldap_ask, LDAP_SUCCESS, LDAP_EXTRA, "localhost"),
    ("postgres", no_before, postgres_ask, b"S", b"R\x00\x00\x00\x08\x00\x00\x00\x00", "localhost"),
]
IDS = [dialog[0] for dialog in DIALOGS]


def scripted(before, ask, go_ahead, injected, early=False, tls=None):
    def handler(connection):
        peer = Peer(connection)
        last = before(peer)
        if early:  # the go-ahead rides along with the reply before STARTTLS
            peer.send(last + go_ahead)
            peer.linger()
            return
        if last:
            peer.send(last)
        ask(peer)
        peer.send(go_ahead + injected)
        if tls is None:
            peer.linger()
            return
        # A real handshake; then the peer hangs up (the capabilities over TLS are not the point).
        connection.settimeout(5)
        try:
            with tls.wrap_socket(connection, server_side=True) as secure:
                secure.recv(4096)
        except (OSError, ssl.SSLError):
            pass
    return handler


@pytest.mark.parametrize("protocol, before, ask, go_ahead, injected, host", DIALOGS, ids=IDS)
def test_bytes_sent_in_one_segment_with_the_go_ahead_are_critical_injection(protocol, before, ask, go_ahead, injected,
                                                                            host):
    with ScriptedServer(scripted(before, ask, go_ahead, injected)) as server:
        run = starttls(server.port, protocol, host=host)
    assert run.returncode == 2, run.stdout
    assert run.first_line.startswith("STARTTLS CRITICAL - "), run.stdout
    assert f"server sent {len(injected)} bytes {INJECTION}" in run.summary, run.stdout
    assert "STARTTLS not offered" not in run.summary


def mysql_greeting():
    payload = (b"\x0a" + b"10.11.6-MariaDB\x00" + struct.pack("<I", 1) + b"a" * 8 + b"\x00" + b"\xfe\xff" + b"\x2d" +
               b"\x02\x00" + b"\xff\x81" + b"\x00" * 11 + b"b" * 13)
    return struct.pack("<I", len(payload))[:3] + b"\x00" + payload


def test_mysql_bytes_in_one_segment_with_the_greeting_are_critical_injection():
    # The greeting with CLIENT_SSL is MySQL's go-ahead: the client starts TLS right after its
    # SSLRequest, so nothing may follow the greeting.
    injected = b"\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00"

    def handler(connection):
        peer = Peer(connection)
        peer.send(mysql_greeting() + injected)
        peer.linger()
    with ScriptedServer(handler) as server:
        run = starttls(server.port, "mysql")
    assert run.returncode == 2, run.stdout
    assert f"server sent {len(injected)} bytes {INJECTION}" in run.summary, run.stdout


EARLY_CASES = [dialog for dialog in DIALOGS if dialog[1] is not no_before]


@pytest.mark.parametrize("protocol, before, ask, go_ahead, injected, host", EARLY_CASES,
                         ids=[dialog[0] for dialog in EARLY_CASES])
def test_go_ahead_sent_before_starttls_was_asked_is_critical(protocol, before, ask, go_ahead, injected, host):
    with ScriptedServer(scripted(before, ask, go_ahead, injected, early=True)) as server:
        run = starttls(server.port, protocol, host=host)
    assert run.returncode == 2, run.stdout
    assert run.first_line.startswith("STARTTLS CRITICAL - "), run.stdout
    assert f"{EARLY}: {len(go_ahead)} bytes" in run.summary, run.stdout


@pytest.fixture(scope="module")
def tls_context(tmp_path_factory):
    from pki import Spec, standard_chain
    chain = standard_chain(tmp_path_factory.mktemp("injection-pki"), Spec("localhost", dns_names=["localhost", "example.test"]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain.leaf, chain.key)
    return context


CONTROL = [dialog for dialog in DIALOGS if dialog[0] in ("smtp", "imap", "pop3", "ftp", "xmpp", "ldap", "postgres")]


@pytest.mark.parametrize("protocol, before, ask, go_ahead, injected, host", CONTROL, ids=[dialog[0] for dialog in CONTROL])
def test_go_ahead_alone_then_a_real_handshake_is_not_flagged(tls_context, protocol, before, ask, go_ahead, injected,
                                                             host):
    with ScriptedServer(scripted(before, ask, go_ahead, b"", tls=tls_context)) as server:
        run = starttls(server.port, protocol, "-v", host=host)
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"{protocol} on {host}:{server.port}: STARTTLS offered, TLSv1.3"), run.stdout
    assert "injection" not in run.stdout


def test_go_ahead_split_from_the_rest_of_its_reply_across_segments_is_still_one_reply():
    # Not an injection: a multi-line EHLO reply in pieces, the go-ahead in two segments.
    def handler(connection):
        peer = Peer(connection)
        peer.send(b"220-mx\r\n")
        time.sleep(0.05)
        peer.send(b"220 ready\r\n")
        peer.line()
        for piece in (b"250-mx\r\n250-STA", b"RTTLS\r\n250 8BITMIME\r\n"):
            peer.send(piece)
            time.sleep(0.05)
        peer.line()
        peer.send(b"220 go ")
        time.sleep(0.05)
        peer.send(b"ahead\r\n")
        peer.exact(5)  # the start of a ClientHello: the dialog went through; then hang up
    with ScriptedServer(handler) as server:
        run = starttls(server.port, "smtp")
    assert run.status == "CRITICAL", run.stdout  # the peer speaks no TLS: the handshake fails,
    assert "injection" not in run.summary and EARLY not in run.summary, run.stdout  # but no injection
    assert "TLS handshake" in run.summary, run.stdout


def test_ldap_notice_of_disconnection_is_named():
    def tlv(tag, contents):
        return bytes([tag, len(contents)]) + contents
    notice = tlv(0x30, tlv(0x02, b"\x00") + tlv(0x78, tlv(0x0a, b"\x34") + tlv(0x04, b"") + tlv(0x04, b"going down") +
                                                tlv(0x8a, b"1.3.6.1.4.1.1466.20036")))

    def handler(connection):
        peer = Peer(connection)
        ldap_ask(peer)
        peer.send(notice)
        peer.linger()
    with ScriptedServer(handler) as server:
        run = starttls(server.port, "ldap")
    assert run.returncode == 2, run.stdout
    assert "LDAP server sent a Notice of Disconnection (resultCode 52, diagnostic 'going down')" in run.summary, run.stdout
    assert "STARTTLS not offered" not in run.summary
