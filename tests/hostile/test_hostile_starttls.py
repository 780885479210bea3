"""check_starttls against hostile peers: every case ends within -t + 0.5 s with one well-formed
line (exit code = its state), at most one '|', under 4 KiB, nothing on stderr — and, where the
right answer is clear, with that state and a reason that names what the server did."""

import pytest

from contained import CLOSED, NAMES_THE_INJECTION, assert_no_server_text_escapes, assert_state, run_check
from hostile_servers import (HELLO_REQUEST_RECORD, STARTTLS_SERVERS, Peer, ber, garbage, mysql_greeting_payload,
                             mysql_packet, nested_sequences, parse_client_hello, read_ldap_request,
                             read_xmpp_stream_open, real_tls_after, server_context, server_hello_tls12,
                             starttls_dialog, xmpp_stream_header)

T = 2  # -t for every case: the suite stays fast, and the limit is -t + 0.5 s


def starttls(port, protocol, *args, timeout=T):
    host = "example.test" if protocol.startswith("xmpp") else "localhost"
    return run_check("check_starttls", "-H", host, "-I", "127.0.0.1", "-p", port, "--starttls", protocol, *args,
                     timeout=timeout)


def critical(run, *reasons, timeout=T):
    return assert_state(run, "STARTTLS", timeout, "CRITICAL", *reasons)


# --- the connection itself ------------------------------------------------------------------------

def test_check_starttls_smtp_silent_server_is_critical_timeout_within_the_limit():
    with Peer(lambda wire: wire.hold()) as server:
        run = starttls(server.port, "smtp")
    critical(run, "dialog timed out")


def test_check_starttls_smtp_close_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: None) as server:
        run = starttls(server.port, "smtp")
    critical(run, CLOSED)


def test_check_starttls_smtp_reset_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: wire.reset()) as server:
        run = starttls(server.port, "smtp")
    critical(run, CLOSED)


def test_check_starttls_smtp_reset_after_the_go_ahead_is_critical_within_the_limit():
    def script(wire):
        starttls_dialog(wire, "smtp")
        wire.read_record()
        wire.reset()
    with Peer(script) as server:
        run = starttls(server.port, "smtp")
    critical(run, CLOSED)


# --- 1-byte drip -----------------------------------------------------------------------------------

def test_check_starttls_smtp_one_byte_drip_within_the_deadline_completes_the_upgrade(ec_chain):
    # Dialog and handshake, every byte in its own segment: about 1.4 KB at 0.5 ms a byte.
    context = server_context(ec_chain)

    def script(wire):
        wire.slow_down(0.0005)
        real_tls_after("smtp", context)(wire)
    with Peer(script) as server:
        run = starttls(server.port, "smtp", timeout=3)
    assert_state(run, "STARTTLS", 3, "OK", "STARTTLS offered, TLSv1.3")


def test_check_starttls_smtp_one_byte_drip_past_the_deadline_is_critical_within_the_limit():
    # The banner at 5 bytes a second: every byte keeps the connection alive, only -t ends it.
    def script(wire):
        wire.drip(b"220 mx.hostile.test ESMTP ready and waiting\r\n", 0.2)
    with Peer(script) as server:
        run = starttls(server.port, "smtp")
    critical(run, "dialog timed out")
    assert run.elapsed >= T - 0.1, f"gave up after {run.elapsed:.2f} s, before the deadline"


# --- endless lines and replies ---------------------------------------------------------------------

ENDLESS_LINE_AT = {
    # protocol: (what the server sends before the endless line, the client lines it reads first)
    "smtp": (b"220 ", 0),
    "lmtp": (b"220 ", 0),
    "pop3": (b"+OK ", 0),
    "imap": (b"* OK ", 0),
    "ftp": (b"220 ", 0),
    "nntp": (b"200 ", 0),
    "sieve": (b'"IMPLEMENTATION" "', 0),
    "irc": (b":irc.hostile.test NOTICE * :", 1),
}


@pytest.mark.parametrize("protocol", list(ENDLESS_LINE_AT))
def test_check_starttls_endless_line_is_critical_line_too_long_within_the_limit(protocol):
    start, client_lines = ENDLESS_LINE_AT[protocol]

    def script(wire):
        for _ in range(client_lines):
            wire.read_line()
        wire.send(start)
        wire.flood(b"A" * 65536)
    with Peer(script) as server:
        run = starttls(server.port, protocol)
    critical(run, "longer than 4096 bytes")


def test_check_starttls_xmpp_endless_text_node_is_critical_within_the_limit():
    def script(wire):
        read_xmpp_stream_open(wire)
        wire.send(xmpp_stream_header() + b"<stream:features>")
        wire.flood(b"A" * 65536)
    with Peer(script) as server:
        run = starttls(server.port, "xmpp")
    critical(run, "dialog failed")


def _numeric_endless(greeting, code):
    def script(wire):
        wire.send(greeting)
        wire.read_line()
        wire.send(code + b"-first\r\n")
        wire.flood((code + b"-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n") * 2048)
    return script


def _block_endless(greeting, first):
    def script(wire):
        wire.send(greeting)
        wire.read_line()
        wire.send(first)
        wire.flood(b"CAPABILITY-LINE-THAT-NEVER-ENDS\r\n" * 2048)
    return script


def _imap_endless(wire):
    wire.send(b"* OK ready\r\n")
    wire.read_line()
    wire.flood(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" * 2048)


def _sieve_endless(wire):
    wire.flood(b'"SIEVE" "fileinto reject envelope"\r\n' * 2048)


ENDLESS_REPLY = {
    "smtp": _numeric_endless(b"220 mx\r\n", b"250"),
    "ftp": _numeric_endless(b"220 ftp\r\n", b"211"),
    "pop3": _block_endless(b"+OK ready\r\n", b"+OK capabilities\r\n"),
    "nntp": _block_endless(b"200 news\r\n", b"101 capabilities\r\n"),
    "imap": _imap_endless,
    "sieve": _sieve_endless,
}


@pytest.mark.parametrize("protocol", list(ENDLESS_REPLY))
def test_check_starttls_endless_multi_line_reply_is_critical_after_256_lines_within_the_limit(protocol):
    with Peer(ENDLESS_REPLY[protocol]) as server:
        run = starttls(server.port, protocol)
    critical(run, "more than 256 lines")


# --- garbage ---------------------------------------------------------------------------------------

TEN_MB = garbage(10 * 1024 * 1024)


@pytest.mark.parametrize("protocol", ["smtp", "imap", "ldap", "xmpp", "postgres", "mysql"])
def test_check_starttls_ten_megabytes_of_garbage_is_critical_within_the_limit(protocol):
    def script(wire):
        if protocol in ("ldap", "xmpp", "postgres"):  # the client speaks first
            wire.recv_some()
        wire.send(TEN_MB)
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, protocol)
    critical(run, "dialog failed")


# --- TLS after the go-ahead ------------------------------------------------------------------------

def test_check_starttls_smtp_oversized_record_header_after_the_go_ahead_is_critical_within_the_limit():
    def script(wire):
        starttls_dialog(wire, "smtp")
        wire.read_record()
        wire.send(b"\x16\x03\x03\xff\xff" + garbage(8192))
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, "smtp")
    critical(run, "TLS handshake")


def _hello_request_flood(after_server_hello):
    def script(wire):
        starttls_dialog(wire, "smtp")
        _, _, hello = wire.read_record()
        if after_server_hello:
            wire.send(server_hello_tls12(parse_client_hello(hello)[1]))
        wire.flood(HELLO_REQUEST_RECORD * 16384)
    return script


def test_check_starttls_smtp_hello_request_flood_before_the_server_hello_is_critical_within_the_limit():
    with Peer(_hello_request_flood(after_server_hello=False)) as server:
        run = starttls(server.port, "smtp")
    critical(run, "TLS handshake")


def test_check_starttls_smtp_hello_request_flood_after_the_server_hello_is_critical_within_the_limit():
    with Peer(_hello_request_flood(after_server_hello=True)) as server:
        run = starttls(server.port, "smtp")
    critical(run, "TLS handshake")


def test_check_starttls_smtp_two_hundred_certificate_chain_still_completes_the_upgrade(deep_chain):
    # check_starttls judges the upgrade, not the chain: 200 certificates are check_tls_cert's finding.
    with Peer(real_tls_after("smtp", server_context(deep_chain))) as server:
        run = starttls(server.port, "smtp", "-v")
    assert_state(run, "STARTTLS", T, "OK", "STARTTLS offered")


def test_check_starttls_smtp_one_megabyte_certificate_is_critical_handshake_failure_within_the_limit(megabyte_chain):
    with Peer(real_tls_after("smtp", server_context(megabyte_chain))) as server:
        run = starttls(server.port, "smtp")
    critical(run, "TLS handshake")


# --- STARTTLS injection (CVE-2011-0411): the go-ahead and more bytes in one segment -----------------

INJECTED = {
    "smtp": b"250 2.0.0 injected\r\n",
    "submission": b"250 2.0.0 injected\r\n",
    "lmtp": b"250 2.0.0 injected\r\n",
    "pop3": b"+OK injected\r\n",
    "imap": b"* OK injected\r\n",
    "ftp": b"230 injected\r\n",
    "ldap": bytes.fromhex("300c02010278070a010004000400"),  # a second response, message 2
    "xmpp": b"<message from='evil@example.test'><body>injected</body></message>",
    "xmpp-server": b"<db:result from='evil.test' to='example.test' type='valid'/>",
    "nntp": b"281 injected\r\n",
    "sieve": b'OK "injected"\r\n',
    "postgres": b"E\x00\x00\x00\x08injected",
    "mysql": mysql_packet(b"\x00\x00\x00\x02\x00\x00\x00", sequence=2),  # an OK packet nobody asked for
    "irc": b":irc.hostile.test NOTICE * :injected\r\n",
}


@pytest.mark.parametrize("protocol", list(STARTTLS_SERVERS))
def test_check_starttls_injection_after_the_go_ahead_is_critical_naming_it(protocol):
    def script(wire):
        starttls_dialog(wire, protocol, extra=INJECTED[protocol])
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, protocol)
    critical(run, f"{protocol} on ", NAMES_THE_INJECTION)


# --- LDAP: malformed BER -----------------------------------------------------------------------------

MALFORMED_BER = {
    "length_of_four_length_bytes": b"\x30\x84\x7f\xff\xff\xff" + b"\x02\x01\x01",
    "sixteen_megabyte_length": b"\x30\x83\xff\xff\xff" + b"\x02\x01\x01",
    "inner_length_past_the_message": ber(0x30, b"\x02\x01\x01\x78\x83\xff\xff\xff\x0a\x01\x00"),
    "indefinite_length": bytes.fromhex("3080020101788080" "0a0100040004000000" "0000"),
    "thousand_levels_of_nesting_in_the_response": ber(0x30, b"\x02\x01\x01" + ber(0x78, nested_sequences(1000))),
    "thousand_levels_of_nesting_as_the_message": nested_sequences(1000),
}


@pytest.mark.parametrize("case", list(MALFORMED_BER))
def test_check_starttls_ldap_malformed_ber_is_critical_within_the_limit(case):
    def script(wire):
        read_ldap_request(wire)
        wire.send(MALFORMED_BER[case])
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, "ldap")
    critical(run, "dialog failed")


# --- XMPP: entities and tags that never close --------------------------------------------------------

def test_check_starttls_xmpp_entity_expansion_is_never_performed_and_is_critical():
    # Billion laughs, and <starttls/> only behind an entity: a client that expanded entities would
    # blow up or see an offer that is not in the stream. RFC 6120 11.1 forbids DTDs altogether.
    entities = b"<!ENTITY lol0 'lol'>" + b"".join(
        b"<!ENTITY lol%d '%s'>" % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
    doctype = (b"<?xml version='1.0'?><!DOCTYPE stream:stream [" + entities +
               b"<!ENTITY offer \"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\">]>")

    def script(wire):
        read_xmpp_stream_open(wire)
        wire.send(doctype + xmpp_stream_header()[len(b"<?xml version='1.0'?>"):] +
                  b"<stream:features>&offer;<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
                  b"<mechanism>&lol9;</mechanism></mechanisms></stream:features>")
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, "xmpp", "-v")
    critical(run, "XMPP server sent a DTD (RFC 6120 11.1 restricted XML)")
    assert "lollol" not in run.stdout, run.stdout


def test_check_starttls_xmpp_tags_that_never_close_are_critical_within_the_limit():
    def script(wire):
        read_xmpp_stream_open(wire)
        wire.send(xmpp_stream_header() + b"<stream:features>")
        wire.flood(b"<a><b x='1'><c>" * 4096)
    with Peer(script) as server:
        run = starttls(server.port, "xmpp")
    critical(run, "dialog failed")


def test_check_starttls_xmpp_tag_that_never_ends_is_critical_within_the_limit():
    def script(wire):
        read_xmpp_stream_open(wire)
        wire.send(xmpp_stream_header() + b"<stream:features><starttls xmlns='")
        wire.flood(b"urn:" * 16384)
    with Peer(script) as server:
        run = starttls(server.port, "xmpp")
    critical(run, "dialog failed")


# --- MySQL: bogus packet lengths ---------------------------------------------------------------------

GREETING = mysql_greeting_payload()
BOGUS_MYSQL = {
    "zero_length": mysql_packet(b"", length=0),
    "sixteen_megabyte_length": mysql_packet(GREETING, length=0xFFFFFF),
    "length_shorter_than_the_greeting": mysql_packet(GREETING, length=12),
    "version_string_without_its_terminator": mysql_packet(b"\x0a" + b"5" * 300),
}


@pytest.mark.parametrize("case", list(BOGUS_MYSQL))
def test_check_starttls_mysql_bogus_length_is_critical_within_the_limit(case):
    def script(wire):
        wire.send(BOGUS_MYSQL[case])
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, "mysql")
    critical(run, "mysql on ")


def test_check_starttls_mysql_length_longer_than_what_comes_is_critical_timeout_within_the_limit():
    def script(wire):
        wire.send(mysql_packet(GREETING, length=len(GREETING) + 1000))
        wire.hold()
    with Peer(script) as server:
        run = starttls(server.port, "mysql")
    critical(run, "dialog timed out")


# --- IRC: NOTICE floods ------------------------------------------------------------------------------

def test_check_starttls_irc_notice_flood_before_the_cap_reply_is_critical_within_the_limit():
    def script(wire):
        wire.read_line()
        wire.flood(b":irc.hostile.test NOTICE * :*** Looking up your hostname...\r\n" * 1024)
    with Peer(script) as server:
        run = starttls(server.port, "irc")
    critical(run, "dialog failed", "256 IRC lines")


def test_check_starttls_irc_notice_flood_before_the_670_is_critical_within_the_limit():
    def script(wire):
        wire.read_line()
        wire.send(b":irc.hostile.test CAP * LS :tls\r\n")
        wire.read_line()
        wire.flood(b":irc.hostile.test NOTICE * :*** still thinking\r\nPING :x\r\n" * 1024)
    with Peer(script) as server:
        run = starttls(server.port, "irc")
    critical(run, "dialog failed", "256 IRC lines")


# --- Unicode controls, '|' and fake status lines in what the server says -----------------------------

EVIL = ("\u202e\u2066\u200b\u2028\u2029\ufeff\u200f\u2060\u0085\u009b".encode() +
        b"\x00\x01\x07\x08\x0b\x0c\x1b[2J\x7f|\xff\xfe\xc0\xaf\xed\xa0\x80")
FAKE = b"\rOK - all is well | a=1"  # a bare CR stays inside the line the plugin reads


def _smtp_evil(wire):
    wire.send(b"220 mx" + EVIL + FAKE + b"\r\n")
    wire.read_line()
    wire.send(b"250-mx" + EVIL + b"\r\n250-" + EVIL + b"\nOK - fake second status | a=1\r\n"
              b"250-AUTH PLAIN" + EVIL + b"\r\n250 8BITMIME" + FAKE + b"\r\n")
    wire.hold()


def _imap_evil(wire):
    wire.send(b"* OK " + EVIL + FAKE + b"\r\n")
    tag = wire.read_line().split(b" ", 1)[0]
    wire.send(b"* CAPABILITY IMAP4rev1 " + EVIL + b" X" + FAKE + b"\r\n" + tag + b" OK " + EVIL + b"\r\n")
    wire.hold()


def _pop3_evil(wire):
    wire.send(b"+OK " + EVIL + FAKE + b"\r\n")
    wire.read_line()
    wire.send(b"-ERR " + EVIL + b"\r\n")
    wire.read_line()
    wire.send(b"-ERR " + EVIL + FAKE + b"\r\n")
    wire.hold()


def _ftp_evil(wire):
    wire.send(b"220-" + EVIL + b"\r\n" + EVIL + b"\nOK - fake second status | a=1\r\n220 ready" + FAKE + b"\r\n")
    wire.read_line()
    wire.send(b"211-Features:\r\n " + EVIL + b"\r\n AUTH SSL" + FAKE + b"\r\n211 End\r\n")
    wire.hold()


def _xmpp_evil(wire):
    read_xmpp_stream_open(wire)
    wire.send(xmpp_stream_header() + b"<stream:error><x" + EVIL.replace(b"\x00", b"") +
              b" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")
    wire.hold()


EVIL_SERVERS = {"smtp": _smtp_evil, "imap": _imap_evil, "pop3": _pop3_evil, "ftp": _ftp_evil, "xmpp": _xmpp_evil}


@pytest.mark.parametrize("protocol", list(EVIL_SERVERS))
def test_check_starttls_controls_bidi_and_fake_status_lines_in_replies_never_reach_the_output(protocol):
    with Peer(EVIL_SERVERS[protocol]) as server:
        run = starttls(server.port, protocol, "-vvv")
    critical(run, f"{protocol} on ")
    assert_no_server_text_escapes(run, "STARTTLS")
