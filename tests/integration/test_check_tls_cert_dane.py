"""check_tls_cert --dane: the TLSA records of _PORT._tcp.HOST, looked up through libunbound from a
real NSD serving a zone signed at test time (dns_lab.py), verified by OpenSSL's DANE code in the
handshake with a real `openssl s_server`. Usages 0-3 (RFC 6698, RFC 7671)."""

import pytest

from dns_lab import DnsLab, SilentDns, tlsa_rdata
from harness import check_tls_cert, openssl_server
from pki import Spec, standard_chain

HOST = "www.example"


@pytest.fixture
def server(processes, tmp_path):
    """An s_server for www.example whose chain (leaf, intermediate, root) comes from pki.py."""
    directory = tmp_path / "pki"
    directory.mkdir()
    chain = standard_chain(directory, Spec(HOST, dns_names=[HOST]))
    port = openssl_server(processes, chain)
    return chain, port


def lab_with(processes, tmp_path, port, records, signed=True, corrupt=False):
    lab = DnsLab(processes, tmp_path / "dns")
    zone = lab.zone("example.", signed=signed)
    zone.add("www A 127.0.0.1\n" + "\n".join(f"_{port}._tcp.www TLSA {record}" for record in records))
    if corrupt:
        lab.corrupt(f"_{port}._tcp.www.example.", "TLSA")
    lab.start()
    return lab


def dane(lab, chain, port, *extra, ca=True):
    return check_tls_cert(port, "--dane", "--dns-server", lab.server(), "--trust-anchor", lab.trust_anchor, "-v",
                          *extra, host=HOST, ca=chain.root if ca else None)


def test_dane_ee_record_matching_the_leaf_key_is_ok(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.leaf, 3, 1, 1)])
    run = dane(lab, chain, port)
    assert run.status == "OK", run.stdout
    assert "DANE: DANE-EE(3) 3 1 1" in run.stdout and "matches the leaf" in run.stdout


def test_dane_ee_authenticates_even_without_a_trusted_path(processes, tmp_path, server):
    """DANE-EE(3) needs no WebPKI anchor; the untrusted path is still reported by the WebPKI checks."""
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.leaf, 3, 1, 1)])
    run = dane(lab, chain, port, ca=False)
    assert "matches the leaf" in run.stdout, run.stdout
    assert "DANE clients will refuse" not in run.stdout


def test_dane_ta_record_of_the_intermediate_is_ok(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.chain, 2, 0, 1)])
    run = dane(lab, chain, port)
    assert run.status == "OK", run.stdout
    assert "DANE-TA(2) 2 0 1" in run.stdout and "at depth 1" in run.stdout


def test_pkix_ee_record_matches_with_a_trusted_path(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.leaf, 1, 0, 1)])
    run = dane(lab, chain, port)
    assert run.status == "OK", run.stdout
    assert "PKIX-EE(1) 1 0 1" in run.stdout


def test_pkix_ta_record_of_the_root_matches(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.root, 0, 0, 1)])
    run = dane(lab, chain, port)
    assert run.status == "OK", run.stdout
    assert "PKIX-TA(0) 0 0 1" in run.stdout


def test_pkix_ee_record_fails_without_a_trusted_path(processes, tmp_path, server):
    """PKIX-EE(1) adds a constraint to WebPKI validation: an untrusted chain fails DANE too."""
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.leaf, 1, 1, 1)])
    run = dane(lab, chain, port, ca=False)
    assert run.status == "CRITICAL", run.stdout
    assert "DANE clients will refuse www.example" in run.stdout


def test_record_matching_nothing_is_critical(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, ["3 1 1 " + "ab" * 32])
    run = dane(lab, chain, port)
    assert run.status == "CRITICAL", run.stdout
    assert "DANE clients will refuse www.example" in run.first_line
    assert "1 usable TLSA record" in run.first_line


def test_bogus_tlsa_signature_is_critical(processes, tmp_path, server):
    chain, port = server
    lab = lab_with(processes, tmp_path, port, [tlsa_rdata(chain.leaf, 3, 1, 1)], corrupt=True)
    run = dane(lab, chain, port)
    assert run.status == "CRITICAL", run.stdout
    assert "fails DNSSEC validation" in run.first_line


def test_tlsa_in_an_unsigned_zone_is_not_used(processes, tmp_path, server):
    """An unsigned TLSA record proves nothing: it is not used, and --dane warns that there is no DANE."""
    chain, port = server
    lab = lab_with(processes, tmp_path, port, ["3 1 1 " + "cd" * 32], signed=False)
    run = dane(lab, chain, port)
    assert run.status == "WARNING", run.stdout
    assert "no DNSSEC-secure TLSA records at _%d._tcp.www.example" % port in run.first_line
    assert "DANE clients will refuse" not in run.stdout


def test_unusable_records_only_warn(processes, tmp_path, server):
    """A matching type OpenSSL does not know (RFC 7671 5: unusable, ignored) leaves nothing to authenticate."""
    chain, port = server
    lab = lab_with(processes, tmp_path, port, ["3 1 9 " + "ef" * 32])
    run = dane(lab, chain, port)
    assert run.status == "WARNING", run.stdout
    assert "no usable TLSA record" in run.first_line


def test_dns_options_without_dane_are_refused():
    run = check_tls_cert(443, "--dns-server", "127.0.0.1", host=HOST)
    assert run.status == "UNKNOWN" and run.returncode == 3
    assert "--dns-server and --trust-anchor go with --dane" in run.first_line


def test_silent_dns_server_ends_within_the_time_limit(processes, tmp_path, server):
    chain, port = server
    silent = SilentDns(processes)
    anchor = tmp_path / "anchor.ds"
    anchor.write_text("example. 300 IN DS 12345 13 2 " + "00" * 32 + "\n")
    run = check_tls_cert(port, "--dane", "--dns-server", silent.server(), "--trust-anchor", anchor, "-t", 2,
                         host=HOST, ca=chain.root)
    assert run.elapsed < 2.5, (run.elapsed, run.stdout)
    assert run.status == "CRITICAL", run.stdout
    assert f"DANE: TLSA _{port}._tcp.www.example: no answer from 127.0.0.1@{silent.port} in time" in run.first_line
