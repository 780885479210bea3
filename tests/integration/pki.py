"""Certificates made at test time, with chosen dates, keys, signatures and names."""

import datetime
import functools
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@functools.lru_cache(maxsize=None)
def rsa_key(bits=2048, slot=0):
    """RSA keys are slow to make; tests share a few (slot tells distinct keys apart)."""
    del slot
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


@functools.lru_cache(maxsize=None)
def ec_key(curve_name="secp256r1", slot=0):
    del slot
    curve = {"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1(), "secp192r1": ec.SECP192R1()}[curve_name]
    return ec.generate_private_key(curve)


def now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


@dataclass
class Issued:
    certificate: x509.Certificate
    key: object
    name: str

    def pem(self):
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self):
        return self.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption())


@dataclass
class Spec:
    """What a certificate should look like; days are relative to now and may be fractional."""
    common_name: str
    dns_names: list = field(default_factory=list)
    ip_addresses: list = field(default_factory=list)
    not_before_days: float = -1.0
    not_after_days: float = 365.0
    key: object = None
    digest: object = None
    is_ca: bool = False
    no_san: bool = False
    ca_leaf: bool = False          # a server certificate that says basicConstraints CA:TRUE
    key_usage: tuple = None        # leaf keyUsage bits by name ("key_encipherment", ...); None: no extension
    empty_subject: bool = False    # subject is the empty name (the names are in the SAN only)


def issue(spec, issuer=None):
    """Signs `spec` with `issuer` (an Issued), or self-signs it when issuer is None."""
    key = spec.key or rsa_key()
    subject = x509.Name([] if spec.empty_subject else [x509.NameAttribute(NameOID.COMMON_NAME, spec.common_name)])
    start = now() + datetime.timedelta(days=spec.not_before_days)
    end = now() + datetime.timedelta(days=spec.not_after_days)
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer.certificate.subject if issuer else subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=spec.is_ca or spec.ca_leaf, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    if spec.is_ca:
        builder = builder.add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        if spec.key_usage is not None:
            bits = {name: name in spec.key_usage for name in (
                "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
                "key_agreement", "key_cert_sign", "crl_sign")}
            builder = builder.add_extension(x509.KeyUsage(**bits, encipher_only=False, decipher_only=False),
                                            critical=True)
        names = [x509.DNSName(n) for n in spec.dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(a)) for a in spec.ip_addresses]
        if not spec.no_san:
            builder = builder.add_extension(x509.SubjectAlternativeName(names or [x509.DNSName(spec.common_name)]),
                                            critical=False)
    signing_key = issuer.key if issuer else key
    digest = spec.digest or hashes.SHA256()
    certificate = builder.sign(signing_key, digest)
    return Issued(certificate, key, spec.common_name)


@dataclass
class Chain:
    """Files for one server: leaf, its key, the chain it presents, and the root to trust."""
    leaf: Path
    key: Path
    chain: Path       # intermediates the server sends after the leaf (may be empty)
    root: Path        # the CA file a client should trust


def cross_sign(ca, issuer, not_after_days=365.0, not_before_days=-1.0):
    """Another certificate for `ca`'s name and key, signed by `issuer`: a cross-sign such as
    ISRG Root X1 by DST Root CA X3 or USERTrust by AddTrust External CA Root."""
    return issue(Spec(ca.name, is_ca=True, key=ca.key, not_after_days=not_after_days,
                      not_before_days=not_before_days), issuer)


def write_chain(directory, leaf, intermediates, root, tag="server"):
    directory = Path(directory)
    paths = Chain(directory / f"{tag}.pem", directory / f"{tag}.key", directory / f"{tag}-chain.pem",
                  directory / f"{tag}-root.pem")
    paths.leaf.write_bytes(leaf.pem())
    paths.key.write_bytes(leaf.key_pem())
    paths.chain.write_bytes(b"".join(i.pem() for i in intermediates))
    paths.root.write_bytes(root.pem())
    return paths


def standard_chain(directory, leaf_spec, intermediate_spec=None, root_spec=None, tag="server"):
    """root -> intermediate -> leaf, each overridable."""
    root = issue(root_spec or Spec("tls-checks test root", is_ca=True, not_after_days=3650, key=rsa_key(2048, 1)))
    intermediate = issue(intermediate_spec or Spec("tls-checks test intermediate", is_ca=True,
                                                   not_after_days=1825, key=rsa_key(2048, 2)), root)
    leaf = issue(leaf_spec, intermediate)
    return write_chain(directory, leaf, [intermediate], root, tag)
