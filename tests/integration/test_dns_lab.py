"""The DNS and MTA-STS lab itself (dns_lab.py), proven with tools that are not ours: delv (BIND's
validator) and dig against the NSD it starts, libunbound (what check_mail_tls uses) through ctypes
with the lab's trust-anchor file, openssl for the TLSA digests, and Python's ssl and http.client
against the MTA-STS nginx."""

import ctypes
import ctypes.util
import http.client
import socket
import ssl
import subprocess
import time

import pytest

from dns_lab import DnsLab, SilentDns, mta_sts_server, tlsa_rdata
from harness import free_port
from pki import Spec, standard_chain


def build_lab(processes, directory):
    """example. (signed) delegating to mail1.example. (signed) and insecure.example. (unsigned),
    an unsigned zone of its own (plain.example.), bad.example. A with a broken signature."""
    lab = DnsLab(processes, directory)
    top = lab.zone("example.")
    top.add("""
        @ MX 10 mx1
        mx1 A 127.0.0.2
        bad A 127.0.0.3
        """)
    mail1 = lab.zone("mail1.example.")
    mail1.add("@ MX 10 mx\nmx A 127.0.0.4")
    insecure = lab.zone("insecure.example.", signed=False)
    insecure.add("@ MX 10 mx\nmx A 127.0.0.5")
    plain = lab.zone("plain.example.", signed=False)
    plain.add("www A 127.0.0.6\n@ TXT \"v=STSv1; id=20240101\"")
    lab.delegate(top, mail1)
    lab.delegate(top, insecure)
    lab.corrupt("bad.example.", "A")
    lab.start()
    return lab


@pytest.fixture
def lab(processes, tmp_path):
    return build_lab(processes, tmp_path / "dns")


def delv_anchor(lab, path):
    """The lab's DS lines (zone-file syntax, for libunbound) as the trust-anchors clause delv reads."""
    entries = []
    for line in lab.trust_anchor.read_text().splitlines():
        owner, _ttl, _class, rrtype, tag, algorithm, digest_type, digest = line.split()
        assert rrtype == "DS", line
        entries.append(f'    {owner} static-ds {tag} {algorithm} {digest_type} "{digest}";')
    path.write_text("trust-anchors {\n" + "\n".join(entries) + "\n};\n")
    return path


def delv(lab, anchor, name, rrtype):
    """delv's output (stdout and stderr: failures go to stderr; it exits 0 either way)."""
    result = subprocess.run(["delv", "@127.0.0.1", "-p", str(lab.port), "-a", str(anchor), "+root=example.",
                             name, rrtype], capture_output=True, text=True, timeout=20)
    return result.stdout + result.stderr


def dig(port, *args):
    started = time.monotonic()
    result = subprocess.run(["dig", "@127.0.0.1", "-p", str(port), *args], capture_output=True, text=True, timeout=20)
    return result, time.monotonic() - started


class UbResult(ctypes.Structure):
    _fields_ = [("qname", ctypes.c_char_p), ("qtype", ctypes.c_int), ("qclass", ctypes.c_int),
                ("data", ctypes.POINTER(ctypes.c_char_p)), ("len", ctypes.POINTER(ctypes.c_int)),
                ("canonname", ctypes.c_char_p), ("rcode", ctypes.c_int), ("answer_packet", ctypes.c_void_p),
                ("answer_len", ctypes.c_int), ("havedata", ctypes.c_int), ("nxdomain", ctypes.c_int),
                ("secure", ctypes.c_int), ("bogus", ctypes.c_int), ("why_bogus", ctypes.c_char_p),
                ("was_ratelimited", ctypes.c_int), ("ttl", ctypes.c_int)]


def unbound_verdicts(lab, queries):
    """{(name, type): 'secure' | 'bogus' | 'insecure'} from libunbound forwarding to the lab with
    ub_ctx_add_ta_file(lab.trust_anchor), as check_mail_tls will set it up."""
    library = ctypes.CDLL(ctypes.util.find_library("unbound") or "libunbound.so.8")
    library.ub_ctx_create.restype = ctypes.c_void_p
    library.ub_ctx_delete.argtypes = [ctypes.c_void_p]
    library.ub_ctx_set_fwd.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    library.ub_ctx_add_ta_file.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    library.ub_strerror.restype = ctypes.c_char_p
    library.ub_resolve.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int, ctypes.c_int,
                                   ctypes.POINTER(ctypes.POINTER(UbResult))]
    library.ub_resolve_free.argtypes = [ctypes.POINTER(UbResult)]
    context = library.ub_ctx_create()
    try:
        for call, argument in ((library.ub_ctx_set_fwd, lab.server()), (library.ub_ctx_add_ta_file, lab.trust_anchor)):
            error = call(context, str(argument).encode())
            assert error == 0, library.ub_strerror(error)
        verdicts = {}
        for name, rrtype in queries:
            result = ctypes.POINTER(UbResult)()
            error = library.ub_resolve(context, name.encode(), rrtype, 1, ctypes.byref(result))
            assert error == 0, library.ub_strerror(error)
            answer = result.contents
            verdicts[(name, rrtype)] = "secure" if answer.secure else "bogus" if answer.bogus else "insecure"
            library.ub_resolve_free(result)
        return verdicts
    finally:
        library.ub_ctx_delete(context)


MX, A = 15, 1


def test_signed_zone_and_its_signed_child_validate_from_the_trust_anchor(lab, tmp_path):
    anchor = delv_anchor(lab, tmp_path / "anchor.conf")
    # one anchor: the top zone; mail1.example. is reached through the DS in example.
    assert [line.split()[0] for line in lab.trust_anchor.read_text().splitlines()] == ["example."]
    top = delv(lab, anchor, "example.", "MX")
    assert "; fully validated" in top and "10 mx1.example." in top, top
    child = delv(lab, anchor, "mx.mail1.example.", "A")
    assert "; fully validated" in child and "127.0.0.4" in child, child
    assert unbound_verdicts(lab, [("example.", MX), ("mx.mail1.example.", A)]) == {
        ("example.", MX): "secure", ("mx.mail1.example.", A): "secure"}


def test_corrupted_signature_fails_validation_and_spares_the_rest(lab, tmp_path):
    anchor = delv_anchor(lab, tmp_path / "anchor.conf")
    broken = delv(lab, anchor, "bad.example.", "A")
    assert "RRSIG failed to verify" in broken and "fully validated" not in broken, broken
    intact = delv(lab, anchor, "mx1.example.", "A")
    assert "; fully validated" in intact, intact
    assert unbound_verdicts(lab, [("bad.example.", A), ("mx1.example.", A)]) == {
        ("bad.example.", A): "bogus", ("mx1.example.", A): "secure"}


def test_unsigned_child_of_signed_parent_is_insecure_and_parent_stays_validated(lab, tmp_path):
    anchor = delv_anchor(lab, tmp_path / "anchor.conf")
    child = delv(lab, anchor, "mx.insecure.example.", "A")
    assert "; unsigned answer" in child and "127.0.0.5" in child, child
    parent = delv(lab, anchor, "mx1.example.", "A")
    assert "; fully validated" in parent, parent
    assert unbound_verdicts(lab, [("mx.insecure.example.", A), ("mx1.example.", A)]) == {
        ("mx.insecure.example.", A): "insecure", ("mx1.example.", A): "secure"}


def test_unsigned_zone_answers_authoritatively_without_signatures(lab):
    result, _ = dig(lab.port, "+norec", "+dnssec", "www.plain.example.", "A")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "status: NOERROR" in result.stdout and " aa" in result.stdout.split("flags:")[1].split(";")[0], result.stdout
    assert "127.0.0.6" in result.stdout and "RRSIG" not in result.stdout, result.stdout
    txt, _ = dig(lab.port, "+norec", "+short", "plain.example.", "TXT")
    assert txt.stdout.strip() == '"v=STSv1; id=20240101"', txt.stdout


def test_two_labs_run_side_by_side_with_their_own_keys(processes, tmp_path):
    first = build_lab(processes, tmp_path / "one")
    second = build_lab(processes, tmp_path / "two")
    assert first.port != second.port
    assert first.trust_anchor.read_text() != second.trust_anchor.read_text()  # fresh keys each
    for lab in (first, second):
        anchor = delv_anchor(lab, lab.trust_anchor.with_suffix(".conf"))
        assert "; fully validated" in delv(lab, anchor, "example.", "MX")
    # one lab's anchor does not validate the other's zone
    crossed = delv(second, first.trust_anchor.with_suffix(".conf"), "example.", "MX")
    assert "fully validated" not in crossed, crossed


def test_silent_dns_makes_dig_time_out_over_udp_and_tcp(processes):
    silent = SilentDns(processes)
    assert silent.server() == f"127.0.0.1@{silent.port}"
    for transport in ("+notcp", "+tcp"):
        result, elapsed = dig(silent.port, "+time=1", "+tries=1", "+retry=0", transport, "example.", "MX")
        assert result.returncode == 9, (transport, result.returncode, result.stdout)
        assert "timed out" in result.stdout, result.stdout
        assert elapsed >= 0.9, elapsed  # waited for an answer: not refused
    assert silent.datagrams >= 1


def openssl_digest(shell_pipeline):
    result = subprocess.run(["bash", "-o", "pipefail", "-c", shell_pipeline], capture_output=True, text=True,
                            check=True)
    return result.stdout.split()[0]


def test_tlsa_rdata_matches_openssl_digests(tmp_path):
    chain = standard_chain(tmp_path, Spec("mx1.example"))
    leaf = chain.leaf
    spki = f"openssl x509 -in {leaf} -pubkey -noout | openssl pkey -pubin -outform DER"
    certificate = f"openssl x509 -in {leaf} -outform DER"
    assert tlsa_rdata(leaf, 3, 1, 1) == f"3 1 1 {openssl_digest(spki + ' | sha256sum')}"
    assert tlsa_rdata(leaf, 3, 0, 1) == f"3 0 1 {openssl_digest(certificate + ' | sha256sum')}"
    assert tlsa_rdata(leaf, 2, 1, 2) == f"2 1 2 {openssl_digest(spki + ' | sha512sum')}"
    full = openssl_digest(spki + " | od -An -v -tx1 | tr -d ' \\n'")
    assert tlsa_rdata(leaf, 3, 1, 0) == f"3 1 0 {full}"
    with pytest.raises(ValueError):
        tlsa_rdata(leaf, 3, 2, 1)


def https_get(address, port, path, ca, host="mta-sts.example"):
    context = ssl.create_default_context(cafile=str(ca))
    raw = socket.create_connection((address, port), timeout=10)
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.sock = context.wrap_socket(raw, server_hostname=host)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.getheader("Location"), response.read()
    finally:
        connection.close()


def test_mta_sts_server_serves_bodies_with_their_types_and_redirects(processes, tmp_path):
    chain = standard_chain(tmp_path, Spec("mta-sts.example"))
    policy = b"version: STSv1\nmode: enforce\nmx: mx1.example\nmax_age: 86400\n"
    address = "127.77.0.10"
    mta_sts_server(processes, tmp_path / "nginx", chain, address, {
        "/.well-known/mta-sts.txt": (policy, "text/plain"),
        "/other.json": (b"{}", "application/json"),
        "/moved": ("redirect", "https://elsewhere.example/.well-known/mta-sts.txt"),
    })
    assert https_get(address, 443, "/.well-known/mta-sts.txt", chain.root) == (200, "text/plain", None, policy)
    assert https_get(address, 443, "/other.json", chain.root)[:2] == (200, "application/json")
    status, _, location, _ = https_get(address, 443, "/moved", chain.root)
    assert (status, location) == (301, "https://elsewhere.example/.well-known/mta-sts.txt")
    assert https_get(address, 443, "/missing", chain.root)[0] == 404
    with pytest.raises(ssl.SSLCertVerificationError):  # the name is checked: the chain is for mta-sts.example
        https_get(address, 443, "/.well-known/mta-sts.txt", chain.root, host="mta-sts.other.example")


def test_mta_sts_server_names_the_port_it_cannot_bind(processes, tmp_path):
    chain = standard_chain(tmp_path, Spec("mta-sts.example"))
    address = "127.77.0.11"
    port = free_port(address)
    with socket.socket() as taken:
        taken.bind((address, port))
        taken.listen()
        with pytest.raises(RuntimeError, match=f"cannot listen on {address} port {port}"):
            mta_sts_server(processes, tmp_path / "nginx", chain, address, {"/": (b"x", "text/plain")}, port=port)
