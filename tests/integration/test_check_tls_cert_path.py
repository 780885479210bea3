"""check_tls_cert judges the path clients build, not the list a server sends: real PKI situations
(stale cross-signs, retired intermediates, missing intermediates, anchors the server never sends),
certificate content clients enforce, lifetime-relative thresholds and hostile names, against real
`openssl s_server` processes on 127.0.0.1 with certificates made at test time."""

import subprocess

import pytest

from harness import check_tls_cert, openssl_server
from pki import Spec, cross_sign, ec_key, issue, rsa_key, standard_chain, write_chain



check = check_tls_cert


def pki(root_spec=None, intermediate_spec=None):
    root = issue(root_spec or Spec("test root", is_ca=True, not_after_days=3650, key=rsa_key(2048, 1)))
    intermediate = issue(intermediate_spec or Spec("test intermediate", is_ca=True, not_after_days=1825,
                                                   key=rsa_key(2048, 2)), root)
    return root, intermediate


def serve(processes, tmp_path, leaf, sent, root, extra=(), tag="server"):
    chain = write_chain(tmp_path, leaf, sent, root, tag)
    return openssl_server(processes, chain, extra), chain


def test_expired_cross_sign_sent_beside_a_valid_path_is_warning_not_critical(processes, tmp_path):
    # As with AddTrust External CA Root (2020) and DST Root CA X3 (2021): the server still sends
    # the root's expired cross-sign by an old root, but clients holding the new root never use it.
    root, intermediate = pki()
    old_root = issue(Spec("old root", is_ca=True, not_before_days=-4000, not_after_days=-30, key=rsa_key(2048, 4)))
    stale = cross_sign(root, old_root, not_before_days=-3000, not_after_days=-3)
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate, stale], root)
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "sends an expired certificate that is not on the path: CN=test root, issued by CN=old root" in run.summary
    assert "clients that build paths differently fail" in run.summary
    assert "chain is trusted: path of 3 to anchor CN=test root" in run.stdout
    assert set(run.perfdata) == {"days_left", "life_left", "days_left_intermediate1", "days_left_anchor", "time_revocation", "addresses",
                                 "addresses_failing", "time"}
    assert "(sent, not on the path): subject: CN=test root; issuer: CN=old root" in run.stdout


def test_retired_expired_intermediate_sent_as_well_is_warning(processes, tmp_path):
    root, intermediate = pki()
    retired = issue(Spec("retired intermediate", is_ca=True, not_before_days=-800, not_after_days=-10,
                         key=rsa_key(2048, 5)), root)
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate, retired], root)
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert ("sends an expired certificate that is not on the path: CN=retired intermediate, issued by CN=test root "
            "(expired 10 days ago") in run.summary


def test_soon_expiring_certificate_sent_off_the_path_is_named_as_expiring(processes, tmp_path):
    root, intermediate = pki()
    old_root = issue(Spec("old root", is_ca=True, not_before_days=-4000, not_after_days=300, key=rsa_key(2048, 4)))
    ending = cross_sign(root, old_root, not_before_days=-700, not_after_days=5)
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate, ending], root)
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "sends an expiring certificate that is not on the path: CN=test root, issued by CN=old root" in run.summary


def test_missing_intermediate_found_only_in_the_ca_file_is_warning(processes, tmp_path):
    root, intermediate = pki()
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [], root)
    bundle = tmp_path / "root-and-intermediate.pem"
    bundle.write_bytes(root.pem() + intermediate.pem())
    run = check(port, ca=bundle)
    assert run.status == "WARNING", run.stdout
    assert "server does not send intermediate 1 CN=test intermediate" in run.summary
    assert "intermediate 1 (not sent, from the trust store): " in run.stdout
    # Without it anywhere, the path cannot be built at all.
    untrusted = check(port, ca=chain.root)
    assert untrusted.status == "CRITICAL"
    assert "untrusted: unable to get local issuer certificate (CN=localhost)" in untrusted.summary


def test_trust_anchor_not_sent_and_expiring_in_ten_days_is_critical(processes, tmp_path):
    root, intermediate = pki(root_spec=Spec("old root", is_ca=True, not_before_days=-3640, not_after_days=10,
                                            key=rsa_key(2048, 1)))
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate], root)
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "anchor CN=old root expires in 10 days" in run.summary or "anchor CN=old root expires in 9.9 days" in run.summary
    assert 9.9 < run.perf_value("days_left_anchor") <= 10
    assert "chain is trusted" not in run.stdout


def test_rsa_1024_anchor_is_warning(processes, tmp_path):
    root, intermediate = pki(root_spec=Spec("weak root", is_ca=True, not_after_days=3650, key=rsa_key(1024, 1)))
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate], root)
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "anchor CN=weak root has a weak RSA key (1024 bits < 2048)" in run.summary


def test_leaf_only_never_hides_an_expired_intermediate(processes, tmp_path):
    root, intermediate = pki(intermediate_spec=Spec("expired intermediate", is_ca=True, not_before_days=-400,
                                                    not_after_days=-3, key=rsa_key(2048, 2)))
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate], root)
    for args in ((), ("--leaf-only",)):
        run = check(port, *args, ca=chain.root)
        assert run.status == "CRITICAL", run.stdout
        assert "intermediate 1 CN=expired intermediate expired 3 days ago" in run.summary
        assert "chain is trusted" not in run.stdout


def test_wildcard_matches_an_a_label_and_a_u_label_host(processes, tmp_path):
    chain = standard_chain(tmp_path, Spec("*.example.test", dns_names=["*.example.test"]))
    port = openssl_server(processes, chain)
    for host in ("xn--bcher-kva.example.test", "b\u00fccher.example.test", "B\u00fccher.Example.Test."):
        run = check(port, "-v", host=host, ca=chain.root)
        assert run.status == "OK", run.stdout
        assert "name xn--bcher-kva.example.test matches DNS:*.example.test" in run.stdout


def test_trailing_dot_and_u_label_select_the_virtual_host_by_sni(processes, tmp_path):
    default = standard_chain(tmp_path, Spec("default.example"), tag="default")
    idn = standard_chain(tmp_path, Spec("xn--bcher-kva.example"), tag="idn")
    port = openssl_server(processes, default, ["-servername", "xn--bcher-kva.example", "-cert2", str(idn.leaf),
                                               "-key2", str(idn.key), "-cert_chain", str(idn.chain)])
    # s_server sends no chain with its SNI certificate: trust is not what this test is about
    for host in ("b\u00fccher.example", "b\u00fccher.example.", "xn--bcher-kva.example."):
        run = check(port, "-v", "--ignore-trust", host=host)
        assert run.status == "OK", run.stdout  # the default certificate would be a name mismatch
        assert "subject: CN=xn--bcher-kva.example" in run.stdout
    dotted = check(port, "-v", host="default.example.", ca=default.root)
    assert dotted.status == "OK", dotted.stdout
    assert "name default.example matches DNS:default.example" in dotted.stdout


def test_key_usage_without_digital_signature_is_critical_over_tls_1_3_only(processes, tmp_path):
    root, intermediate = pki()
    leaf = issue(Spec("localhost", key_usage=("key_encipherment",)), intermediate)
    port, chain = serve(processes, tmp_path, leaf, [intermediate], root)
    run = check(port, ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    assert "CN=localhost has keyUsage without digitalSignature but signs the key exchange" in run.summary
    # With an RSA key exchange the key decrypts instead of signing: keyEncipherment is what counts.
    rsa_port, _ = serve(processes, tmp_path, leaf, [intermediate], root,
                        extra=["-no_tls1_3", "-cipher", "AES128-SHA:@SECLEVEL=0"], tag="rsa-kx")
    rsa = check(rsa_port, "-v", ca=chain.root)
    assert rsa.status == "OK", rsa.stdout
    assert "negotiated TLSv1.2 AES128-SHA" in rsa.stdout


def test_ca_true_leaf_is_warning(processes, tmp_path):
    root, intermediate = pki()
    port, chain = serve(processes, tmp_path, issue(Spec("localhost", ca_leaf=True), intermediate), [intermediate], root)
    run = check(port, ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "CN=localhost is a CA certificate (basicConstraints CA:TRUE) used as the leaf" in run.summary


def test_leaf_named_only_in_the_common_name_is_warning(processes, tmp_path):
    root, intermediate = pki()
    port, chain = serve(processes, tmp_path, issue(Spec("localhost", no_san=True), intermediate), [intermediate], root)
    run = check(port, "-v", ca=chain.root)
    assert run.status == "WARNING", run.stdout
    assert "CN=localhost names its host only in the subject CN, without subjectAltName (RFC 9525)" in run.summary
    assert "name localhost matches CN=localhost" in run.stdout


@pytest.mark.parametrize("lifetime, left, args, state", [
    (6, 3, (), "OK"),                       # defaults: warn below 2 days, critical below 1
    (6, 3, ("-w", "60%"), "WARNING"),       # 3 of 6 days is 50 % left
    (6, 1.5, (), "WARNING"),
    (45, 4, (), "CRITICAL"),                # critical below 7.5 days
    (45, 10, (), "WARNING"),                # warning below 15 days
    (90, 20, (), "WARNING"),                # exactly the old 30/14 defaults
    (90, 15, (), "WARNING"),
    (90, 13, (), "CRITICAL"),
    (398, 29, (), "WARNING"),
    (398, 31, (), "OK"),
    (45, 4, ("-c", "36h", "-w", "5d"), "WARNING"),
])
def test_default_thresholds_follow_the_certificate_lifetime(processes, tmp_path, lifetime, left, args, state):
    root, intermediate = pki()
    leaf = issue(Spec("localhost", not_before_days=left - lifetime, not_after_days=left), intermediate)
    port, chain = serve(processes, tmp_path, leaf, [intermediate], root)
    run = check(port, *args, ca=chain.root)
    assert run.status == state, run.stdout
    assert abs(run.perf_value("life_left") - 100.0 * left / lifetime) < 0.2


def test_percentage_thresholds_are_in_life_left_perfdata(processes, tmp_path):
    root, intermediate = pki()
    leaf = issue(Spec("localhost", not_before_days=-3, not_after_days=3), intermediate)
    port, chain = serve(processes, tmp_path, leaf, [intermediate], root)
    run = check(port, "-w", "60%", "-c", "20%", ca=chain.root)
    assert run.perfdata["life_left"].startswith("50")
    assert run.perfdata["life_left"].endswith("%;60:;20:")
    assert run.perfdata["days_left"].endswith(";3.6:;1.2:")  # the same thresholds in days for this certificate


def test_less_than_a_day_is_said_in_hours_and_minutes(processes, tmp_path):
    root, intermediate = pki()
    for tag, left_days, words in (("hours", 5.2 / 24, "expires in 5 hours"), ("minutes", 50.3 / 1440,
                                                                              "expires in 50 minutes")):
        leaf = issue(Spec("localhost", not_before_days=-5, not_after_days=left_days), intermediate)
        port, chain = serve(processes, tmp_path, leaf, [intermediate], root, tag=tag)
        run = check(port, ca=chain.root)
        assert run.status == "CRITICAL", run.stdout
        assert f"CN=localhost {words}" in run.summary


def test_leaf_with_an_empty_subject_is_named_by_its_first_san(processes, tmp_path):
    root, intermediate = pki()
    leaf = issue(Spec("localhost", empty_subject=True, dns_names=["localhost", "www.localhost"]), intermediate)
    port, chain = serve(processes, tmp_path, leaf, [intermediate], root)
    run = check(port, "-v", ca=chain.root)
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"localhost:{port} DNS:localhost expires in ")
    assert "(empty subject)" not in run.stdout


def test_bidi_override_in_a_common_name_cannot_reorder_the_output(processes, tmp_path):
    root, intermediate = pki()
    leaf = issue(Spec("localhost\u202egpj.exe\u2066\u200b", dns_names=["localhost"], not_before_days=-360,
                      not_after_days=5), intermediate)
    port, chain = serve(processes, tmp_path, leaf, [intermediate], root)
    run = check(port, "-v", ca=chain.root)
    assert run.status == "CRITICAL", run.stdout
    for character in ("\u202e", "\u2066", "\u200b"):
        assert character not in run.stdout
    assert "CN=localhost?gpj.exe?? expires in" in run.summary


def test_two_hundred_certificate_chain_keeps_the_output_under_4_kib(processes, tmp_path):
    # A real chain 200 deep: far past any path a client builds, every intermediate about to expire.
    root = issue(Spec("deep root", is_ca=True, not_after_days=3650, key=ec_key("secp256r1", 100)))
    issuer, intermediates = root, []
    for n in range(198):
        issuer = issue(Spec(f"deep intermediate {n}", is_ca=True, not_after_days=5, key=ec_key("secp256r1", 101 + n)),
                       issuer)
        intermediates.append(issuer)
    leaf = issue(Spec("localhost", key=ec_key("secp256r1", 99)), issuer)
    port, chain = serve(processes, tmp_path, leaf, list(reversed(intermediates)) + [root], root)
    run = check(port, "-v", ca=chain.root)
    assert len(run.stdout.encode()) < 4096
    assert run.status == "CRITICAL", run.stdout
    assert run.summary.startswith(f"localhost:{port} ")
    assert "untrusted: certificate chain too long" in run.stdout
    assert "intermediate 1 CN=deep intermediate 197 expires in" in run.stdout
    # per path element (at most 10, and life_left), never per certificate sent; then
    # time_revocation, addresses, addresses_failing and time
    assert len(run.perfdata) <= 15
    assert run.stdout.rstrip("\n").endswith("(long output cut)")


def client_identity(tmp_path, issuer, tag):
    """A client certificate (clientAuth) and its key, as PEM files."""
    from cryptography import x509 as x509_module
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import datetime
    key = rsa_key(2048, 8)
    now = datetime.datetime.utcnow()
    certificate = (x509_module.CertificateBuilder()
                   .subject_name(x509_module.Name([x509_module.NameAttribute(NameOID.COMMON_NAME, f"monitoring {tag}")]))
                   .issuer_name(issuer.certificate.subject).public_key(key.public_key())
                   .serial_number(x509_module.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
                   .add_extension(x509_module.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(issuer.key, hashes.SHA256()))
    cert_path, key_path = tmp_path / f"client-{tag}.pem", tmp_path / f"client-{tag}.key"
    cert_path.write_bytes(certificate.public_bytes(Encoding.PEM))
    key_path.write_bytes(key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    return cert_path, key_path


def test_server_requiring_a_client_certificate_over_tls_1_2_still_has_its_chain_judged(processes, tmp_path):
    root, intermediate = pki()
    clients_ca = issue(Spec("client ca", is_ca=True, key=rsa_key(2048, 9)))
    (tmp_path / "clients-ca.pem").write_bytes(clients_ca.pem())
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate], root,
                        extra=["-no_tls1_3", "-Verify", "1", "-verify_return_error",
                               "-CAfile", str(tmp_path / "clients-ca.pem")])
    run = check(port, "-v", ca=chain.root)
    assert run.status == "OK", run.stdout
    assert "server requires a client certificate (the handshake ended with" in run.stdout
    assert "chain is trusted: path of 3 to anchor CN=test root" in run.stdout
    # s_client agrees that the server sends its chain, then asks for a certificate
    s_client = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-CAfile", str(chain.root)],
                              input="", capture_output=True, text=True, timeout=10)
    assert "Acceptable client certificate CA names" in s_client.stdout
    good_cert, good_key = client_identity(tmp_path, clients_ca, "good")
    with_cert = check(port, "-v", "--client-cert", good_cert, "--client-key", good_key, ca=chain.root)
    assert with_cert.status == "OK", with_cert.stdout
    assert "server requires a client certificate" not in with_cert.stdout
    assert f"client certificate {good_cert} presented at the server's request" in with_cert.stdout
    stranger = issue(Spec("stranger ca", is_ca=True, key=rsa_key(2048, 10)))
    bad_cert, bad_key = client_identity(tmp_path, stranger, "bad")
    refused = check(port, "--client-cert", bad_cert, "--client-key", bad_key, ca=chain.root)
    assert refused.status == "WARNING", refused.stdout
    assert f"server refused client certificate {bad_cert}" in refused.summary


def test_unusable_client_key_is_unknown(processes, tmp_path):
    root, intermediate = pki()
    port, chain = serve(processes, tmp_path, issue(Spec("localhost"), intermediate), [intermediate], root)
    good_cert, _ = client_identity(tmp_path, root, "lonely")
    (tmp_path / "mismatch.key").write_bytes(issue(Spec("x", key=rsa_key(2048, 11))).key_pem())
    run = check(port, "--client-cert", good_cert, "--client-key", tmp_path / "mismatch.key", ca=chain.root)
    assert run.status == "UNKNOWN", run.stdout
    assert f"cannot use client key {tmp_path / 'mismatch.key'}: key values mismatch" in run.summary
