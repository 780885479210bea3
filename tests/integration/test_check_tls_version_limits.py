"""check_tls_version against services that limit or reset connections: a real xinetd with a
per-address limit in front of openssl s_server, a real InspIRCd with one behind STARTTLS, scripted
servers only for the resets no real server is configured to send. Every run of the same service
must give the same verdict."""

import socket
import subprocess
import struct

import pytest

from harness import ScriptedServer, assert_plugin_shape, check_tls_version, openssl_server, run_plugin
from servers import inspircd, ngircd, xinetd_limited

PLUGIN = "check_tls_version"
VERSIONS = ["sslv2", "sslv3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"]


check = check_tls_version


def verdict(run):
    """What a run decided: its state and every version's perfdata value."""
    return run.status, {v: run.perfdata.get(v) for v in VERSIONS}


def reset_at_once(connection):
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def reset_after_the_hello(connection):
    connection.recv(4096)
    reset_at_once(connection)


@pytest.mark.parametrize("max_connections", [None, "6"])
def test_per_address_limit_of_four_gives_the_same_verdict_as_without_a_limit(processes, chain, tmp_path,
                                                                              max_connections):
    backend = openssl_server(processes, chain)
    limited = xinetd_limited(processes, tmp_path, backend, per_source=4)
    args = ["--max-connections", max_connections] if max_connections else []
    unlimited = check(backend, *args)
    assert unlimited.status == "WARNING", unlimited.stdout  # TLS 1.0 and 1.1 are discouraged
    for _ in range(10):
        run = check(limited, *args)
        assert verdict(run) == verdict(unlimited), run.stdout
        assert run.perf_value("connections") >= 6, run.stdout
    # Six at once run into the limit; the probes it closed were retried alone.
    if max_connections == "6":
        assert "FAIL: tls-checks-limited per_source_limit" in (tmp_path / "xinetd.log").read_text()


def test_irc_daemon_limiting_connections_per_address_behind_starttls_gives_the_same_verdict(processes, chain,
                                                                                             tmp_path):
    (tmp_path / "free").mkdir()
    (tmp_path / "limited").mkdir()
    unlimited = check(inspircd(processes, tmp_path / "free", chain), "--starttls", "irc")
    # Two at most: below the default of three, so the limit's "ERROR :Closing link" ends some
    # dialogs and those probes are retried alone.
    port = inspircd(processes, tmp_path / "limited", chain, per_address=2)
    assert unlimited.status == "WARNING", unlimited.stdout
    runs = [check(port, "--starttls", "irc", "-v") for _ in range(10)]
    for run in runs:
        assert verdict(run) == verdict(unlimited), run.stdout
        assert run.perf_value("connections") >= 6, run.stdout
    assert any("retried alone, the first connection got no TLS answer" in run.stdout for run in runs)


@pytest.mark.parametrize("handler", [reset_at_once, reset_after_the_hello])
def test_server_that_resets_every_connection_gives_one_verdict_on_every_run(handler):
    with ScriptedServer(handler) as server:
        runs = [check(server.port, "-t", "5") for _ in range(20)]
    verdicts = {repr(verdict(run)) for run in runs}
    assert len(verdicts) == 1, [run.first_line for run in runs]
    run = runs[0]
    assert run.status == "CRITICAL", run.stdout
    assert "accepts none of the allowed versions" in run.summary
    assert {v: run.perfdata[v] for v in VERSIONS} == {v: "0" for v in VERSIONS}
    # Every probe was closed before an answer and retried once alone.
    assert all(r.perf_value("connections") == 12 for r in runs), [r.first_line for r in runs]


def test_one_connection_at_a_time_still_decides_all_six_versions(processes, chain):
    port = openssl_server(processes, chain)
    default = check(port)
    run = check(port, "--max-connections", "1", "-v")
    assert verdict(run) == verdict(default), run.stdout
    assert all(run.perfdata[v] in ("0", "1") for v in VERSIONS), run.stdout
    assert run.perf_value("connections") == 6
    assert list(run.perfdata)[-4:] == ["connections", "addresses", "addresses_failing", "time"], run.first_line


@pytest.mark.parametrize("value", ["0", "65", "x", "3.5", ""])
def test_bad_max_connections_is_one_unknown_line(value):
    run = run_plugin(PLUGIN, "-H", "localhost", "--max-connections", value)
    assert_plugin_shape(run, "TLS_VERSION")
    assert run.status == "UNKNOWN", run.stdout
    assert f"bad --max-connections: '{value}' is not a number from 1 to 64" in run.first_line
    assert len(run.stdout.splitlines()) == 2 and run.stdout.splitlines()[1].startswith("Usage:"), run.stdout


def test_ngircd_per_address_limit_and_gnutls_fallback_refusal_give_one_right_verdict(processes, chain, tmp_path):
    # A real GnuTLS daemon: ngIRCd closes what exceeds MaxConnectionsIP, and answers a hello with
    # TLS_FALLBACK_SCSV with close_notify, no ServerHello: the downgrade fails, so it is protection.
    port = ngircd(processes, tmp_path, chain, max_per_address=2)
    runs = [check(port, "--fallback-scsv", "-v") for _ in range(10)]
    assert all(verdict(run) == verdict(runs[0]) for run in runs), "\n".join(run.stdout for run in runs)
    run = runs[0]
    assert run.perfdata["tls1_2"] == "1" and run.perfdata["tls1_3"] == "1", run.stdout
    assert run.perfdata["sslv2"] == "0" and run.perfdata["sslv3"] == "0", run.stdout
    assert "downgrade protection: TLSv1.2 hello with TLS_FALLBACK_SCSV (best is TLSv1.3) refused (alert close_notify" \
        in run.stdout
    assert "no downgrade protection" not in run.stdout
    sslscan = subprocess.run(["sslscan", "--no-colour", "--no-ciphersuites", "--no-groups", "--no-heartbleed",
                              f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=60).stdout
    assert "Server supports TLS Fallback SCSV" in sslscan
