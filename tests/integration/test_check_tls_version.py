"""check_tls_version against real servers on 127.0.0.1 — openssl s_server limited to single
versions, gnutls-serv with priority strings, scapy's TLS server as a real SSLv2/SSLv3 server —
each verdict cross-checked with sslscan in the same test; scripted servers only for behaviour
no real server shows."""

import re
import subprocess
import time
from pathlib import Path

import pytest

from harness import (ScriptedServer, SilentServer, assert_plugin_shape, check_tls_version, free_port, run_plugin,
                     wait_for_port)

PLUGIN = "check_tls_version"
VERSIONS = ["sslv2", "sslv3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"]
SSLSCAN_NAMES = {"SSLv2": "sslv2", "SSLv3": "sslv3", "TLSv1.0": "tls1_0", "TLSv1.1": "tls1_1", "TLSv1.2": "tls1_2",
                 "TLSv1.3": "tls1_3"}
HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"


check = check_tls_version


def accepted(run):
    """{'sslv2': 0, ...} from our perfdata; None for a version left out (undecided). Never `U`:
    Icinga 2 cannot parse it."""
    assert "U" not in run.perfdata.values(), run.stdout
    return {v: (int(run.perfdata[v]) if v in run.perfdata else None) for v in VERSIONS}


def sslscan(port):
    """The independent verdict: sslscan's protocol detection only."""
    result = subprocess.run(["sslscan", "--no-colour", "--no-ciphersuites", "--no-renegotiation", "--no-compression",
                             "--no-heartbleed", "--no-groups", "--no-check-certificate", "--no-fallback",
                             "--no-cipher-details", f"127.0.0.1:{port}"],
                            capture_output=True, text=True, timeout=120)
    verdicts = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(SSLv2|SSLv3|TLSv1\.[0-3])\s+(enabled|disabled)", line)
        if match:
            verdicts[SSLSCAN_NAMES[match.group(1)]] = 1 if match.group(2) == "enabled" else 0
    assert set(verdicts) == set(VERSIONS), result.stdout
    return verdicts


def openssl_server(processes, chain, *flags):
    port = free_port()
    processes.start(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(chain.leaf), "-key",
                     str(chain.key), "-cert_chain", str(chain.chain), "-www", "-quiet",
                     "-cipher", "DEFAULT:@SECLEVEL=0", *flags], port)
    return port


def gnutls_server(processes, chain, priority):
    port = free_port()
    processes.start(["gnutls-serv", "-q", "-a", "--echo", "--x509certfile", str(chain.leaf), "--x509keyfile",
                     str(chain.key), "-p", str(port), "--priority", priority], port)
    return port


def scapy_server(processes, chain):
    port = free_port()
    processes.start(["/usr/bin/python3", str(HERE / "scapy_tls_server.py"), str(port), str(chain.leaf),
                     str(chain.key)], port)
    return port


@pytest.mark.parametrize("flag, only, state", [
    ("-tls1", "tls1_0", "WARNING"),
    ("-tls1_1", "tls1_1", "WARNING"),
    ("-tls1_2", "tls1_2", "OK"),
    ("-tls1_3", "tls1_3", "OK"),
])
def test_openssl_limited_to_one_version_is_seen_accepting_only_that_one(processes, chain, flag, only, state):
    port = openssl_server(processes, chain, flag)
    run = check(port, "-v")
    assert run.status == state, run.stdout
    expected = {v: int(v == only) for v in VERSIONS}
    assert accepted(run) == expected, run.stdout
    assert accepted(run) == sslscan(port)


def test_openssl_with_every_version_is_warning_for_tls10_and_tls11_and_protected_against_downgrade(processes, chain):
    port = openssl_server(processes, chain)
    run = check(port, "--fallback-scsv", "-v")
    assert run.status == "WARNING", run.stdout
    assert run.summary == (f"localhost:{port} accepts TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3; "
                           "TLSv1.0 accepted (discouraged); TLSv1.1 accepted (discouraged)")
    assert "downgrade protection: TLSv1.2 hello with TLS_FALLBACK_SCSV (best is TLSv1.3) refused with " \
           "inappropriate_fallback" in run.stdout
    assert accepted(run) == sslscan(port)


def test_tls13_server_without_x25519_answers_hello_retry_request_and_counts_as_accepted(processes, chain):
    port = openssl_server(processes, chain, "-tls1_3", "-groups", "P-256")
    run = check(port, "-v")
    assert run.status == "OK", run.stdout
    assert "TLSv1.3: accepted (HelloRetryRequest for secp256r1)" in run.stdout


@pytest.mark.parametrize("priority, expected, state", [
    ("NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3", {"tls1_2", "tls1_3"}, "OK"),
    ("NORMAL:-VERS-ALL:+VERS-TLS1.0:+VERS-TLS1.1", {"tls1_0", "tls1_1"}, "WARNING"),
    ("NORMAL:-VERS-TLS1.3", {"tls1_0", "tls1_1", "tls1_2"}, "WARNING"),
])
def test_gnutls_priority_strings_are_seen_as_configured(processes, chain, priority, expected, state):
    port = gnutls_server(processes, chain, priority)
    run = check(port, "--fallback-scsv", "-v")
    assert run.status == state, run.stdout
    assert accepted(run) == {v: int(v in expected) for v in VERSIONS}, run.stdout
    assert accepted(run) == sslscan(port)
    assert "refused with inappropriate_fallback" in run.stdout


def test_scapy_sslv2_and_sslv3_server_is_critical_and_agrees_with_sslscan(processes, chain):
    port = scapy_server(processes, chain)
    run = check(port, "-v", "-t", "30")
    assert run.status == "CRITICAL", run.stdout
    assert "SSLv2 accepted (forbidden); SSLv3 accepted (forbidden)" in run.summary
    assert accepted(run)["sslv2"] == 1 and accepted(run)["sslv3"] == 1
    assert "SSLv2: accepted (SERVER-HELLO with 7 cipher kinds)" in run.stdout
    assert accepted(run) == sslscan(port)


def test_server_ignoring_fallback_scsv_is_warning(processes, chain):
    port = scapy_server(processes, chain)
    run = check(port, "--fallback-scsv", "--forbid", "none", "--discourage", "none", "-t", "30")
    assert run.status == "WARNING", run.stdout
    assert "no downgrade protection (RFC 7507): TLSv1.2 hello with TLS_FALLBACK_SCSV (best is TLSv1.3) accepted" \
        in run.summary


def test_required_version_missing_is_critical(processes, chain):
    port = openssl_server(processes, chain, "-tls1_2")
    run = check(port, "--require", "tls1.3")
    assert run.status == "CRITICAL", run.stdout
    assert "TLSv1.3 not accepted (required)" in run.summary


def test_service_accepting_only_forbidden_versions_accepts_none_of_the_allowed(processes, chain):
    port = openssl_server(processes, chain, "-tls1_2")
    run = check(port, "--forbid", "tls1.2")
    assert run.status == "CRITICAL", run.stdout
    assert "TLSv1.2 accepted (forbidden); accepts none of the allowed versions" in run.summary


def sslv2_zero_cipher_handler(connection):
    """Answers an SSLv2 CLIENT-HELLO with a SERVER-HELLO listing no ciphers (as OpenSSL 1.0.1 did
    with every SSLv2 cipher disabled, CVE-2015-3197); closes on anything else."""
    first = connection.recv(2)
    if first and first[0] & 0x80:
        for line in (DATA / "sslv2_server_hello.vec").read_text().splitlines():
            if line.startswith("input = ") and zero_cipher_marker[0]:
                message = bytes.fromhex(line[len("input = "):])
                connection.sendall(bytes([0x80 | (len(message) >> 8), len(message) & 0xFF]) + message)
                return
            zero_cipher_marker[0] = line == "[zero_ciphers]"


zero_cipher_marker = [False]


def test_sslv2_server_hello_without_ciphers_still_counts_as_accepted():
    zero_cipher_marker[0] = False
    with ScriptedServer(sslv2_zero_cipher_handler) as server:
        run = check(server.port, "-v", "-t", "5")
    assert run.status == "CRITICAL", run.stdout
    assert "SSLv2 accepted (forbidden), with no ciphers" in run.summary
    assert "SSLv2: accepted (SERVER-HELLO lists no ciphers (SSLv2 is still enabled))" in run.stdout
    assert accepted(run)["sslv2"] == 1


def http_error_handler(connection):
    connection.recv(4096)
    connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")


def test_http_error_page_is_critical_and_names_what_was_answered():
    with ScriptedServer(http_error_handler) as server:
        run = check(server.port, "-t", "3", "-v")
    assert run.status == "CRITICAL", run.stdout
    assert run.summary.endswith("does not speak SSL/TLS: TLSv1.3 hello answered with 'HTTP/1.1 400 Bad Request'")
    assert run.elapsed < 4.0
    assert all(value is None for value in accepted(run).values())
    assert "TLSv1.2: undecided (not TLS: 'HTTP/1.1 400 Bad Request'" in run.stdout
    assert "left out of the perfdata" in run.stdout


def test_server_that_closes_silently_accepts_nothing_and_is_critical():
    with ScriptedServer(lambda connection: None) as server:
        run = check(server.port, "-v", "-t", "3")
    assert run.status == "CRITICAL", run.stdout
    assert "accepts no version; accepts none of the allowed versions" in run.summary
    assert accepted(run) == {v: 0 for v in VERSIONS}
    assert "connection closed without an answer" in run.stdout


@pytest.mark.parametrize("timeout, state", [("2", "CRITICAL"), ("2:unknown", "UNKNOWN")])
def test_server_that_never_answers_ends_within_the_limit_with_the_timeout_state(timeout, state):
    with SilentServer() as server:
        run = check(server.port, "-t", timeout)
    assert run.status == state, run.stdout
    assert "no probe was answered within 2 s" in run.summary
    assert 1.9 < run.elapsed < 3.0


def test_refused_port_is_critical_and_counts_its_connections():
    port = free_port()
    run = check(port)
    assert run.status == "CRITICAL", run.stdout
    assert f"connect to 127.0.0.1:{port}: Connection refused" in run.summary
    # every probe tried once; nothing reached the service, so nothing is retried
    assert run.perf_value("connections") == 6, run.first_line


@pytest.mark.parametrize("args, reason", [
    (["--forbid", "tls1.4"], "bad --forbid: 'tls1.4' is not one of"),
    (["--require", "sslv2", "--forbid", "sslv2"], "both forbidden and required"),
    (["--discourage", "tls1.0,"], "bad --discourage: '' is not one of"),
    (["--starttls", "bogus"], "bad --starttls 'bogus': want auto, none, smtp, submission"),
])
def test_bad_policy_lists_are_one_unknown_line(args, reason):
    run = run_plugin(PLUGIN, "-H", "localhost", *args)
    assert_plugin_shape(run, "TLS_VERSION")
    assert run.status == "UNKNOWN", run.stdout
    assert reason in run.first_line
    assert len(run.stdout.splitlines()[1]) <= 80
