"""check_tls_cert against hostile peers: every case ends within -t + 0.5 s with one well-formed
line (exit code = its state), at most one '|', under 4 KiB, nothing on stderr — and, where the
right answer is clear, with that state and a reason that names what the server did."""

import pytest

from contained import CLOSED, NAMES_THE_INJECTION, assert_no_server_text_escapes, assert_state, run_check
from harness import openssl_server
from hostile_servers import (HELLO_REQUEST_RECORD, Peer, evil_names_chain, garbage, nested_sequences,
                             parse_client_hello, read_ldap_request, real_tls, real_tls_after, server_context,
                             server_hello_tls12, starttls_dialog)

T = 2  # -t for every case: the suite stays fast, and the limit is -t + 0.5 s


def tls_cert(port, *args, ca=None, timeout=T):
    argv = ["-H", "localhost", "-I", "127.0.0.1", "-p", port, *args]
    if ca is not None:
        argv += ["--ca-file", ca]
    return run_check("check_tls_cert", *argv, timeout=timeout)


def critical(run, *reasons, timeout=T):
    return assert_state(run, "TLS_CERT", timeout, "CRITICAL", *reasons)


# --- the connection itself ------------------------------------------------------------------------

def test_check_tls_cert_silent_server_is_critical_timeout_within_the_limit():
    with Peer(lambda wire: wire.hold()) as server:
        run = tls_cert(server.port)
    critical(run, "timed out")


def test_check_tls_cert_close_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: None) as server:
        run = tls_cert(server.port)
    critical(run, CLOSED)


def test_check_tls_cert_reset_right_after_accept_is_critical_within_the_limit():
    with Peer(lambda wire: wire.reset()) as server:
        run = tls_cert(server.port)
    critical(run, CLOSED)


def test_check_tls_cert_reset_after_the_client_hello_is_critical_within_the_limit():
    def script(wire):
        wire.read_record()
        wire.reset()
    with Peer(script) as server:
        run = tls_cert(server.port)
    critical(run, CLOSED)


# --- 1-byte drip -----------------------------------------------------------------------------------

def test_check_tls_cert_one_byte_drip_within_the_deadline_still_judges_the_chain(ec_chain):
    # The whole server flight, one byte per segment at 0.5 ms: about 1.2 KB for a P-256 chain.
    context = server_context(ec_chain)

    def script(wire):
        wire.slow_down(0.0005)
        real_tls(context)(wire)
    with Peer(script) as server:
        run = tls_cert(server.port, ca=ec_chain.root, timeout=3)
    assert_state(run, "TLS_CERT", 3, "OK")


def test_check_tls_cert_one_byte_drip_past_the_deadline_is_critical_within_the_limit(ec_chain):
    # 50 bytes a second: each byte wakes the handshake, only -t ends it.
    context = server_context(ec_chain)

    def script(wire):
        wire.slow_down(0.02)
        real_tls(context)(wire)
    with Peer(script) as server:
        run = tls_cert(server.port, ca=ec_chain.root)
    critical(run, "timed out")
    assert run.elapsed >= T - 0.1, f"gave up after {run.elapsed:.2f} s, before the deadline"


# --- garbage, endless text, bad records ----------------------------------------------------------

TEN_MB = garbage(10 * 1024 * 1024)


@pytest.mark.parametrize("when", ["on_accept", "after_the_client_hello"])
def test_check_tls_cert_ten_megabytes_of_garbage_is_critical_within_the_limit(when):
    def script(wire):
        if when == "after_the_client_hello":
            wire.read_record()
        wire.send(TEN_MB)
        wire.hold()
    with Peer(script) as server:
        run = tls_cert(server.port)
    critical(run, "TLS handshake")


def test_check_tls_cert_endless_text_line_is_critical_within_the_limit():
    def script(wire):
        wire.send(b"HTTP/1.1 200 OK\r\nX-Endless: ")
        wire.flood(b"A" * 65536)
    with Peer(script) as server:
        run = tls_cert(server.port)
    critical(run, "TLS handshake")


@pytest.mark.parametrize("length", [0x4801, 0xFFFF], ids=["one_past_the_limit", "sixty_four_kib"])
def test_check_tls_cert_oversized_record_header_is_critical_within_the_limit(length):
    def script(wire):
        wire.read_record()
        wire.send(b"\x16\x03\x03" + length.to_bytes(2, "big") + garbage(length))
        wire.hold()
    with Peer(script) as server:
        run = tls_cert(server.port)
    critical(run, "TLS handshake")


def _hello_request_flood(after_server_hello):
    def script(wire):
        _, _, hello = wire.read_record()
        if after_server_hello:
            wire.send(server_hello_tls12(parse_client_hello(hello)[1]))
        wire.flood(HELLO_REQUEST_RECORD * 16384)
    return script


def test_check_tls_cert_hello_request_flood_before_the_server_hello_is_critical_within_the_limit():
    with Peer(_hello_request_flood(after_server_hello=False)) as server:
        run = tls_cert(server.port)
    critical(run, "TLS handshake")


def test_check_tls_cert_hello_request_flood_after_the_server_hello_is_critical_within_the_limit():
    with Peer(_hello_request_flood(after_server_hello=True)) as server:
        run = tls_cert(server.port)
    critical(run, "TLS handshake")


# --- certificates too many and too big -------------------------------------------------------------

def test_check_tls_cert_two_hundred_certificate_chain_is_critical_and_the_output_stays_under_4_kib(
        processes, deep_chain):
    port = openssl_server(processes, deep_chain)
    run = tls_cert(port, "-vvv", ca=deep_chain.root)
    critical(run, "certificate chain too long")
    # per path element (at most 10, and life_left), never per certificate sent; then
    # time_revocation, addresses, addresses_failing and time
    assert len(run.perfdata) <= 15, run.stdout


def test_check_tls_cert_two_hundred_certificate_chain_over_starttls_is_critical(deep_chain):
    with Peer(real_tls_after("smtp", server_context(deep_chain))) as server:
        run = tls_cert(server.port, "--starttls", "smtp", "-v", ca=deep_chain.root)
    critical(run, "certificate chain too long")


def test_check_tls_cert_one_megabyte_certificate_is_critical_handshake_failure_within_the_limit(
        processes, megabyte_chain):
    port = openssl_server(processes, megabyte_chain)
    run = tls_cert(port, ca=megabyte_chain.root)
    critical(run, "TLS handshake")


# --- hostile names in the certificate --------------------------------------------------------------

EVIL = "\u202e\u2066\u200b\u2028\u2029\ufeff\u200f\u2060\u0085\u009b\x00\x01\x07\x08\x0b\x0c\x1b[2J\x7f|"
FAKE = "TLS_CERT OK - all is well | a=1"


@pytest.fixture(scope="module")
def evil_chain(pki_directory):
    return evil_names_chain(pki_directory, EVIL, FAKE)


def test_check_tls_cert_controls_bidi_and_fake_status_lines_in_a_trusted_subject_never_reach_the_output(evil_chain):
    # The path is valid and trusted for localhost: OK, and the subject is shown (-vvv) sanitized.
    with Peer(real_tls(server_context(evil_chain))) as server:
        run = tls_cert(server.port, "-vvv", ca=evil_chain.root)
    assert_state(run, "TLS_CERT", T, "OK")
    assert "Hostile" in run.stdout, run.stdout  # the subject is printed, so sanitizing is what is tested
    assert_no_server_text_escapes(run, "TLS_CERT")


def test_check_tls_cert_controls_bidi_and_fake_status_lines_in_an_untrusted_mismatched_subject_never_reach_the_output(
        evil_chain):
    # No CA given, a name the certificate does not hold: CRITICAL, with the subject and its names
    # in the findings.
    with Peer(real_tls(server_context(evil_chain))) as server:
        run = run_check("check_tls_cert", "-H", "evil.hostile.test", "-I", "127.0.0.1", "-p", server.port, "-vvv",
                        timeout=T)
    critical(run)
    assert_no_server_text_escapes(run, "TLS_CERT")


# --- the STARTTLS dialog, through check_tls_cert ----------------------------------------------------

def test_check_tls_cert_over_starttls_smtp_endless_multi_line_reply_is_critical_within_the_limit():
    def script(wire):
        wire.send(b"220 mx\r\n")
        wire.read_line()
        wire.flood(b"250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n" * 2048)
    with Peer(script) as server:
        run = tls_cert(server.port, "--starttls", "smtp")
    critical(run, "more than 256 lines")


def test_check_tls_cert_over_starttls_ldap_thousand_levels_of_nesting_is_critical_within_the_limit():
    def script(wire):
        read_ldap_request(wire)
        wire.send(nested_sequences(1000))
        wire.hold()
    with Peer(script) as server:
        run = tls_cert(server.port, "--starttls", "ldap")
    critical(run, "ldap: dialog failed")


@pytest.mark.parametrize("protocol, extra", [
    ("smtp", b"250 2.0.0 injected\r\n"),
    ("xmpp", b"<message from='evil@example.test'><body>injected</body></message>"),
], ids=["smtp", "xmpp"])
def test_check_tls_cert_over_starttls_injection_after_the_go_ahead_is_critical_naming_it(protocol, extra):
    def script(wire):
        starttls_dialog(wire, protocol, extra=extra)
        wire.hold()
    with Peer(script) as server:
        run = tls_cert(server.port, "--starttls", protocol)
    critical(run, f"{protocol}: dialog failed", NAMES_THE_INJECTION)
