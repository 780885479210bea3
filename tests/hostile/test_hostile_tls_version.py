"""check_tls_version against hostile peers: every case ends within -t + 0.5 s with one well-formed
line (exit code = its state), at most one '|', under 4 KiB, nothing on stderr — and, where the
right answer is clear, with that state and a reason that names what the server did.

The probes are hand-built and read only up to the ServerHello, so what comes after it (a
HelloRequest flood, 200 certificates, a 1 MB certificate) changes no verdict: those cases are OK
with the versions the server did accept. A peer that answers in SSL/TLS framing but never with a
ServerHello leaves every version undecided, which the plugin reports as UNKNOWN by design
(common/README.md: "Undecided answers that are SSL/TLS stay UNKNOWN")."""

import pytest

from contained import NAMES_THE_INJECTION, assert_no_server_text_escapes, assert_state, run_check
from hostile_servers import (HELLO_REQUEST_RECORD, Peer, alert_record, answer_hello_with_tls12, garbage,
                             mysql_packet, nested_sequences, parse_client_hello, read_ldap_request, real_tls,
                             server_context, starttls_dialog)

T = 2  # -t for every case: the suite stays fast, and the limit is -t + 0.5 s


def tls_version(port, *args, timeout=T, timeout_state=None):
    return run_check("check_tls_version", "-H", "localhost", "-I", "127.0.0.1", "-p", port, *args, timeout=timeout,
                     timeout_state=timeout_state)


def critical(run, *reasons, timeout=T):
    return assert_state(run, "TLS_VERSION", timeout, "CRITICAL", *reasons)


# --- the connection itself ------------------------------------------------------------------------

def test_check_tls_version_silent_server_is_critical_timeout_within_the_limit():
    with Peer(lambda wire: wire.hold()) as server:
        run = tls_version(server.port)
    critical(run, "no probe was answered within 2 s")


def test_check_tls_version_close_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: None) as server:
        run = tls_version(server.port)
    critical(run, "accepts no version")


def test_check_tls_version_reset_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: wire.reset()) as server:
        run = tls_version(server.port)
    critical(run, "accepts no version")


def test_check_tls_version_reset_after_every_hello_is_critical_within_the_limit():
    def script(wire):
        wire.read_record()
        wire.reset()
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run, "accepts no version")


# --- 1-byte drip -----------------------------------------------------------------------------------

def test_check_tls_version_one_byte_drip_within_the_deadline_still_decides_every_version():
    def script(wire):
        wire.slow_down(0.002)
        answer_hello_with_tls12(wire)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    assert_state(run, "TLS_VERSION", T, "OK", "accepts TLSv1.2")
    assert run.perfdata["tls1_2"] == "1" and run.perfdata["tls1_3"] == "0", run.stdout
    assert run.perfdata["sslv2"] == "0" and run.perfdata["sslv3"] == "0", run.stdout


def test_check_tls_version_one_byte_drip_past_the_deadline_is_critical_within_the_limit():
    # Two bytes a second: not even a 7-byte alert is whole before -t.
    def script(wire):
        wire.slow_down(0.5)
        answer_hello_with_tls12(wire)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run, "no probe was answered within 2 s")
    assert run.elapsed >= T - 0.1, f"gave up after {run.elapsed:.2f} s, before the deadline"


def test_check_tls_version_drip_past_the_deadline_for_some_versions_gives_the_timeout_state():
    # SSLv2, SSLv3 and TLS 1.0 are refused at once; the answers to TLS 1.1, 1.2 and 1.3 drip at two
    # bytes a second. The run ran out of time with versions undecided: that is the -t state
    # (common/README.md, Output: "Running out of time: the -t SECONDS:STATE state"), here WARNING.
    def script(wire):
        content_type, _, fragment = wire.read_record()
        if content_type == 22 and parse_client_hello(fragment)[0] >= 0x0302:
            wire.slow_down(0.5)
        wire.send(alert_record())
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port, timeout_state="warning")
    assert_state(run, "TLS_VERSION", T, "WARNING")


# --- garbage, endless text, bad records ----------------------------------------------------------

TEN_MB = garbage(10 * 1024 * 1024)


@pytest.mark.parametrize("when", ["on_accept", "after_the_hello"])
def test_check_tls_version_ten_megabytes_of_garbage_is_critical_not_ssl_tls_within_the_limit(when):
    def script(wire):
        if when == "after_the_hello":
            wire.recv_some()
        wire.send(TEN_MB)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run, "does not speak SSL/TLS")


def test_check_tls_version_endless_text_line_is_critical_not_ssl_tls_within_the_limit():
    def script(wire):
        wire.send(b"HTTP/1.1 200 OK\r\nX-Endless: ")
        wire.flood(b"A" * 65536)
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run, "does not speak SSL/TLS: ", "answered with 'HTTP/1.1 200 OK'")


@pytest.mark.parametrize("header", [b"\x16\x03\x03\x48\x01", b"\x16\x03\x03\xff\xff"],
                         ids=["one_past_the_limit", "sixty_four_kib"])
def test_check_tls_version_oversized_record_header_is_critical_within_the_limit(header):
    def script(wire):
        wire.recv_some()
        wire.send(header + garbage(int.from_bytes(header[3:], "big")))
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run)


def test_check_tls_version_oversized_sslv2_header_then_silence_is_critical_within_the_limit():
    # SSLv2 framing claiming 32 KiB: the TLS probes see no TLS at once, the SSLv2 probe waits for
    # bytes that never come until -t.
    def script(wire):
        wire.recv_some()
        wire.send(b"\xff\xff" + b"\x04" * 16)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    critical(run)


def test_check_tls_version_hello_request_flood_before_the_server_hello_leaves_every_version_unknown():
    def script(wire):
        wire.recv_some()
        wire.flood(HELLO_REQUEST_RECORD * 16384)
    with Peer(script) as server:
        run = tls_version(server.port)
    assert_state(run, "TLS_VERSION", T, "UNKNOWN", "accepts no version")
    assert not ({"tls1_0", "tls1_1", "tls1_2", "tls1_3"} & set(run.perfdata)), run.stdout


def test_check_tls_version_hello_request_flood_after_the_server_hello_changes_no_verdict():
    def script(wire):
        if answer_hello_with_tls12(wire):
            wire.flood(HELLO_REQUEST_RECORD * 16384)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port)
    assert_state(run, "TLS_VERSION", T, "OK", "accepts TLSv1.2")
    assert run.perfdata["tls1_2"] == "1" and run.perfdata["tls1_3"] == "0", run.stdout


# --- certificates too many and too big: after the ServerHello, not the probes' business ---------

def test_check_tls_version_two_hundred_certificate_chain_changes_no_verdict(deep_chain):
    with Peer(real_tls(server_context(deep_chain))) as server:
        run = tls_version(server.port)
    assert_state(run, "TLS_VERSION", T, "OK", "accepts TLSv1.2, TLSv1.3")


def test_check_tls_version_one_megabyte_certificate_changes_no_verdict(megabyte_chain):
    with Peer(real_tls(server_context(megabyte_chain))) as server:
        run = tls_version(server.port)
    assert_state(run, "TLS_VERSION", T, "OK", "accepts TLSv1.2, TLSv1.3")


# --- hostile text on an implicit-TLS port --------------------------------------------------------

EVIL = ("\u202e\u2066\u200b\u2028\u2029\ufeff\u200f\u2060\u0085\u009b".encode() +
        b"\x00\x01\x07\x08\x0b\x0c\x1b[2J\x7f|\xff\xfe\xc0\xaf\xed\xa0\x80")


def test_check_tls_version_controls_bidi_and_fake_status_lines_in_a_banner_never_reach_the_output():
    def script(wire):
        wire.send(b"220 " + EVIL + b"\rTLS_VERSION OK - all is well | a=1\r\n"
                  b"TLS_VERSION OK - fake second status | a=1\r\n")
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port, "-vvv")
    critical(run, "does not speak SSL/TLS")
    assert_no_server_text_escapes(run, "TLS_VERSION")


# --- the STARTTLS dialog before every probe ---------------------------------------------------------

def test_check_tls_version_over_starttls_smtp_endless_multi_line_reply_is_critical_within_the_limit():
    def script(wire):
        wire.send(b"220 mx\r\n")
        wire.read_line()
        wire.flood(b"250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" * 2048)
    with Peer(script) as server:
        run = tls_version(server.port, "--starttls", "smtp")
    critical(run, "smtp: dialog failed", "more than 256 lines")


def test_check_tls_version_over_starttls_ldap_thousand_levels_of_nesting_is_critical_within_the_limit():
    def script(wire):
        read_ldap_request(wire)
        wire.send(nested_sequences(1000))
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port, "--starttls", "ldap")
    critical(run, "ldap: dialog failed")


def test_check_tls_version_over_starttls_irc_notice_flood_is_critical_within_the_limit():
    def script(wire):
        wire.read_line()
        wire.flood(b":irc.hostile.test NOTICE * :*** Looking up your hostname...\r\n" * 1024)
    with Peer(script) as server:
        run = tls_version(server.port, "--starttls", "irc")
    critical(run, "irc: dialog failed", "256 IRC lines")


def test_check_tls_version_over_starttls_mysql_sixteen_megabyte_length_is_critical_within_the_limit():
    def script(wire):
        wire.send(mysql_packet(b"\x0a", length=0xFFFFFF))
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port, "--starttls", "mysql")
    critical(run, "mysql: dialog failed")


@pytest.mark.parametrize("protocol, extra", [
    ("smtp", b"250 2.0.0 injected\r\n"),
    ("postgres", b"E\x00\x00\x00\x08injected"),
    ("xmpp", b"<message from='evil@example.test'><body>injected</body></message>"),
], ids=["smtp", "postgres", "xmpp"])
def test_check_tls_version_over_starttls_injection_after_the_go_ahead_is_critical_naming_it(protocol, extra):
    def script(wire):
        starttls_dialog(wire, protocol, extra=extra)
        wire.hold()
    with Peer(script) as server:
        run = tls_version(server.port, "--starttls", protocol)
    critical(run, f"{protocol}: dialog failed", NAMES_THE_INJECTION)
