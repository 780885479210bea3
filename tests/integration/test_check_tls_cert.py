"""check_tls_cert against real `openssl s_server` processes on 127.0.0.1, with certificates made
at test time."""

import socket
import subprocess

import pytest
from cryptography.hazmat.primitives import hashes

from addresses import ipv6_loopback_available
from harness import SilentServer, assert_plugin_shape, check_tls_cert, free_port, openssl_server, run_plugin
from pki import Spec, ec_key, issue, rsa_key, standard_chain, write_chain

PLUGIN = "check_tls_cert"


check = check_tls_cert


def serve(processes, tmp_path, leaf_spec, **kwargs):
    chain = standard_chain(tmp_path, leaf_spec, **kwargs)
    return openssl_server(processes, chain), chain


def test_valid_chain_is_ok_with_days_left_for_every_path_element(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_after_days=200.5))
    run = check(port, ca=chain.root)
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"localhost:{port} CN=localhost expires in 200.")
    assert 200.3 < run.perf_value("days_left") < 200.6
    assert run.perfdata["days_left"].endswith(";30:;14:")
    assert 1824 < run.perf_value("days_left_intermediate1") < 1826
    # the anchor is on the path although the server does not send it
    assert 3649 < run.perf_value("days_left_anchor") < 3651
    assert 99 < run.perf_value("life_left") <= 100
    assert run.perfdata["time"].endswith("s")
    assert "\n" not in run.stdout.rstrip("\n")  # no long output when OK without -v


def test_verbose_lists_every_path_element_with_its_facts_and_origin(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost"))
    run = check(port, "-v", ca=chain.root)
    assert run.status == "OK"
    lines = run.stdout.splitlines()
    leaf = next(line for line in lines if line.startswith("leaf (sent): "))
    intermediate = next(line for line in lines if line.startswith("intermediate 1 (sent): "))
    anchor = next(line for line in lines if line.startswith("anchor (not sent, from the trust store): "))
    assert "subject: CN=localhost; issuer: CN=tls-checks test intermediate" in leaf
    assert "key: RSA 2048 bits; signature: sha256WithRSAEncryption" in leaf
    assert "sha256: " in leaf and "serial: " in leaf
    assert "issuer: CN=tls-checks test root" in intermediate
    assert "subject: CN=tls-checks test root" in anchor
    assert any(line.startswith("negotiated TLSv1.3 ") for line in lines)
    assert "chain is trusted: path of 3 to anchor CN=tls-checks test root" in lines


def test_twenty_days_left_is_warning(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_before_days=-345, not_after_days=20))
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "CN=localhost expires in 20 days" in run.summary or "expires in 19.9 days" in run.summary


def test_five_days_left_is_critical(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_before_days=-360, not_after_days=5))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "expires in" in run.summary
    assert 4.9 < run.perf_value("days_left") <= 5


def test_expired_leaf_is_critical_and_says_since_when(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_before_days=-30, not_after_days=-2.5))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "CN=localhost expired 2.5 days ago" in run.summary
    assert run.perf_value("days_left") < -2.4
    # Expiry is reported by the expiry check, not repeated as a trust failure.
    assert "untrusted" not in run.stdout


def test_not_yet_valid_leaf_is_critical(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_before_days=3, not_after_days=300))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "CN=localhost is not yet valid (valid from" in run.summary


def test_wrong_name_is_critical_and_lists_the_names(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("other.example", dns_names=["other.example", "www.other.example"]))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "name mismatch: localhost is not in DNS:other.example, DNS:www.other.example" in run.summary
    assert check(port, "--ignore-name", ca=chain.root).status == "OK"
    assert check(port, "--name", "www.other.example", ca=chain.root).status == "OK"


def test_untrusted_root_is_critical_with_openssl_reason(processes, tmp_path):
    port, _ = serve(processes, tmp_path, Spec("localhost"))
    other_root = issue(Spec("some other root", is_ca=True, key=rsa_key(2048, 3)))
    other = tmp_path / "other-root.pem"
    other.write_bytes(other_root.pem())
    for run in (check(port, ca=other), check(port)):  # a foreign CA file, then the system store
        assert run.status == "CRITICAL", run.stdout
        assert "untrusted: unable to get local issuer certificate (intermediate 1 CN=tls-checks test intermediate)" \
            in run.summary
        assert "chain is trusted" not in run.stdout
    assert check(port, "--ignore-trust").status == "OK"


def test_ca_path_directory_is_trusted(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost"))
    anchors = tmp_path / "anchors"
    anchors.mkdir()
    (anchors / "root.pem").write_bytes(chain.root.read_bytes())
    subprocess.run(["openssl", "rehash", str(anchors)], check=True, capture_output=True)
    assert check(port, "--ca-path", anchors).status == "OK"


def test_intermediate_expiring_before_the_leaf_is_caught(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_after_days=300),
                        intermediate_spec=Spec("short-lived intermediate", is_ca=True, not_before_days=-1000, not_after_days=10,
                                               key=rsa_key(2048, 2)))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "intermediate 1 CN=short-lived intermediate expires in" in run.summary
    assert 9.9 < run.perf_value("days_left_intermediate1") <= 10
    leaf_only = check(port, "--leaf-only", ca=chain.root)
    assert leaf_only.status == "OK", leaf_only.stdout
    assert "days_left_intermediate1" not in leaf_only.perfdata


def test_ok_summary_names_the_element_that_expires_first(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_after_days=300),
                        intermediate_spec=Spec("intermediate", is_ca=True, not_after_days=100, key=rsa_key(2048, 2)))
    run = check(port, ca=chain.root)
    assert run.status == "OK", run.stdout
    assert "intermediate 1 CN=intermediate expires first, in 100" in run.summary or \
        "intermediate 1 CN=intermediate expires first, in 99.9" in run.summary


def test_sha1_signed_leaf_is_critical(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", digest=hashes.SHA1()))
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "CN=localhost has a weak signature (sha1WithRSAEncryption)" in run.summary


def test_self_signed_root_own_sha1_signature_is_not_judged(processes, tmp_path):
    root = issue(Spec("old sha1 root", is_ca=True, digest=hashes.SHA1(), key=rsa_key(2048, 1)))
    leaf = issue(Spec("localhost"), root)
    chain = write_chain(tmp_path, leaf, [root], root)  # the server sends the root too
    port = openssl_server(processes, chain)
    run = check(port, ca=chain.root)
    assert run.status == "OK", run.stdout


def test_rsa_1024_key_is_warning_unless_allowed(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", key=rsa_key(1024)))
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "CN=localhost has a weak RSA key (1024 bits < 2048)" in run.summary
    assert check(port, "--min-key-bits", "1024", ca=chain.root).status == "OK"


def test_ec_p256_chain_is_ok_and_described(processes, tmp_path):
    root = issue(Spec("ec root", is_ca=True, key=ec_key("secp384r1", 1), digest=hashes.SHA384()))
    intermediate = issue(Spec("ec intermediate", is_ca=True, key=ec_key("secp256r1", 2)), root)
    leaf = issue(Spec("localhost", key=ec_key("secp256r1", 3)), intermediate)
    chain = write_chain(tmp_path, leaf, [intermediate], root)
    port = openssl_server(processes, chain)
    run = check(port, "-v", ca=chain.root)
    assert run.status == "OK", run.stdout
    assert "key: EC 256 bits (prime256v1); signature: ecdsa-with-SHA256" in run.stdout


def test_ec_key_below_256_bits_is_warning(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", key=ec_key("secp192r1")))
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "weak EC key (192 bits < 256)" in run.summary


def test_ip_address_certificate_matches_the_ip_literal(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("127.0.0.1", dns_names=["ip-cert.example"],
                                                  ip_addresses=["127.0.0.1"]))
    run = check(port, host="127.0.0.1", ca=chain.root)
    assert run.status == "OK", run.stdout
    other_ip = check(port, "--name", "127.0.0.2", host="127.0.0.1", ca=chain.root)
    assert other_ip.status == "CRITICAL"
    assert "name mismatch: 127.0.0.2 is not in DNS:ip-cert.example, IP:127.0.0.1" in other_ip.summary


def test_wildcard_certificate_matches_one_label_only(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("*.example.test", dns_names=["*.example.test"]))
    assert check(port, host="www.example.test", ca=chain.root).status == "OK"
    assert check(port, host="example.test", ca=chain.root).status == "CRITICAL"
    assert check(port, host="a.b.example.test", ca=chain.root).status == "CRITICAL"


def test_sni_selects_the_certificate_the_server_presents(processes, tmp_path):
    default = standard_chain(tmp_path, Spec("default.example"), tag="default")
    named = standard_chain(tmp_path, Spec("named.example"), tag="named")
    port = openssl_server(processes, default, ["-servername", "named.example", "-cert2", str(named.leaf),
                                               "-key2", str(named.key)])
    assert check(port, "--ignore-trust", host="named.example").status == "OK"
    assert check(port, "--ignore-trust", host="default.example").status == "OK"
    # --sni overrides -H for SNI and name matching
    assert check(port, "--ignore-trust", "--sni", "named.example", host="default.example").status == "OK"


def test_refused_port_is_critical_naming_address_and_port():
    port = free_port()
    run = check(port)
    assert run.status == "CRITICAL", run.stdout
    assert f"connect to 127.0.0.1:{port}: Connection refused" in run.summary


def test_unresolvable_name_is_critical():
    run = run_plugin(PLUGIN, "-H", "no-such-host.invalid", "-p", "443")
    assert_plugin_shape(run, "TLS_CERT")
    assert run.status == "CRITICAL"
    assert "cannot resolve no-such-host.invalid" in run.summary


@pytest.mark.parametrize("timeout, state", [("2", "CRITICAL"), ("2:unknown", "UNKNOWN"), ("2:warning", "WARNING")])
def test_silent_server_ends_within_the_limit_with_the_timeout_state(timeout, state):
    with SilentServer() as server:
        run = check(server.port, "-t", timeout)
    assert run.status == state, run.stdout
    assert "timed out" in run.summary
    assert 1.9 < run.elapsed < 3.0  # -t plus a small margin, never a hang


def test_hostile_subject_cannot_forge_status_lines_or_perfdata(processes, tmp_path):
    evil = "evil|x=1\nTLS_CERT OK - all fine | days_left=999"
    port, chain = serve(processes, tmp_path, Spec(evil, dns_names=["evil.example"], not_before_days=-360, not_after_days=5))
    run = check(port, "-v", ca=chain.root)
    assert run.status == "CRITICAL"
    assert run.first_line.count("|") == 1
    assert run.stdout.count("|") == 1
    assert set(run.perfdata) == {"days_left", "life_left", "days_left_intermediate1", "days_left_anchor", "time_revocation", "addresses",
                                 "addresses_failing", "time"}
    assert "\nTLS_CERT OK" not in run.stdout
    assert "evil!x=1?TLS_CERT OK - all fine ! days_left=999" in run.stdout


def test_full_range_thresholds_are_honoured(processes, tmp_path):
    port, chain = serve(processes, tmp_path, Spec("localhost", not_after_days=365))
    assert check(port, "-w", "400", ca=chain.root).status == "WARNING"
    assert check(port, "-c", "@300:400", ca=chain.root).status == "CRITICAL"
    # the intermediate has 1825 days left, so "more than 1000 days" is only quiet for the leaf
    assert check(port, "-w", "~:100", "-c", "~:1000", "--leaf-only", ca=chain.root).status == "WARNING"
    assert check(port, "-w", "~:100", "-c", "~:1000", ca=chain.root).status == "CRITICAL"


@pytest.mark.parametrize("args, reason", [
    (["-w", "10:x"], "bad --warning: bad range '10:x'"),
    (["-c", "abc"], "bad --critical: bad threshold 'abc'"),
    (["-w", "10x"], "bad --warning: bad threshold '10x'"),
    (["-w", "101%"], "bad --warning: bad threshold '101%'"),
    (["--purpose", "mail"], "bad --purpose 'mail'"),
    (["--password-file", "/etc/hostname"], "--password-file goes with --file"),
    (["-p", "99999"], "bad -p/--port '99999'"),
    (["-t", "-1"], "bad -t/--timeout '-1'"),
    (["--min-key-bits", "lots"], "min-key-bits"),
    (["--bogus"], "unrecognised option '--bogus'"),
    (["--ca-file", "/nonexistent/ca.pem", "-p", "1"], None),
])
def test_bad_input_is_one_unknown_line_with_the_reason(args, reason):
    run = run_plugin(PLUGIN, "-H", "localhost", *args)
    assert_plugin_shape(run, "TLS_CERT")
    if reason is None:  # reaches the network; refused before the CA file matters
        assert run.status == "CRITICAL"
        return
    assert run.status == "UNKNOWN", run.stdout
    assert reason in run.first_line
    assert run.stdout.count("\n") == 2 and run.stdout.splitlines()[1].startswith("Usage: check_tls_cert")
    assert len(run.stdout.splitlines()[1]) <= 80


def test_unreadable_ca_file_is_unknown(processes, tmp_path):
    port, _ = serve(processes, tmp_path, Spec("localhost"))
    run = check(port, ca=tmp_path / "missing.pem")
    assert run.status == "UNKNOWN", run.stdout
    assert "cannot load CA file" in run.summary


@pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
def test_ipv6_loopback_is_reached_and_dash_4_refuses_it(processes, tmp_path):
    chain = standard_chain(tmp_path, Spec("localhost", ip_addresses=["::1"]))
    port = free_port()
    processes.start(["openssl", "s_server", "-6", "-accept", f"[::1]:{port}", "-cert", str(chain.leaf), "-key",
                     str(chain.key), "-cert_chain", str(chain.chain), "-www", "-quiet"], port, family=socket.AF_INET6)
    run = run_plugin(PLUGIN, "-H", "::1", "-p", port, "-6", "--ca-file", chain.root)
    assert_plugin_shape(run, "TLS_CERT")
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"[::1]:{port} ")
    refused = run_plugin(PLUGIN, "-H", "::1", "-p", port, "-4")
    assert refused.status == "CRITICAL"
    assert "cannot resolve ::1 (IPv4 only)" in refused.summary


@pytest.mark.parametrize("host, reason", [
    ("b\udcffcher.example", "bad -H/--hostname: cannot convert"),  # not UTF-8: no A-label for it
    ("..", "bad -H/--hostname"),
])
def test_host_name_without_an_a_label_is_unknown_with_the_reason(host, reason):
    run = run_plugin(PLUGIN, "-H", host, "-p", "1")
    assert_plugin_shape(run, "TLS_CERT")
    assert run.status == "UNKNOWN", run.stdout
    assert reason in run.first_line
