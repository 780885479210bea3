"""check_tls_cert --revocation against a CA made at test time with `openssl ca` (revocation_lab.py):
stapled OCSP from `openssl s_server -status_file`, OCSP responders answering with `openssl ocsp
-index`, CRLs from `openssl ca -gencrl` served by nginx, and hostile servers, all on 127.0.0.1."""

import datetime
import os
import subprocess
import threading
import time

import pytest

from harness import PLUGIN_DIR, ScriptedServer, SilentServer, check_tls_cert, free_port
from revocation_lab import Lab, utc_now


@pytest.fixture
def lab(tmp_path, processes):
    made = Lab(tmp_path / "lab", processes)
    yield made
    made.close()


def check(lab, port, *args):
    run = check_tls_cert(port, *args, ca=lab.root.cert)
    return run


def judged(run):
    """Revocation was looked at: the perfdata says how long it took."""
    assert "time_revocation" in run.perfdata, run.stdout
    assert run.perf_value("time_revocation") >= 0, run.stdout
    return run


def line_with(run, *parts):
    """The first output line that contains every one of `parts`, or None."""
    return next((line for line in run.stdout.splitlines() if all(part in line for part in parts)), None)


def assert_line(run, *parts):
    __tracebackhide__ = True
    assert line_with(run, *parts) is not None, f"no line with {parts!r} in:\n{run.stdout}"


def revocation_lines(run):
    return [line for line in run.stdout.splitlines() if line.startswith("revocation: ")]


def assert_not_revoked_by(run, source):
    __tracebackhide__ = True
    assert any(source in line and "not revoked" in line for line in revocation_lines(run)), run.stdout


class CountingServer(ScriptedServer):
    """Counts the connections it accepts and closes them: proves that nobody was asked."""

    def __init__(self):
        self.connections = 0
        self.lock = threading.Lock()
        super().__init__(self._count)

    def _count(self, connection):
        with self.lock:
            self.connections += 1

    def count(self):
        time.sleep(0.2)  # a connection the plugin made is accepted by now
        return self.connections


# --- stapled OCSP (the default mode) ---------------------------------------------------------


def test_stapled_good_response_is_ok_and_named_in_the_long_output(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.staple(leaf, "good.der"))
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")


def test_stapled_revoked_response_is_critical_with_the_reason(lab):
    leaf = lab.leaf("leaf")
    lab.revoke(leaf, "keyCompromise")
    port = lab.tls_server(leaf, lab.staple(leaf, "revoked.der"))
    run = judged(check(lab, port))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", "stapled OCSP")


def test_stapled_revoked_response_for_a_serial_whose_der_has_a_leading_zero_is_critical(lab):
    leaf = lab.leaf("leaf", serial=0x80A1B2C3D4E5F60718)
    lab.revoke(leaf, "keyCompromise")
    port = lab.tls_server(leaf, lab.staple(leaf, "revoked.der"))
    run = judged(check(lab, port))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", "stapled OCSP")


def test_stapled_unknown_status_is_warning(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.staple(leaf, "unknown.der", index=lab.index_without(leaf)))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "unknown to the responder")


@pytest.mark.parametrize("signer", [
    "imposter",  # another key under the issuer's name
    "no-eku",    # a responder the issuer issued, without id-kp-OCSPSigning
    "other-ca",  # a responder of another CA
])
def test_staple_signed_by_neither_the_issuer_nor_its_delegated_responder_is_warning(lab, signer):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.staple(leaf, f"{signer}.der", signer=signer))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "signature")


def test_staple_signed_by_a_delegated_responder_is_ok(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.staple(leaf, "delegated.der", signer="delegated"))
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")


def test_staple_revoked_by_a_delegated_responder_is_critical(lab):
    leaf = lab.leaf("leaf")
    lab.revoke(leaf, "keyCompromise")
    port = lab.tls_server(leaf, lab.staple(leaf, "delegated-revoked.der", signer="delegated"))
    run = judged(check(lab, port))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", "stapled OCSP")


def test_staple_with_a_corrupted_signature_is_warning(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.staple(leaf, "badsig.der", badsig=True))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "signature")


def test_stapled_try_later_response_is_warning(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.unsuccessful_response("try-later.der"))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response")


def test_stale_staple_is_warning(lab):
    leaf = lab.leaf("leaf")
    port = lab.tls_server(leaf, lab.stale_response(leaf, "stale.der"))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "stale")


def test_staple_whose_next_update_passed_within_the_clock_skew_is_ok(lab):
    leaf = lab.leaf("leaf")
    # nextUpdate two minutes ago: inside the 5 minutes of clock skew allowed
    staple = lab.stale_response(leaf, "just-stale.der", this_update_days=-1,
                                next_update_days=-2 / (24 * 60))
    port = lab.tls_server(leaf, staple)
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")


def test_staple_whose_this_update_is_beyond_the_clock_skew_in_the_future_is_warning(lab):
    leaf = lab.leaf("leaf")
    staple = lab.stale_response(leaf, "future.der", this_update_days=15 / (24 * 60), next_update_days=1)
    port = lab.tls_server(leaf, staple)
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response")


def test_staple_about_another_certificate_is_warning(lab):
    leaf = lab.leaf("leaf")
    other = lab.leaf("other")
    port = lab.tls_server(leaf, lab.staple(leaf, "other.der", about=other))
    run = judged(check(lab, port))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "another certificate")


def test_staple_with_several_responses_is_judged_by_the_leafs_own(lab):
    leaf = lab.leaf("leaf")
    other = lab.leaf("other")
    lab.revoke(other, "keyCompromise")
    # the first SingleResponse is about `other` (revoked), the second about the leaf (good)
    port = lab.tls_server(leaf, lab.staple(leaf, "two.der", about=[other, leaf]))
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")


def test_staple_with_several_responses_finds_the_leaf_revoked_in_the_second(lab):
    leaf = lab.leaf("leaf")
    other = lab.leaf("other")
    lab.revoke(leaf, "keyCompromise")
    port = lab.tls_server(leaf, lab.staple(leaf, "two.der", about=[other, leaf]))
    run = judged(check(lab, port))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", "stapled OCSP")


def test_must_staple_leaf_served_without_a_staple_is_critical(lab):
    leaf = lab.leaf("leaf", must_staple=True)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "must-staple")


def test_must_staple_leaf_served_with_a_good_staple_is_ok(lab):
    leaf = lab.leaf("leaf", must_staple=True)
    port = lab.tls_server(leaf, lab.staple(leaf, "good.der"))
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert "must-staple" not in run.first_line, run.stdout
    assert_not_revoked_by(run, "stapled OCSP")


def test_default_mode_without_a_staple_is_ok_and_asks_no_server(lab):
    with CountingServer() as counter:
        url = f"http://127.0.0.1:{counter.port}"
        leaf = lab.leaf("leaf", ocsp=url + "/", crl=url + "/intermediate.crl")
        port = lab.tls_server(leaf)
        run = judged(check(lab, port))
        assert run.status == "OK", run.stdout
        assert counter.count() == 0, "the plugin connected to the OCSP/CRL server in the default mode"


def test_mode_none_does_not_judge_a_revoked_staple(lab):
    leaf = lab.leaf("leaf")
    lab.revoke(leaf, "keyCompromise")
    port = lab.tls_server(leaf, lab.staple(leaf, "revoked.der"))
    assert check(lab, port).status == "CRITICAL"  # the same server judged in the default mode
    run = check(lab, port, "--revocation", "none", "-v")
    assert run.status == "OK", run.stdout
    assert "revoked" not in run.stdout.replace("not revoked", ""), run.stdout
    assert "keyCompromise" not in run.stdout, run.stdout


def test_mode_none_does_not_ask_for_the_staple_of_a_must_staple_leaf(lab):
    leaf = lab.leaf("leaf", must_staple=True)
    port = lab.tls_server(leaf, lab.staple(leaf, "good.der"))
    run = check(lab, port, "--revocation", "none")
    assert run.status == "OK", run.stdout
    assert "must-staple" not in run.stdout, run.stdout


# --- OCSP responder (--revocation ocsp) -------------------------------------------------------


def test_ocsp_mode_asks_the_responder_and_good_is_ok(lab):
    leaf = lab.leaf("leaf")
    responder = lab.responder()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"OCSP responder {responder.url.rstrip('/')}")
    assert len(responder.requests) == 1, responder.requests
    assert responder.requests[0][0] == "POST", responder.requests
    assert not responder.errors, responder.errors


@pytest.mark.parametrize("reason", ["keyCompromise", "cessationOfOperation"])
def test_ocsp_responder_revoked_is_critical_with_the_reason(lab, reason):
    leaf = lab.leaf("leaf")
    lab.revoke(leaf, reason)
    responder = lab.responder()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", reason, f"OCSP responder {responder.url.rstrip('/')}")


def test_ocsp_responder_unknown_is_warning(lab):
    leaf = lab.leaf("leaf")
    lab.responder(index=lab.index_without(leaf))
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "unknown to the responder")


def test_ocsp_responder_through_a_delegated_responder_certificate_is_ok(lab):
    leaf = lab.leaf("leaf")
    responder = lab.responder(signer="delegated")
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"OCSP responder {responder.url.rstrip('/')}")


def test_ocsp_responder_signing_with_another_key_is_warning(lab):
    leaf = lab.leaf("leaf")
    lab.responder(signer="imposter")
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "signature")


def test_ocsp_responder_answering_an_expired_response_is_warning(lab):
    url = lab.http_url("ocsp/stale.der")
    leaf = lab.leaf("leaf", ocsp=url)
    (lab.www / "ocsp").mkdir()
    lab.publish(lab.stale_response(leaf, "stale.der"), "ocsp/stale.der")
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP response", "stale")
    assert lab.http_requests("ocsp/stale.der") == 1


def test_ocsp_mode_does_not_ask_the_responder_when_the_staple_is_valid(lab):
    leaf = lab.leaf("leaf")
    responder = lab.responder()
    port = lab.tls_server(leaf, lab.staple(leaf, "good.der"))
    run = judged(check(lab, port, "--revocation", "ocsp", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")
    assert responder.requests == []


def test_ocsp_mode_asks_the_responder_when_the_staple_is_invalid(lab):
    leaf = lab.leaf("leaf")
    responder = lab.responder()
    port = lab.tls_server(leaf, lab.stale_response(leaf, "stale.der"))
    judged(check(lab, port, "--revocation", "ocsp"))
    assert len(responder.requests) == 1, responder.requests


def test_ocsp_responder_answering_unauthorized_takes_the_revocation_unreachable_state(lab):
    # responseStatus unauthorized (RFC 6960 2.3), no response body: no usable answer
    url = lab.http_url("ocsp/unauthorized.der")
    leaf = lab.leaf("leaf", ocsp=url)
    (lab.www / "ocsp").mkdir()
    lab.publish(lab.unsuccessful_response("unauthorized.der", "UNAUTHORIZED"), "ocsp/unauthorized.der")
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url)
    run = judged(check(lab, port, "--revocation", "ocsp", "--revocation-unreachable", "critical"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, url)
    assert lab.http_requests("ocsp/unauthorized.der") == 2


def test_ocsp_responder_answering_404_is_an_http_status(lab):
    url = lab.http_url("ocsp/missing.der")
    leaf = lab.leaf("leaf", ocsp=url)
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "HTTP status")


def test_refused_ocsp_responder_is_warning_by_default(lab):
    url = f"http://127.0.0.1:{free_port()}/"
    leaf = lab.leaf("leaf", ocsp=url)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url.rstrip("/"), "refused")


def test_refused_ocsp_responder_takes_the_revocation_unreachable_state(lab):
    url = f"http://127.0.0.1:{free_port()}/"
    leaf = lab.leaf("leaf", ocsp=url)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp", "--revocation-unreachable", "critical"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, url.rstrip("/"), "refused")


def test_ocsp_responder_that_never_answers_times_out_within_the_run_limit(lab):
    with SilentServer() as silent:
        url = f"http://127.0.0.1:{silent.port}/"
        leaf = lab.leaf("leaf", ocsp=url)
        port = lab.tls_server(leaf)
        run = check(lab, port, "--revocation", "ocsp", "-t", "3")
    assert run.elapsed < 3.5, (run.elapsed, run.stdout)
    assert run.status == "WARNING", run.stdout
    assert_line(run, url.rstrip("/"), "timed out")


def test_ocsp_responder_that_drips_its_answer_ends_within_the_run_limit(lab):
    def drip(connection):
        connection.recv(65536)
        for byte in b"HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\nContent-Length: 4000\r\n\r\n" * 10:
            connection.sendall(bytes([byte]))
            time.sleep(0.25)

    with ScriptedServer(drip) as dripping:
        url = f"http://127.0.0.1:{dripping.port}/"
        leaf = lab.leaf("leaf", ocsp=url)
        port = lab.tls_server(leaf)
        run = check(lab, port, "--revocation", "ocsp", "-t", "3")
    assert run.elapsed < 3.5, (run.elapsed, run.stdout)
    assert run.status == "WARNING", run.stdout
    assert_line(run, url.rstrip("/"), "timed out")


def test_ocsp_responder_answering_html_is_not_der(lab):
    url = lab.http_url("ocsp-html")
    leaf = lab.leaf("leaf", ocsp=url)
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "ocsp"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "not DER")
    assert lab.http_requests("ocsp-html") == 1


# --- CRL (--revocation crl) -------------------------------------------------------------------


def crl_setup(lab, leaf_kwargs=None, revoke=False, **crl_kwargs):
    leaf = lab.leaf("leaf", ocsp=None, **(leaf_kwargs or {}))
    if revoke:
        lab.revoke(leaf, "keyCompromise")
    lab.crl(**crl_kwargs)
    lab.serve_http()
    return leaf, lab.tls_server(leaf)


def test_crl_behind_one_redirect_is_fetched_and_judged(lab):
    leaf, port = crl_setup(lab, leaf_kwargs={"crl": lab.http_url("moved.crl")}, revoke=True)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", f"CRL {lab.http_url('moved.crl')}")


def test_crl_behind_two_redirects_is_not_followed_further(lab):
    leaf, port = crl_setup(lab, leaf_kwargs={"crl": lab.http_url("twice.crl")}, revoke=True)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout  # the --revocation-unreachable state
    assert_line(run, f"CRL {lab.http_url('twice.crl')}", "redirected more than once")


def test_crl_not_listing_the_leaf_is_ok(lab):
    other = lab.leaf("other")
    lab.revoke(other)
    leaf, port = crl_setup(lab)
    run = judged(check(lab, port, "--revocation", "crl", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"CRL {lab.http_url('intermediate.crl')}")
    assert lab.http_requests("intermediate.crl") == 1


def test_crl_listing_the_leaf_is_critical_with_the_reason(lab):
    leaf, port = crl_setup(lab, revoke=True)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", f"CRL {lab.http_url('intermediate.crl')}")


def test_crl_finds_a_revoked_serial_whose_der_has_a_leading_zero(lab):
    # 0x80A1... has its high bit set: its DER INTEGER is 00 80 A1 ..., its hex in index.txt 80A1...
    serial = 0x80A1B2C3D4E5F60718 + int.from_bytes(os.urandom(2), "big")
    leaf, port = crl_setup(lab, leaf_kwargs={"serial": serial}, revoke=True)
    text = subprocess.run(["openssl", "x509", "-in", str(leaf.cert), "-noout", "-serial"], capture_output=True,
                          text=True, check=True).stdout
    assert text.strip() == f"serial={serial:X}"
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", "CRL")


def test_crl_not_listing_a_serial_that_shares_the_revoked_ones_low_bytes_is_ok(lab):
    # revoked: 0x80A1B2...18, checked: 0xA1B2...18, the same bytes without the leading 80 (a
    # lookup that compares suffixes or strips bytes would confuse them)
    revoked = lab.leaf("revoked", serial=0x80A1B2C3D4E5F60718)
    lab.revoke(revoked)
    leaf, port = crl_setup(lab, leaf_kwargs={"serial": 0xA1B2C3D4E5F60718})
    run = judged(check(lab, port, "--revocation", "crl", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "CRL")


def test_crl_whose_next_update_passed_is_warning_stale(lab):
    now = utc_now()
    leaf, port = crl_setup(lab, last_update=now - datetime.timedelta(days=3),
                           next_update=now - datetime.timedelta(days=1))
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "CRL", "stale")


def test_crl_signed_by_another_key_is_warning(lab):
    leaf = lab.leaf("leaf", ocsp=None)
    lab.revoke(leaf)  # listed, but the list cannot be trusted
    lab.crl_signed_by_another_key()
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "CRL", "signature")


def test_crl_larger_than_the_bound_is_unreachable(lab):
    leaf = lab.leaf("leaf", ocsp=None)
    lab.huge_crl()
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, lab.http_url("intermediate.crl"), "larger than")


def test_crl_streamed_without_a_length_beyond_the_bound_is_unreachable(lab):
    # no Content-Length, the body ends when the server closes: the bound must hold while reading
    body = lab.huge_crl().read_bytes()

    def stream(connection):
        connection.recv(65536)
        connection.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/pkix-crl\r\n\r\n")
        for start in range(0, len(body), 65536):
            connection.sendall(body[start:start + 65536])

    with ScriptedServer(stream) as server:
        url = f"http://127.0.0.1:{server.port}/intermediate.crl"
        leaf = lab.leaf("leaf", ocsp=None, crl=url)
        port = lab.tls_server(leaf)
        run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "larger than")


def test_sharded_crl_whose_scope_names_its_url_is_ok(lab):
    url = lab.http_url("shard-1.crl")
    leaf, port = crl_setup(lab, leaf_kwargs={"crl": url}, name="shard-1.crl", idp_url=url)
    run = judged(check(lab, port, "--revocation", "crl", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"CRL {url}")


def test_sharded_crl_whose_scope_names_another_url_is_warning(lab):
    url = lab.http_url("shard-1.crl")
    leaf, port = crl_setup(lab, leaf_kwargs={"crl": url}, name="shard-1.crl", idp_url=lab.http_url("shard-2.crl"))
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "CRL", "scope")


def test_crl_server_answering_404_is_an_http_status(lab):
    url = lab.http_url("missing.crl")
    leaf = lab.leaf("leaf", ocsp=None, crl=url)
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "HTTP status")


def test_crl_server_answering_html_is_not_der(lab):
    url = lab.http_url("page.crl")
    leaf = lab.leaf("leaf", ocsp=None, crl=url)
    (lab.www / "page.crl").write_text("<!DOCTYPE html><html><body>Moved to our new portal</body></html>\n")
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "not DER")


def test_crl_of_another_issuer_at_the_leafs_url_is_warning(lab):
    # the root's (empty) CRL where the intermediate's should be: it does not cover the leaf
    leaf = lab.leaf("leaf", ocsp=None)
    lab.revoke(leaf)
    lab.crl(authority=lab.root)
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "CRL", lab.http_url("intermediate.crl"))


def test_https_crl_distribution_point_is_not_fetched(lab):
    with CountingServer() as counter:
        leaf = lab.leaf("leaf", ocsp=None, crl=f"https://127.0.0.1:{counter.port}/intermediate.crl")
        port = lab.tls_server(leaf)
        judged(check(lab, port, "--revocation", "crl"))
        assert counter.count() == 0


def test_refused_crl_server_takes_the_revocation_unreachable_state(lab):
    url = f"http://127.0.0.1:{free_port()}/intermediate.crl"
    leaf = lab.leaf("leaf", ocsp=None, crl=url)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "crl"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, url, "refused")
    run = judged(check(lab, port, "--revocation", "crl", "--revocation-unreachable", "unknown"))
    assert run.status == "UNKNOWN", run.stdout


# --- auto -------------------------------------------------------------------------------------


def test_auto_asks_the_ocsp_responder_when_the_leaf_names_one(lab):
    leaf = lab.leaf("leaf")
    lab.crl()
    lab.serve_http()
    responder = lab.responder()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "auto", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"OCSP responder {responder.url.rstrip('/')}")
    assert len(responder.requests) == 1
    assert lab.http_requests("intermediate.crl") == 0


def test_auto_uses_the_crl_when_the_leaf_names_no_responder(lab):
    leaf = lab.leaf("leaf", ocsp=None)
    lab.revoke(leaf, "keyCompromise")
    lab.crl()
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "auto"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "keyCompromise", f"CRL {lab.http_url('intermediate.crl')}")
    assert lab.http_requests("intermediate.crl") == 1


def test_auto_falls_back_to_the_crl_when_the_responder_is_down_and_does_not_warn(lab):
    leaf = lab.leaf("leaf", ocsp=f"http://127.0.0.1:{free_port()}/")  # nothing listens there
    lab.crl()
    lab.serve_http()
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "auto", "-v"))
    assert run.status == "OK", run.stdout  # the CRL answered: the responder's refusal pages no one
    assert_not_revoked_by(run, f"CRL {lab.http_url('intermediate.crl')}")
    assert_line(run, "revocation: OCSP responder", "refused", "the CRL answered instead")


def test_auto_with_the_responder_down_and_no_crl_takes_the_unreachable_state(lab):
    leaf = lab.leaf("leaf", ocsp=f"http://127.0.0.1:{free_port()}/", crl=None)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", "auto"))
    assert run.status == "WARNING", run.stdout
    assert_line(run, "OCSP responder", "refused")


def test_auto_takes_a_valid_staple_and_asks_nobody(lab):
    leaf = lab.leaf("leaf")
    lab.crl()
    lab.serve_http()
    responder = lab.responder()
    port = lab.tls_server(leaf, lab.staple(leaf, "good.der"))
    run = judged(check(lab, port, "--revocation", "auto", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, "stapled OCSP")
    assert responder.requests == []
    assert lab.http_requests("intermediate.crl") == 0


# --- the intermediates (--revocation-depth all) -----------------------------------------------


def revoked_intermediate(lab):
    leaf = lab.leaf("leaf")
    lab.revoke_intermediate("superseded")
    lab.crl()                                   # the intermediate's: the leaf is not listed
    lab.crl("root.crl", authority=lab.root)     # the root's: the intermediate is
    lab.serve_http()
    lab.responder()
    lab.responder(authority=lab.root)
    return leaf, lab.tls_server(leaf)


def test_depth_all_finds_a_revoked_intermediate_in_the_roots_crl(lab):
    leaf, port = revoked_intermediate(lab)
    run = judged(check(lab, port, "--revocation", "crl", "--revocation-depth", "all"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "superseded", f"CRL {lab.http_url('root.crl')}")
    assert lab.http_requests("root.crl") == 1


def test_depth_all_finds_a_revoked_intermediate_by_the_roots_responder(lab):
    leaf, port = revoked_intermediate(lab)
    run = judged(check(lab, port, "--revocation", "ocsp", "--revocation-depth", "all"))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "superseded", f"OCSP responder http://127.0.0.1:{lab.root_ocsp_port}")


def test_depth_leaf_does_not_ask_about_the_intermediate(lab):
    leaf, port = revoked_intermediate(lab)
    run = judged(check(lab, port, "--revocation", "crl", "-v"))
    assert run.status == "OK", run.stdout
    assert_not_revoked_by(run, f"CRL {lab.http_url('intermediate.crl')}")
    assert lab.http_requests("root.crl") == 0


# --- short-lived certificates -----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["staple", "ocsp", "crl", "auto"])
def test_six_day_leaf_without_pointers_is_revocation_not_applicable(lab, mode):
    leaf = lab.leaf("leaf", ocsp=None, crl=None, lifetime_days=6)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "--revocation", mode, "-v"))
    assert run.status == "OK", run.stdout
    assert_line(run, "revocation not applicable")


def test_year_long_leaf_without_pointers_is_not_called_short_lived(lab):
    leaf = lab.leaf("leaf", ocsp=None, crl=None, lifetime_days=365)
    port = lab.tls_server(leaf)
    run = judged(check(lab, port, "-v"))
    assert run.status == "OK", run.stdout
    assert line_with(run, "revocation not applicable") is None, run.stdout


# --- the CRL cache (--cache-dir) --------------------------------------------------------------


def test_cache_dir_keeps_the_crl_for_a_run_without_the_server(lab, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    leaf, port = crl_setup(lab, revoke=True)
    first = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
    assert first.status == "CRITICAL", first.stdout
    files = [entry for entry in cache.rglob("*") if entry.is_file()]
    assert len(files) == 1, files  # one file for the one URL, no temporary file left
    lab.stop_http()
    second = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
    assert second.status == "CRITICAL", second.stdout
    assert_line(second, "revoked", "keyCompromise", f"CRL {lab.http_url('intermediate.crl')}")
    assert [entry for entry in cache.rglob("*") if entry.is_file()] == files


def test_cache_dir_keeps_one_file_per_url(lab, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    leaf, port = revoked_intermediate(lab)
    args = ("--revocation", "crl", "--revocation-depth", "all", "--cache-dir", cache)
    assert judged(check(lab, port, *args)).status == "CRITICAL"
    assert len([entry for entry in cache.rglob("*") if entry.is_file()]) == 2  # root.crl, intermediate.crl
    lab.stop_http()
    run = judged(check(lab, port, *args))
    assert run.status == "CRITICAL", run.stdout
    assert_line(run, "revoked", "superseded", f"CRL {lab.http_url('root.crl')}")
    assert "refused" not in run.stdout, run.stdout  # the leaf's CRL came from the cache too


def test_cached_crl_is_not_used_after_its_next_update(lab, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    next_update = utc_now() + datetime.timedelta(seconds=12)
    leaf, port = crl_setup(lab, next_update=next_update)
    first = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
    assert first.status == "OK", first.stdout
    assert lab.http_requests("intermediate.crl") == 1
    lab.revoke(leaf, "keyCompromise")
    lab.crl()  # a new CRL at the same URL, listing the leaf, due in a day
    while utc_now() <= next_update + datetime.timedelta(seconds=1):
        time.sleep(0.5)
    second = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
    assert lab.http_requests("intermediate.crl") == 2, second.stdout
    assert second.status == "CRITICAL", second.stdout
    assert_line(second, "revoked", "keyCompromise")


def test_corrupted_cache_file_is_not_judged_from(lab, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    leaf, port = crl_setup(lab, revoke=True)
    assert check(lab, port, "--revocation", "crl", "--cache-dir", cache).status == "CRITICAL"
    [cached] = [entry for entry in cache.rglob("*") if entry.is_file()]
    cached.write_bytes(b"\x30\x82\x01\x00" + os.urandom(200))
    lab.stop_http()
    run = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
    assert run.status == "WARNING", run.stdout
    assert_line(run, lab.http_url("intermediate.crl"), "refused")


def test_cache_is_used_for_a_second_run_with_the_server_up(lab, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    leaf, port = crl_setup(lab)
    for _ in range(2):
        run = judged(check(lab, port, "--revocation", "crl", "--cache-dir", cache))
        assert run.status == "OK", run.stdout
    assert lab.http_requests("intermediate.crl") == 1


def test_without_cache_dir_nothing_is_written(lab, tmp_path):
    leaf, port = crl_setup(lab, revoke=True)
    home, temp, work = (tmp_path / "home", tmp_path / "temp", tmp_path / "work")
    for directory in (home, temp, work):
        directory.mkdir()
    environment = dict(os.environ, HOME=str(home), TMPDIR=str(temp), XDG_CACHE_HOME=str(home / ".cache"))
    result = subprocess.run([str(PLUGIN_DIR / "check_tls_cert"), "-H", "localhost", "-p", str(port), "--ca-file",
                             str(lab.root.cert), "--revocation", "crl"], capture_output=True, text=True,
                            env=environment, cwd=work, timeout=30, stdin=subprocess.DEVNULL)
    assert result.returncode == 2, result.stdout
    assert "revoked" in result.stdout
    for directory in (home, temp, work):
        assert list(directory.rglob("*")) == [], directory
