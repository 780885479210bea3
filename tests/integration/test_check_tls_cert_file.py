"""check_tls_cert --file: certificate chains on disk (PEM, DER, PKCS#12) judged without a
connection, with the same path, expiry, key, signature and name checks."""

import subprocess

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.serialization import pkcs12

from harness import assert_plugin_shape, run_plugin
from pki import Spec, issue, rsa_key

PLUGIN = "check_tls_cert"


def check_file(*args):
    run = run_plugin(PLUGIN, "--file", *args)
    assert_plugin_shape(run, "TLS_CERT")
    return run


@pytest.fixture()
def pki(tmp_path):
    root = issue(Spec("file root", is_ca=True, not_after_days=3650, key=rsa_key(2048, 1)))
    intermediate = issue(Spec("file intermediate", is_ca=True, not_after_days=1825, key=rsa_key(2048, 2)), root)
    leaf = issue(Spec("relay.example.test", not_after_days=60), intermediate)
    ca = tmp_path / "root.pem"
    ca.write_bytes(root.pem())
    return root, intermediate, leaf, ca


def test_pem_chain_is_judged_on_its_path_with_the_name(tmp_path, pki):
    root, intermediate, leaf, ca = pki
    path = tmp_path / "chain.pem"
    path.write_bytes(leaf.pem() + intermediate.pem() + leaf.key_pem())  # a key in the file is ignored
    run = check_file(path, "--ca-file", ca, "--name", "relay.example.test", "-v")
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"{path} CN=relay.example.test expires in 6")
    assert "name relay.example.test matches DNS:relay.example.test" in run.stdout
    assert "chain is trusted: path of 3 to anchor CN=file root" in run.stdout
    assert {"days_left", "life_left", "days_left_intermediate1", "days_left_anchor"} <= set(run.perfdata)
    wrong = check_file(path, "--ca-file", ca, "--name", "other.example.test")
    assert wrong.status == "CRITICAL"
    assert "name mismatch: other.example.test is not in DNS:relay.example.test" in wrong.summary


def test_without_a_name_no_name_is_matched(tmp_path, pki):
    _, intermediate, leaf, ca = pki
    path = tmp_path / "chain.pem"
    path.write_bytes(leaf.pem() + intermediate.pem())
    run = check_file(path, "--ca-file", ca, "-v")
    assert run.status == "OK", run.stdout
    assert "name " not in run.stdout.split("\n", 1)[1].split("leaf (sent)")[0]


def test_der_certificate_is_read_and_its_missing_issuer_is_untrusted(tmp_path, pki):
    _, _, leaf, ca = pki
    path = tmp_path / "leaf.der"
    path.write_bytes(leaf.certificate.public_bytes(serialization.Encoding.DER))
    run = check_file(path, "--ca-file", ca)
    assert run.status == "CRITICAL", run.stdout
    assert "untrusted: unable to get local issuer certificate (CN=relay.example.test)" in run.summary
    assert check_file(path, "--ignore-trust").status == "OK"


@pytest.mark.parametrize("maker", ["cryptography", "openssl"])
def test_pkcs12_with_a_password_file_is_read(tmp_path, pki, maker):
    _, intermediate, leaf, ca = pki
    password = tmp_path / "p12.pass"
    password.write_text("s3cret pass\n")
    path = tmp_path / "bundle.p12"
    if maker == "cryptography":  # 3DES and SHA-1 MAC: what older tools write, OpenSSL's legacy provider
        path.write_bytes(pkcs12.serialize_key_and_certificates(
            b"relay", leaf.key, leaf.certificate, [intermediate.certificate],
            serialization.BestAvailableEncryption(b"s3cret pass")))
    else:  # OpenSSL 3 defaults: AES-256-CBC, PBKDF2
        (tmp_path / "leaf.pem").write_bytes(leaf.pem())
        (tmp_path / "leaf.key").write_bytes(leaf.key_pem())
        (tmp_path / "int.pem").write_bytes(intermediate.pem())
        subprocess.run(["openssl", "pkcs12", "-export", "-in", tmp_path / "leaf.pem", "-inkey", tmp_path / "leaf.key",
                        "-certfile", tmp_path / "int.pem", "-passout", "pass:s3cret pass", "-out", path], check=True)
    run = check_file(path, "--password-file", password, "--ca-file", ca, "--name", "relay.example.test")
    assert run.status == "OK", run.stdout
    assert "days_left_intermediate1" in run.perfdata
    password.write_text("wrong\n")
    wrong = check_file(path, "--password-file", password, "--ca-file", ca)
    assert wrong.status == "UNKNOWN", wrong.stdout
    assert "password" in wrong.summary


def test_client_certificate_is_verified_for_client_use(tmp_path, pki):
    root, intermediate, _, ca = pki
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID
    import datetime
    key = rsa_key(2048, 7)
    now = datetime.datetime.utcnow()
    client = (x509.CertificateBuilder()
              .subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "alice")]))
              .issuer_name(intermediate.certificate.subject).public_key(key.public_key())
              .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
              .not_valid_after(now + datetime.timedelta(days=300))
              .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
              .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("alice@example.test")]), critical=False)
              .sign(intermediate.key, hashes.SHA256()))
    path = tmp_path / "alice.pem"
    path.write_bytes(client.public_bytes(serialization.Encoding.PEM) + intermediate.pem())
    assert check_file(path, "--ca-file", ca, "--purpose", "client").status == "OK"
    server_use = check_file(path, "--ca-file", ca)
    assert server_use.status == "CRITICAL"
    assert "untrusted: unsuitable certificate purpose (CN=alice)" in server_use.summary


def test_dsa_leaf_and_key_usage_without_digital_signature_are_warning(tmp_path, pki):
    _, intermediate, _, ca = pki
    leaf = issue(Spec("relay.example.test", key=dsa.generate_private_key(2048),
                      key_usage=("key_encipherment",)), intermediate)
    path = tmp_path / "dsa.pem"
    path.write_bytes(leaf.pem() + intermediate.pem())
    run = check_file(path, "--ca-file", ca)
    assert run.status == "WARNING", run.stdout
    assert "CN=relay.example.test has a DSA key: no TLS 1.3" in run.summary
    assert "CN=relay.example.test has keyUsage without digitalSignature: unusable with TLS 1.3" in run.summary


@pytest.mark.parametrize("content, reason", [
    (None, "cannot read"),
    (b"", "empty"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "without a CERTIFICATE block"),
    (b"\x30\x82\x01\x00garbage", "not a PEM, DER or PKCS#12"),
])
def test_bad_certificate_file_is_one_unknown_line_with_the_reason(tmp_path, content, reason):
    path = tmp_path / "bad.pem"
    if content is not None:
        path.write_bytes(content)
    run = check_file(path)
    assert run.status == "UNKNOWN", run.stdout
    assert reason in run.first_line


def test_file_and_network_options_exclude_each_other(tmp_path, pki):
    _, _, leaf, _ = pki
    path = tmp_path / "leaf.pem"
    path.write_bytes(leaf.pem())
    run = run_plugin(PLUGIN, "--file", path, "-H", "relay.example.test")
    assert_plugin_shape(run, "TLS_CERT")
    assert run.status == "UNKNOWN"
    assert "--file reads a certificate file: --hostname does not apply" in run.first_line
