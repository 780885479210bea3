"""check_starttls (and check_tls_cert / check_tls_version over STARTTLS) against real servers
from Debian on 127.0.0.1: postfix, dovecot, slapd, vsftpd, postgresql, mariadb, prosody, INN's
nnrpd and InspIRCd. Every successful dialog is compared with `openssl s_client -starttls`.
Scripted servers only for what no real server does: STARTTLS stripped from a capability list
by a man in the middle, a 454 refusal, garbage, an endless reply, a reply split across TCP
segments, data injected after the go-ahead."""

import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import servers
from harness import Processes, ScriptedServer, SilentServer, assert_plugin_shape, run_plugin
from pki import Spec, standard_chain


@pytest.fixture(scope="module")
def world():
    """Every real server once for the whole module: starting them costs seconds each."""
    processes = Processes()
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        root = Path(directory)
        chain = standard_chain(root, Spec("localhost", dns_names=["localhost", "example.test"]))

        def sub(name):
            path = root / name
            path.mkdir()
            return path
        try:
            ports = {}
            dovecot_ports, sasl_socket = servers.dovecot(processes, sub("dovecot"), chain)
            ports.update(dovecot_ports)
            postfix_ports = servers.postfix(processes, sub("postfix"), chain, sasl_socket=sasl_socket)
            ports["smtp"] = postfix_ports["smtp"]
            ports["submission"] = postfix_ports["submission"]
            ports["smtp-without-starttls"] = postfix_ports["plain"]
            ports["ldap"] = servers.slapd(processes, sub("slapd"), chain)
            ports["ldap-without-tls"] = servers.slapd(processes, sub("slapd-plain"), chain, tls=False)
            ports["ftp"] = servers.vsftpd(processes, sub("vsftpd"), chain)
            ports["ftp-without-tls"] = servers.vsftpd(processes, sub("vsftpd-plain"), chain, tls=False)
            ports["postgres"] = servers.postgresql(processes, sub("postgres"), chain)
            ports["postgres-without-ssl"] = servers.postgresql(processes, sub("postgres-plain"), chain, ssl=False)
            ports["mysql"] = servers.mariadb(processes, sub("mariadb"), chain)
            ports["mysql-without-ssl"] = servers.mariadb(processes, sub("mariadb-plain"), chain, ssl=False)
            ports.update(servers.prosody(processes, sub("prosody"), chain))
            ports["nntp"] = servers.inn_nnrpd(processes, sub("inn"), chain)
            ports["irc"] = servers.inspircd(processes, sub("inspircd"), chain)
            yield {"ports": ports, "chain": chain}
        finally:
            processes.stop_all()


def starttls(port, protocol, *args, host="localhost"):
    limit = [] if "-t" in args else ["-t", "10"]
    run = run_plugin("check_starttls", "-H", host, "-I", "127.0.0.1", "-p", port, "--starttls", protocol, *limit, *args)
    assert_plugin_shape(run, "STARTTLS")
    return run


def s_client(port, protocol, host="localhost"):
    """The independent implementation: does `openssl s_client -starttls` complete a handshake?"""
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-starttls", protocol, "-brief"]
    if protocol.startswith("xmpp"):
        argv += ["-xmpphost", host]
    result = subprocess.run(argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=30)
    return result.returncode == 0 and "Protocol version:" in result.stderr


# protocol as we name it, the server's port key, openssl's -starttls name, -H
REAL = [
    ("smtp", "smtp", "smtp", "localhost"),
    ("submission", "submission", "smtp", "localhost"),
    ("lmtp", "lmtp", "lmtp", "localhost"),
    ("pop3", "pop3", "pop3", "localhost"),
    ("imap", "imap", "imap", "localhost"),
    ("sieve", "sieve", "sieve", "localhost"),
    ("ftp", "ftp", "ftp", "localhost"),
    ("ldap", "ldap", "ldap", "localhost"),
    ("postgres", "postgres", "postgres", "localhost"),
    ("mysql", "mysql", "mysql", "localhost"),
    ("xmpp", "xmpp", "xmpp", "example.test"),
    ("xmpp-server", "xmpp-server", "xmpp-server", "example.test"),
    ("nntp", "nntp", "nntp", "localhost"),
    ("irc", "irc", "irc", "localhost"),
]


@pytest.mark.parametrize("protocol, key, openssl_name, host", REAL, ids=[r[0] for r in REAL])
def test_real_server_offers_starttls_and_the_upgrade_completes_like_openssl_s_client(world, protocol, key,
                                                                                      openssl_name, host):
    port = world["ports"][key]
    run = starttls(port, protocol, "-v", "--plaintext-auth", "ok", host=host)
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"{protocol} on {host}:{port}: STARTTLS offered, TLSv1.3 TLS_AES_256_GCM_SHA384")
    assert set(run.perfdata) == {"time_banner", "time_starttls", "time_handshake", "addresses", "addresses_failing", "time"}
    assert "capabilities before TLS: " in run.stdout
    assert s_client(port, openssl_name, host), f"openssl s_client -starttls {openssl_name} failed on {protocol}"


@pytest.mark.parametrize("protocol, expected", [
    ("smtp", "PIPELINING"), ("lmtp", "8BITMIME"), ("imap", "IMAP4rev1"), ("pop3", "UIDL"),
    ("nntp", "AUTHINFO USER"), ("sieve", "IMPLEMENTATION"), ("xmpp", "mechanisms"),
])
def test_capabilities_are_read_again_over_tls(world, protocol, expected):
    host = "example.test" if protocol == "xmpp" else "localhost"
    run = starttls(world["ports"][protocol], protocol, "-v", "--plaintext-auth", "ok", host=host)
    after = next(line for line in run.stdout.splitlines() if line.startswith("capabilities after TLS: "))
    assert expected in after, run.stdout
    assert "STARTTLS" not in after.split(": ", 1)[1].upper().split(", ")


@pytest.mark.parametrize("key, protocol, openssl_name, reason", [
    ("smtp-without-starttls", "smtp", "smtp", "STARTTLS not offered (the capabilities do not list it)"),
    ("ftp-without-tls", "ftp", "ftp", "STARTTLS not offered"),
    ("ldap-without-tls", "ldap", "ldap", "STARTTLS not offered (resultCode 2"),
    ("postgres-without-ssl", "postgres", "postgres", "STARTTLS not offered (the server answered 'N': SSL is off)"),
    ("mysql-without-ssl", "mysql", "mysql", "STARTTLS not offered (the greeting lacks CLIENT_SSL)"),
])
def test_real_server_without_starttls_is_critical_and_s_client_fails_too(world, key, protocol, openssl_name, reason):
    port = world["ports"][key]
    run = starttls(port, protocol)
    assert run.status == "CRITICAL", run.stdout
    assert reason in run.summary
    assert not s_client(port, openssl_name)


def test_postfix_submission_offering_auth_before_tls_is_reported_by_plaintext_auth_state(world):
    port = world["ports"]["submission"]
    warning = starttls(port, "submission")
    assert warning.status == "WARNING", warning.stdout
    assert "plaintext login possible before TLS: AUTH PLAIN LOGIN advertised before STARTTLS" in warning.summary
    assert starttls(port, "submission", "--plaintext-auth", "critical").status == "CRITICAL"
    assert starttls(port, "submission", "--plaintext-auth", "ok").status == "OK"
    # plain smtp on the same postfix offers no AUTH at all
    assert starttls(world["ports"]["smtp"], "smtp").status == "OK"


def test_dovecot_pop3_user_before_stls_is_plaintext_login(world):
    run = starttls(world["ports"]["pop3"], "pop3")
    assert run.status == "WARNING", run.stdout
    assert "USER advertised before STLS" in run.summary


def test_auto_picks_the_dialog_from_the_port_and_implicit_tls_ports_are_refused():
    run = run_plugin("check_starttls", "-H", "localhost", "-p", "443")
    assert run.status == "UNKNOWN"
    assert "port 443 is no STARTTLS port" in run.first_line
    assert "--starttls none" in run_plugin("check_starttls", "-H", "localhost", "--starttls", "none").first_line


def test_check_tls_cert_reads_the_certificate_after_starttls(world):
    run = run_plugin("check_tls_cert", "-H", "localhost", "-p", world["ports"]["smtp"], "--starttls", "smtp",
                     "--ca-file", world["chain"].root, "-v")
    assert_plugin_shape(run, "TLS_CERT")
    assert run.status == "OK", run.stdout
    assert "via STARTTLS (smtp)" in run.stdout
    missing = run_plugin("check_tls_cert", "-H", "localhost", "-p", world["ports"]["smtp-without-starttls"],
                         "--starttls", "smtp")
    assert missing.status == "CRITICAL"
    assert "smtp: STARTTLS not offered" in missing.summary


def test_xmpp_stream_error_is_named_with_a_hint_when_h_is_an_address(world):
    # Prosody answers a stream to a domain it does not host with <host-unknown/> (RFC 6120 4.9.3.6).
    run = starttls(world["ports"]["xmpp"], "xmpp", host="127.0.0.1")
    assert run.status == "CRITICAL", run.stdout
    assert "the server sent stream error host-unknown" in run.summary
    assert "set --xmpp-domain to the XMPP domain" in run.summary
    other = starttls(world["ports"]["xmpp"], "xmpp", "--xmpp-domain", "other.test", host="127.0.0.1")
    assert "the server sent stream error host-unknown" in other.summary
    assert "--xmpp-domain" not in other.summary
    assert starttls(world["ports"]["xmpp"], "xmpp", "--xmpp-domain", "example.test", host="127.0.0.1").status == "OK"


@pytest.mark.parametrize("protocol", ["smtp", "imap", "postgres", "xmpp"])
def test_check_tls_version_runs_the_dialog_before_every_probe(world, protocol):
    host = "example.test" if protocol == "xmpp" else "localhost"
    run = run_plugin("check_tls_version", "-H", host, "-I", "127.0.0.1", "-p", world["ports"][protocol],
                     "--starttls", protocol, "-v", "-t", "15")
    assert_plugin_shape(run, "TLS_VERSION")
    assert run.perfdata["tls1_3"] == "1" and run.perfdata["tls1_2"] == "1", run.stdout
    assert run.perfdata["sslv2"] == "0" and run.perfdata["sslv3"] == "0", run.stdout


def test_check_tls_version_over_a_service_without_starttls_says_so(world):
    run = run_plugin("check_tls_version", "-H", "localhost", "-p", world["ports"]["smtp-without-starttls"],
                     "--starttls", "smtp")
    assert run.status == "CRITICAL", run.stdout
    assert "smtp: STARTTLS not offered" in run.summary


# Scripted servers: hostile and broken behaviour.

def smtp_script(*replies, after_starttls=b""):
    """An SMTP server that answers each client line with the next scripted reply."""
    def handler(connection):
        connection.sendall(replies[0])
        for reply in replies[1:]:
            data = b""
            while not data.endswith(b"\n"):
                chunk = connection.recv(1024)
                if not chunk:
                    return
                data += chunk
            if isinstance(reply, list):  # split across TCP segments
                for piece in reply:
                    connection.sendall(piece)
                    time.sleep(0.05)
            else:
                connection.sendall(reply)
        connection.sendall(after_starttls)
        time.sleep(0.5)
    return handler


def test_starttls_stripped_by_a_man_in_the_middle_is_critical_and_lists_what_was_offered():
    # What "STARTTLS stripping" looks like on the wire: the keyword is overwritten.
    script = smtp_script(b"220 mx ESMTP\r\n", b"250-mx\r\n250-PIPELINING\r\n250-XXXXXXXA\r\n250 8BITMIME\r\n")
    with ScriptedServer(script) as server:
        run = starttls(server.port, "smtp", "-v")
    assert run.status == "CRITICAL", run.stdout
    assert "STARTTLS not offered" in run.summary
    assert "capabilities before TLS: PIPELINING, XXXXXXXA, 8BITMIME" in run.stdout


def test_454_refusal_is_critical_with_the_servers_reply():
    script = smtp_script(b"220 mx\r\n", b"250-mx\r\n250 STARTTLS\r\n", b"454 4.7.0 TLS not available due to local problem\r\n")
    with ScriptedServer(script) as server:
        run = starttls(server.port, "smtp")
    assert run.status == "CRITICAL", run.stdout
    assert "STARTTLS refused: 454 4.7.0 TLS not available due to local problem" in run.summary


def test_garbage_banner_is_critical_protocol_error():
    with ScriptedServer(lambda c: c.sendall(b"\x00\xffHTTP/1.1 400 Bad Request\r\n")) as server:
        run = starttls(server.port, "smtp")
    assert run.status == "CRITICAL", run.stdout
    assert "dialog failed: malformed reply line" in run.summary
    assert run.first_line.count("|") == 1


def test_endless_multiline_reply_ends_quickly_with_an_error():
    def endless(connection):
        connection.sendall(b"220 mx\r\n")
        connection.recv(1024)
        try:
            for _ in range(100000):
                connection.sendall(b"250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n")
        except OSError:
            pass
    with ScriptedServer(endless) as server:
        run = starttls(server.port, "smtp", "-t", "10")
    assert run.status == "CRITICAL", run.stdout
    assert "more than 256 lines" in run.summary
    assert run.elapsed < 3


def test_reply_split_across_tcp_segments_is_read_whole():
    script = smtp_script(b"220 mx\r\n", [b"250-mx\r\n250-STA", b"RTT", b"LS\r\n250 ", b"8BITMIME\r\n"],
                         b"220 go ahead\r\n")
    with ScriptedServer(script) as server:
        run = starttls(server.port, "smtp", "-t", "3")
    # The dialog succeeds; the script does not speak TLS, so the handshake then fails.
    assert run.status == "CRITICAL", run.stdout
    assert "after STARTTLS" in run.summary or "handshake" in run.summary


def test_data_injected_after_the_go_ahead_is_refused_before_any_tls():
    script = smtp_script(b"220 mx\r\n", b"250-mx\r\n250 STARTTLS\r\n", b"220 go ahead\r\n250 injected\r\n")
    with ScriptedServer(script) as server:
        run = starttls(server.port, "smtp")
    assert run.status == "CRITICAL", run.stdout
    assert "injection" in run.summary


def test_silent_server_ends_within_the_limit_with_the_timeout_state():
    with SilentServer() as server:
        run = starttls(server.port, "imap", "-t", "2:unknown")
    assert run.status == "UNKNOWN", run.stdout
    assert "timed out" in run.summary
    assert 1.9 < run.elapsed < 3.0
