"""check_mail_tls against whole mail domains on loopback: NSD serving DNSSEC-signed zones
(dns_lab.DnsLab) that libunbound in the plugin validates from the lab's trust anchor, one Postfix
per MX host address (servers.postfix), all MX hosts on one common SMTP port, and nginx serving the
MTA-STS policy (dns_lab.mta_sts_server) on port 443 of an address of its own."""

import itertools

import pytest

import servers
from addresses import common_port
from dns_lab import DnsLab, SilentDns, mta_sts_server, tlsa_rdata
from harness import SilentServer, assert_plugin_shape, run_plugin
from pki import Spec, standard_chain

PLUGIN = "check_mail_tls"
PREFIX = "MAIL_TLS"

# Each MTA-STS nginx listens on port 443 of an address no other test has used (127.78.<n>.1).
_policy_addresses = (f"127.78.{n}.1" for n in itertools.count(1))

ENFORCE_BOTH = b"version: STSv1\nmode: enforce\nmx: mx1.example\nmx: mx2.example\nmax_age: 86400\n"


def shaped(run):
    """assert_plugin_shape (stdout only, state = exit code, under 4 KiB) and the README's bound:
    at most 4000 bytes in all."""
    assert_plugin_shape(run, PREFIX)
    assert len(run.stdout.encode()) <= 4000, len(run.stdout.encode())
    return run


def policy(mode, *mx):
    return ("version: STSv1\nmode: " + mode + "\n" + "".join(f"mx: {m}\n" for m in mx) + "max_age: 86400\n").encode()


class MailLab:
    """A mail domain on loopback. At construction: one CA chain whose leaf names every MX host and
    mta-sts.<domain> for each of `domains`, and one Postfix per MX host (127.0.0.2, 127.0.0.3, ...
    in the order of `hosts`) on one common port; `wrong_name` hosts present a chain made for
    another name, `expired` hosts one that expired two days ago, `plain` hosts answer on the common port without STARTTLS (smtp=False: no Postfix
    at all, for a test that ends before connecting). Then dns() starts
    the zones (whose text may use self.port, self.address, self.tlsa()) and policy() an nginx."""

    def __init__(self, processes, directory, hosts=("mx1.example", "mx2.example"), domains=("example",),
                 wrong_name=(), plain=(), smtp=True, expired=()):
        self.processes = processes
        self.dir = directory
        self.hosts = list(hosts)
        self.address = {host: f"127.0.0.{index + 2}" for index, host in enumerate(self.hosts)}
        (directory / "pki").mkdir()
        names = [*self.hosts, *(f"mta-sts.{domain}" for domain in domains)]
        self.chain = standard_chain(directory / "pki", Spec(self.hosts[0], dns_names=names))
        roots = [self.chain.root]
        self.chains = {}
        for host in self.hosts:
            if host in wrong_name:
                (directory / f"pki-{host}").mkdir()
                self.chains[host] = standard_chain(directory / f"pki-{host}",
                                                   Spec("other.example", dns_names=["other.example"]))
                roots.append(self.chains[host].root)
            elif host in expired:
                (directory / f"pki-{host}").mkdir()
                self.chains[host] = standard_chain(directory / f"pki-{host}",
                                                   Spec(host, dns_names=[host], not_before_days=-30,
                                                        not_after_days=-2))
                roots.append(self.chains[host].root)
            else:
                self.chains[host] = self.chain
        self.ca_file = directory / "roots.pem"
        self.ca_file.write_bytes(b"".join(root.read_bytes() for root in roots))
        self.port = common_port(list(self.address.values()))
        for index, host in enumerate(self.hosts if smtp else ()):
            # short: Postfix's sockets live below it, and a socket path has at most 107 bytes
            postfix_dir = directory / f"pf{index}"
            postfix_dir.mkdir()
            wanted = {"plain": self.port} if host in plain else {"smtp": self.port}
            servers.postfix(processes, postfix_dir, self.chains[host], address=self.address[host], ports=wanted)
        self.dns_lab = None

    def tlsa(self, host, usage=3, selector=1, matching=1, certificate=None):
        """A TLSA record line (absolute owner) for `host` on the common port; the certificate
        (PEM file, its first certificate) defaults to the one that host's Postfix sends."""
        owner = f"_{self.port}._tcp.{host}."
        return f"{owner} TLSA {tlsa_rdata(certificate or self.chains[host].leaf, usage, selector, matching)}"

    def dns(self, zones, corrupt=()):
        """zones: {"example.": text} or {name: (text, signed)}; every other zone is delegated from
        example.. corrupt: (owner, rrtype) whose signatures are damaged."""
        self.dns_lab = DnsLab(self.processes, self.dir / "dns")
        made = {}
        for name, text in zones.items():
            signed = True
            if isinstance(text, tuple):
                text, signed = text
            # one record a line, each starting with its owner (a leading blank would repeat the last)
            lines = "\n".join(line.strip() for line in text.splitlines() if line.strip())
            made[name] = self.dns_lab.zone(name, signed=signed).add(lines)
        for name, zone in made.items():
            if name != "example.":
                self.dns_lab.delegate(made["example."], zone)
        for owner, rrtype in corrupt:
            self.dns_lab.corrupt(owner, rrtype)
        self.dns_lab.start()
        return self

    def policy(self, address, files, name="sts"):
        """nginx for an MTA-STS policy host on address:443 (files as mta_sts_server takes them)."""
        (self.dir / name).mkdir()
        mta_sts_server(self.processes, self.dir / name, self.chain, address, files)
        return self

    def check(self, *args, domain="example", timeout_option=10):
        run = run_plugin(PLUGIN, "-D", domain, "-p", self.port, "--dns-server", self.dns_lab.server(),
                         "--trust-anchor", self.dns_lab.trust_anchor, "--ca-file", self.ca_file,
                         "-t", timeout_option, *args)
        return shaped(run)


def well_known(body, content_type="text/plain"):
    return {"/.well-known/mta-sts.txt": (body, content_type)}


def mx_records(lab):
    """'@ MX 10 mx1', '@ MX 20 mx2', ... and their A records, for hosts named <label>.example."""
    lines = []
    for index, host in enumerate(lab.hosts):
        label = host[:-len(".example")]
        lines += [f"@ MX {10 * (index + 1)} {label}", f"{label} A {lab.address[host]}"]
    return "\n".join(lines) + "\n"


def perf(run, label):
    return run.perf_value(label)


# -- DANE ---------------------------------------------------------------------------------------


def test_two_mx_hosts_with_dane_mta_sts_and_tls_rpt_in_place_are_ok(processes, tmp_path):
    lab = MailLab(processes, tmp_path)
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        {lab.tlsa("mx2.example")}
        _mta-sts TXT "v=STSv1; id=20240101"
        mta-sts A {sts}
        _smtp._tls TXT "v=TLSRPTv1; rua=mailto:tlsrpt@example"
        """}).policy(sts, well_known(ENFORCE_BOTH))
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "2 MX, 2 addresses; STARTTLS on all; DANE valid on 2/2; MTA-STS enforce covers 2/2" in run.first_line, \
        run.stdout
    assert perf(run, "mx") == 2, run.stdout
    assert perf(run, "addresses") == 2, run.stdout
    assert perf(run, "starttls_missing") == 0, run.stdout
    assert perf(run, "dane_mismatch") == 0, run.stdout


def test_dane_ee_ignores_an_expired_certificate_as_dane_senders_do(processes, tmp_path):
    """RFC 7671 5.1: a DANE-EE(3) match authenticates the key; names and dates do not matter. The
    expired certificate is still described, but decides nothing."""
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",), expired=("mx1.example",))
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example")})
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "DANE valid on 1/1" in run.first_line, run.stdout
    assert "certificate (not used by DANE senders): " in run.stdout and "expired" in run.stdout, run.stdout

    # Without the TLSA record the same certificate is judged as check_tls_cert judges it.
    plain = tmp_path / "again"
    plain.mkdir()
    lab.dns_lab = None
    lab.dir = plain
    lab.dns({"example.": mx_records(lab)})
    run = lab.check()
    assert run.status == "CRITICAL", run.stdout
    assert "expired" in run.first_line, run.stdout


def test_dane_ta_record_of_the_intermediate_authenticates(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example", 2, 0, 1, certificate=lab.chain.chain)})
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "DANE valid on 1/1" in run.first_line, run.stdout
    assert "DANE-TA(2)" in run.stdout, run.stdout
    assert "matches at depth 1" in run.stdout, run.stdout
    assert perf(run, "dane_mismatch") == 0, run.stdout


def test_tlsa_matching_nothing_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    # the root's key: not the leaf's, so DANE-EE 3 1 1 of it matches nothing the server sends
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example", 3, 1, 1, certificate=lab.chain.root)})
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert "DANE senders will defer mail to mx1.example" in run.first_line, run.stdout
    assert "DANE valid on 0/1" in run.first_line, run.stdout
    assert perf(run, "dane_mismatch") == 1, run.stdout


def test_tlsa_in_an_unsigned_child_zone_is_ignored(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.insecure.example",))
    wrong = tlsa_rdata(lab.chain.root, 3, 1, 1)  # would be a mismatch, were it DNSSEC-secure
    lab.dns({"example.": "@ MX 10 mx1.insecure\n",
             "insecure.example.": (f"""
                 mx1 A {lab.address["mx1.insecure.example"]}
                 _{lab.port}._tcp.mx1 TLSA {wrong}
                 """, False)})
    run = lab.check("-v")
    assert run.status == "WARNING", run.stdout
    assert "downgrade protection: none" in run.first_line, run.stdout
    assert "DANE: none" in run.first_line, run.stdout
    assert "DANE senders" not in run.stdout, run.stdout
    assert "not DNSSEC-signed" in run.stdout, run.stdout
    assert "DANE: none" in run.stdout.split("\n", 1)[1], run.stdout
    assert perf(run, "dane_mismatch") == 0, run.stdout

    run = lab.check("--require", "dane-or-mta-sts")
    assert run.status == "CRITICAL", run.stdout
    assert "DANE or MTA-STS required: neither protects every MX host" in run.first_line, run.stdout


def test_tlsa_with_a_bogus_signature_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example")},
            corrupt=[(f"_{lab.port}._tcp.mx1.example.", "TLSA")])
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert (f"DANE senders will defer mail to mx1.example: TLSA _{lab.port}._tcp.mx1.example fails DNSSEC "
            "validation" in run.first_line), run.stdout
    assert "DANE valid on 0/1" in run.first_line, run.stdout
    assert perf(run, "dane_mismatch") == 1, run.stdout  # DANE senders defer this address too


def test_mx_with_a_bogus_signature_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",), smtp=False)
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example")}, corrupt=[("example.", "MX")])
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert "MX of example fails DNSSEC validation" in run.first_line, run.stdout


# -- MTA-STS ------------------------------------------------------------------------------------


def test_mta_sts_enforce_missing_an_mx_host_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path)
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        _mta-sts TXT "v=STSv1; id=1"
        mta-sts A {sts}
        """}).policy(sts, well_known(policy("enforce", "mx1.example")))
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert "senders enforcing MTA-STS will not deliver to mx2.example" in run.first_line, run.stdout
    assert "mx1.example" not in run.first_line.split("will not deliver to", 1)[1].split(":")[0], run.stdout
    assert "MTA-STS enforce covers 1/2" in run.first_line, run.stdout


def test_mta_sts_testing_missing_an_mx_host_is_warning(processes, tmp_path):
    lab = MailLab(processes, tmp_path)
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        _mta-sts TXT "v=STSv1; id=1"
        mta-sts A {sts}
        """}).policy(sts, well_known(policy("testing", "mx1.example")))
    run = lab.check("-v")
    assert run.status == "WARNING", run.stdout
    assert "MTA-STS testing: senders would not deliver to mx2.example" in run.first_line, run.stdout
    assert "MTA-STS testing covers 1/2" in run.first_line, run.stdout


def test_mta_sts_enforce_with_a_certificate_for_another_name_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",), wrong_name=("mx1.example",))
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        _mta-sts TXT "v=STSv1; id=1"
        mta-sts A {sts}
        """}).policy(sts, well_known(policy("enforce", "mx1.example")))
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert ("senders enforcing MTA-STS will not deliver to mx1.example: its certificate is not valid"
            in run.first_line), run.stdout
    assert "MTA-STS enforce covers 0/1" in run.first_line, run.stdout


@pytest.mark.parametrize("served, state, wanted", [
    (("redirect", "https://mta-sts.example/elsewhere.txt"), "WARNING", "redirect"),
    ((policy("enforce", "mx1.example"), "text/html"), "WARNING", "Content-Type"),
    ((policy("enforce", "mx1.example"), "text/plain; charset=utf-8"), "OK", "MTA-STS enforce covers 1/1"),
], ids=["redirect", "text-html", "text-plain-charset"])
def test_policy_http_answer(processes, tmp_path, served, state, wanted):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        _mta-sts TXT "v=STSv1; id=1"
        mta-sts A {sts}
        """}).policy(sts, {"/.well-known/mta-sts.txt": served})
    run = lab.check("-v")
    assert run.status == state, run.stdout
    assert wanted in run.first_line, run.stdout
    if state == "WARNING":
        assert "MTA-STS policy not available" in run.first_line, run.stdout


def test_policy_with_a_syntax_error_is_warning(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    sts = next(_policy_addresses)
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        _mta-sts TXT "v=STSv1; id=1"
        mta-sts A {sts}
        """}).policy(sts, well_known(b"version: STSv1\nmode: enforcing\nmx: mx1.example\nmax_age: 86400\n"))
    run = lab.check("-v")
    assert run.status == "WARNING", run.stdout
    assert "MTA-STS policy not available" in run.first_line, run.stdout
    assert "line 2" in run.first_line, run.stdout


# -- STARTTLS, MX records -----------------------------------------------------------------------


def test_mx_host_without_starttls_is_critical(processes, tmp_path):
    lab = MailLab(processes, tmp_path, plain=("mx2.example",))
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        """})
    run = lab.check("-v")
    assert run.status == "CRITICAL", run.stdout
    assert f"mx2.example 127.0.0.3:{lab.port} STARTTLS not offered" in run.first_line, run.stdout
    assert "STARTTLS on 1/2" in run.first_line, run.stdout
    assert perf(run, "starttls_missing") == 1, run.stdout
    assert perf(run, "addresses") == 2, run.stdout


def test_null_mx_accepts_no_mail(processes, tmp_path):
    lab = DnsLab(processes, tmp_path / "dns")
    lab.zone("example.").add("@ MX 0 .")
    lab.start()
    run = run_plugin(PLUGIN, "-D", "example", "--dns-server", lab.server(), "--trust-anchor", lab.trust_anchor,
                     "-t", 10)
    shaped(run)
    assert run.status == "OK", run.stdout
    assert "accepts no mail" in run.first_line, run.stdout
    assert perf(run, "mx") == 0, run.stdout


def test_no_mx_record_checks_the_domain_itself(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("example",))
    lab.dns({"example.": f"""
        @ A {lab.address["example"]}
        {lab.tlsa("example")}
        """})
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "1 MX (the domain itself), 1 address" in run.first_line, run.stdout
    assert "no MX records" in run.stdout, run.stdout
    assert perf(run, "mx") == 1, run.stdout


# -- TLS-RPT, --require -------------------------------------------------------------------------


def test_malformed_tls_rpt_is_only_described_unless_required(processes, tmp_path):
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        _smtp._tls TXT "v=TLSRPTv1; rua=ftp://x"
        norpt MX 10 mx1
        """})
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "TLS-RPT: _smtp._tls.example: rua 'ftp://x' is neither mailto: nor https:" in run.stdout, run.stdout

    run = lab.check("--require", "tlsrpt")
    assert run.status == "WARNING", run.stdout
    assert "TLS-RPT required" in run.first_line, run.stdout
    assert "ftp://x" in run.first_line, run.stdout

    run = lab.check("--require", "tlsrpt", domain="norpt.example")
    assert run.status == "WARNING", run.stdout
    assert "TLS-RPT required: no TXT record at _smtp._tls.norpt.example" in run.first_line, run.stdout


def test_malformed_tls_rpt_is_named_with_v_also_for_two_mx_hosts(processes, tmp_path):
    lab = MailLab(processes, tmp_path)
    lab.dns({"example.": mx_records(lab) + f"""
        {lab.tlsa("mx1.example")}
        {lab.tlsa("mx2.example")}
        _smtp._tls TXT "v=TLSRPTv1; rua=ftp://x"
        """})
    run = lab.check("-v")
    assert run.status == "OK", run.stdout
    assert "DANE valid on 2/2" in run.first_line, run.stdout
    assert "TLS-RPT: _smtp._tls.example: rua 'ftp://x' is neither mailto: nor https:" in run.stdout, run.stdout


def test_require_dane_and_require_mta_sts(processes, tmp_path):
    # sts.example: MX mx2 (no TLSA), MTA-STS enforce; dane.example: MX mx1 (TLSA), no MTA-STS
    lab = MailLab(processes, tmp_path, domains=("sts.example",))
    sts = next(_policy_addresses)
    lab.dns({"example.": f"""
        mx1 A {lab.address["mx1.example"]}
        mx2 A {lab.address["mx2.example"]}
        {lab.tlsa("mx1.example")}
        dane MX 10 mx1
        sts MX 10 mx2
        _mta-sts.sts TXT "v=STSv1; id=1"
        mta-sts.sts A {sts}
        """}).policy(sts, well_known(policy("enforce", "mx2.example")))

    run = lab.check(domain="sts.example")
    assert run.status == "OK", run.stdout
    run = lab.check("--require", "dane", domain="sts.example")
    assert run.status == "CRITICAL", run.stdout
    assert "DANE required: valid on 0/1 MX hosts" in run.first_line, run.stdout

    run = lab.check(domain="dane.example")
    assert run.status == "OK", run.stdout
    run = lab.check("--require", "mta-sts", domain="dane.example")
    assert run.status == "CRITICAL", run.stdout
    assert "MTA-STS required: no policy in force" in run.first_line, run.stdout

    # Either protection is enough for dane-or-mta-sts.
    for domain in ("dane.example", "sts.example"):
        run = lab.check("--require", "dane-or-mta-sts", domain=domain)
        assert run.status == "OK", run.stdout


# -- time limit, bad input ----------------------------------------------------------------------


def test_silent_dns_server_ends_within_the_time_limit(processes, tmp_path):
    silent = SilentDns(processes)
    anchor = tmp_path / "anchor.ds"
    anchor.write_text("example. 300 IN DS 12345 13 2 " + "00" * 32 + "\n")
    run = run_plugin(PLUGIN, "-D", "example", "--dns-server", silent.server(), "--trust-anchor", anchor, "-t", 3)
    shaped(run)
    assert run.elapsed < 3.5, (run.elapsed, run.stdout)
    assert run.status == "CRITICAL", run.stdout
    assert "MX lookup failed" in run.first_line, run.stdout
    assert f"no answer from 127.0.0.1@{silent.port} in time" in run.first_line, run.stdout


def test_mx_host_that_never_speaks_ends_within_the_time_limit(processes, tmp_path):
    """A hostile MX: it accepts the connection and never sends its greeting."""
    silent = SilentServer()
    try:
        lab = DnsLab(processes, tmp_path / "dns")
        lab.zone("example.").add("@ MX 10 mx1\nmx1 A 127.0.0.1")
        lab.start()
        run = shaped(run_plugin(PLUGIN, "-D", "example", "-p", silent.port, "--dns-server", lab.server(),
                                "--trust-anchor", lab.trust_anchor, "-t", 3))
    finally:
        silent.close()
    assert run.elapsed < 3.5, (run.elapsed, run.stdout)
    assert run.status == "CRITICAL", run.stdout
    assert f"mx1.example 127.0.0.1:{silent.port}" in run.first_line, run.stdout
    assert "timed out" in run.first_line, run.stdout


USAGE = "Usage: check_mail_tls -D domain "


@pytest.mark.parametrize("args, wanted", [
    (["--dns-server", "127.0.0.1@53"], "-D/--domain is required"),
    (["-D", "example", "--dns-server", "nonsense"], "bad --dns-server"),
    (["-D", "example", "-H", "x"], "--hostname does not apply"),
    (["-D", "example", "--require", "bogus"], "bad --require item 'bogus'"),
    (["-D", "example", "--require", "dane,,tlsrpt"], "bad --require item ''"),
], ids=["no-domain", "bad-dns-server", "hostname", "bad-require", "empty-require-item"])
def test_bad_option_is_one_unknown_line_and_the_usage(args, wanted):
    """README: bad input prints one UNKNOWN line with the reason and a usage line, exits 3."""
    run = run_plugin(PLUGIN, *args)
    shaped(run)
    assert run.returncode == 3 and run.status == "UNKNOWN", run.stdout
    assert wanted in run.first_line, run.stdout
    lines = run.stdout.splitlines()
    assert len(lines) == 2 and lines[1].startswith(USAGE), run.stdout
    assert run.stderr == "", run.stderr


def test_missing_trust_anchor_is_unknown_naming_the_file():
    run = run_plugin(PLUGIN, "-D", "example", "--dns-server", "127.0.0.1@53", "--trust-anchor", "/nonexistent")
    shaped(run)
    assert run.returncode == 3 and run.status == "UNKNOWN", run.stdout
    assert "trust anchor /nonexistent: No such file or directory" in run.first_line, run.stdout
    # not a usage error: the status line and its finding, as for any UNKNOWN report
    assert run.stdout.splitlines()[1:] == ["[UNKNOWN] trust anchor /nonexistent: No such file or directory"], \
        run.stdout
    assert run.stderr == "", run.stderr


# -- protocol versions --------------------------------------------------------------------------


def test_versions_probes_each_address_for_deprecated_versions(processes, tmp_path):
    """The tests' Postfix (servers.postfix) accepts TLS 1.0 and 1.1 and refuses SSLv2 and SSLv3:
    --versions says so per address, with hand-built hellos after the SMTP dialog."""
    lab = MailLab(processes, tmp_path, hosts=("mx1.example",))
    lab.dns({"example.": mx_records(lab) + lab.tlsa("mx1.example")})
    run = lab.check()
    assert run.status == "OK", run.stdout
    assert "accepts" not in run.stdout
    run = lab.check("--versions", "-v")
    assert run.status == "WARNING", run.stdout
    assert f"mx1.example 127.0.0.2:{lab.port} accepts TLSv1.0 (deprecated by RFC 8996)" in run.first_line, run.stdout
    assert "accepts TLSv1.1 (deprecated by RFC 8996)" in run.first_line, run.stdout
    assert "refuses SSLv2, SSLv3" in run.stdout, run.stdout
