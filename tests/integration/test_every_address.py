"""Every address of a name, checked at once (--addresses every|first, --max-addresses): real
`openssl s_server` and Postfix processes on 127.0.0.2, 127.0.0.3 and ::1 of one name, multi.test,
which only the plugin's private /etc/hosts knows (addresses.py); connections that hang come from
nftables rules inside a network namespace of the test's own."""

import re
import subprocess
import tempfile
from pathlib import Path

import pytest

import servers
from addresses import (NAME, NetNamespace, common_port, endpoint, getent_order, ipv6_loopback_available,
                       missing_for_netns, missing_for_private_hosts, run_with_hosts, write_hosts)
from harness import PLUGIN_DIR, assert_plugin_shape, openssl_server
from pki import Spec, issue, rsa_key, write_chain

PREFIXES = {"check_tls_cert": "TLS_CERT", "check_tls_version": "TLS_VERSION", "check_starttls": "STARTTLS"}

needs_private_hosts = pytest.mark.skipif(missing_for_private_hosts() is not None,
                                         reason=str(missing_for_private_hosts()))
needs_ipv6 = pytest.mark.skipif(not ipv6_loopback_available(), reason="no IPv6 loopback on this machine")
needs_netns = pytest.mark.skipif(missing_for_netns() is not None, reason=str(missing_for_netns()))

pytestmark = needs_private_hosts


@pytest.fixture(scope="module", autouse=True)
def plugins_know_addresses():
    """The plugins under test must have the option: an older build fails every test here loudly
    (this is what the tests are about), it is not skipped."""
    for plugin in PREFIXES:
        result = subprocess.run([str(PLUGIN_DIR / plugin), "--help"], capture_output=True, text=True)
        assert "--addresses" in result.stdout and "--max-addresses" in result.stdout, (
            f"{PLUGIN_DIR / plugin} has no --addresses/--max-addresses: built before the feature?")


@pytest.fixture
def netns():
    """A network namespace of this test's own, deleted at teardown even when the test failed."""
    reason = missing_for_netns()
    if reason:
        pytest.skip(reason)
    namespace = NetNamespace()
    try:
        namespace.create()
    except subprocess.CalledProcessError as error:
        pytest.skip(f"ip netns add does not work here: {error.stderr.strip()}")
    yield namespace
    namespace.delete()


def leaves(directory, *specs):
    """One root and intermediate, one leaf per spec under them: [(Chain, serial number), ...]."""
    root = issue(Spec("tls-checks test root", is_ca=True, not_after_days=3650, key=rsa_key(2048, 1)))
    intermediate = issue(Spec("tls-checks test intermediate", is_ca=True, not_after_days=1825,
                              key=rsa_key(2048, 2)), root)
    made = []
    for number, spec in enumerate(specs):
        leaf = issue(spec, intermediate)
        made.append((write_chain(directory, leaf, [intermediate], root, tag=f"leaf{number}"),
                     leaf.certificate.serial_number))
    return made


def valid(days=200.0):
    return Spec(NAME, dns_names=[NAME], not_after_days=days)


def plugin(hosts, name, *args, netns=None, timeout=60):
    """A plugin with the private name table; the output's shape is checked."""
    run = run_with_hosts(hosts, name, *args, netns=netns, timeout=timeout)
    assert_plugin_shape(run, PREFIXES[name])
    return run


def state_lines(run):
    """{'OK': ['127.0.0.2:443 CN=...', ...], ...}: the long output's '[STATE] ...' line per address."""
    found = {}
    for line in run.stdout.splitlines()[1:]:
        match = re.match(r"^\[(OK|WARNING|CRITICAL|UNKNOWN)\] (.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def serve_each(processes, chains, addresses, port, extra=None):
    """An openssl s_server on `port` of each address, presenting the chain paired with it."""
    extra = extra or {}
    for address, chain in zip(addresses, chains):
        openssl_server(processes, chain, extra.get(address, ()), address=address, port=port)


def two_ipv4(tmp_path):
    """multi.test on 127.0.0.2 and 127.0.0.3, in the order glibc gives them, and a port free on both."""
    hosts = write_hosts(tmp_path / "hosts", {NAME: ["127.0.0.2", "127.0.0.3"]})
    order = getent_order(hosts, NAME)
    assert sorted(order) == ["127.0.0.2", "127.0.0.3"], order
    return hosts, order, common_port(order)


# --- check_tls_cert: the certificates of the addresses -------------------------------------------

def test_addresses_serving_different_certificates_disagree_with_a_warning_naming_each_serial(processes, tmp_path):
    hosts, order, port = two_ipv4(tmp_path)
    (first, first_serial), (second, second_serial) = leaves(tmp_path, valid(), valid())
    assert first_serial != second_serial
    serve_each(processes, [first, second], order, port)
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", first.root)
    assert run.status == "WARNING", run.stdout
    finding = next((line for line in run.stdout.splitlines() if f"addresses of {NAME} disagree:" in line), None)
    assert finding is not None, run.stdout
    text = finding[finding.index("disagree:"):]
    assert endpoint(order[0], port) in text and endpoint(order[1], port) in text, run.stdout
    serials = {int(hex_serial.replace(":", ""), 16)
               for hex_serial in re.findall(r"serves serial ([0-9A-Fa-f:]+)", text)}
    assert serials == {first_serial, second_serial}, run.stdout
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout


def test_addresses_serving_the_same_certificate_are_ok_and_counted(processes, tmp_path):
    hosts, order, port = two_ipv4(tmp_path)
    ((chain, _),) = leaves(tmp_path, valid(150.5))
    serve_each(processes, [chain, chain], order, port)
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", chain.root)
    assert run.status == "OK", run.stdout
    assert f"; 1 other address of {NAME} OK" in run.summary, run.stdout
    # the deciding (first) address names itself where a single address would say multi.test:port
    assert run.summary.startswith(f"{endpoint(order[0], port)} "), run.stdout
    assert "disagree" not in run.stdout
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout
    assert 150.3 < run.perf_value("days_left") < 150.6, run.stdout

    verbose = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", chain.root, "-v")
    ok_lines = state_lines(verbose).get("OK", [])
    assert sorted(line.split(" ", 1)[0] for line in ok_lines) == sorted(endpoint(a, port) for a in order), \
        verbose.stdout


def test_an_address_with_an_expired_certificate_decides_the_state_and_is_named_first(processes, tmp_path):
    hosts, order, port = two_ipv4(tmp_path)
    # the expired one on the address that sorts last: it must decide by its state, not by its place
    healthy_address, expired_address = order
    (healthy, _), (expired, _) = leaves(tmp_path, valid(), Spec(NAME, dns_names=[NAME], not_before_days=-30,
                                                                not_after_days=-2.5))
    serve_each(processes, [healthy, expired], [healthy_address, expired_address], port)
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", healthy.root)
    assert run.status == "CRITICAL", run.stdout
    assert run.summary.startswith(f"{endpoint(expired_address, port)} "), run.stdout
    assert "expired 2.5 days ago" in run.summary.split(";", 1)[0], run.stdout
    assert f"1 other address of {NAME} OK" in run.summary, run.stdout
    assert run.perf_value("days_left") < -2.4, run.stdout  # the deciding address's perfdata
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 1, run.stdout
    lines = state_lines(run)
    assert any(line.startswith(f"{endpoint(expired_address, port)} ") for line in lines.get("CRITICAL", [])), \
        run.stdout
    assert any(line.startswith(f"{endpoint(healthy_address, port)} ") for line in lines.get("OK", [])), run.stdout


# --- check_starttls and check_tls_version: per-address dialogs and verdicts -----------------------

def test_starttls_lost_on_one_address_is_critical_naming_that_address(processes, tmp_path):
    hosts, order, port = two_ipv4(tmp_path)
    offering, lost = order  # the one without STARTTLS sorts last
    # Two real Postfix instances: `port` is the STARTTLS smtp service on one address and the
    # smtp service without TLS (smtpd_tls_security_level=none) on the other. Their files are not
    # under tmp_path: Postfix's unprivileged processes must walk to them, and pytest keeps
    # /tmp/pytest-of-root at 0700 (another session may reset it while this one runs).
    with tempfile.TemporaryDirectory(dir="/tmp") as directory:
        root = Path(directory)
        for sub in ("pki", "with-tls", "without-tls"):
            (root / sub).mkdir()
        ((chain, _),) = leaves(root / "pki", valid())
        try:
            servers.postfix(processes, root / "with-tls", chain, address=offering, ports={"smtp": port})
            servers.postfix(processes, root / "without-tls", chain, address=lost, ports={"plain": port})
            run_starttls_lost(hosts, port, offering, lost)
            if ipv6_loopback_available():
                run_first_probe_adopts_the_connection(tmp_path, port, offering)
        finally:
            processes.stop_all()  # before the directories go


def run_starttls_lost(hosts, port, offering, lost):
    run = plugin(hosts, "check_starttls", "-H", NAME, "-p", port, "--starttls", "smtp", "-t", "10")
    assert run.status == "CRITICAL", run.stdout
    # "smtp on multi.test:PORT: ..." for one address; the address's endpoint in its place here
    assert run.summary.startswith(f"smtp on {endpoint(lost, port)}: STARTTLS not offered"), run.stdout
    assert f"1 other address of {NAME} OK" in run.summary, run.stdout
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 1, run.stdout
    lines = state_lines(run)
    assert any(line.startswith(f"smtp on {endpoint(offering, port)}: STARTTLS offered")
               for line in lines.get("OK", [])), run.stdout
    assert any(line.startswith(f"smtp on {endpoint(lost, port)}: STARTTLS not offered")
               for line in lines.get("CRITICAL", [])), run.stdout


def run_first_probe_adopts_the_connection(tmp_path, port, offering):
    """check_tls_version --addresses first through STARTTLS: ::1 refuses (nothing listens there),
    Happy Eyeballs moves on at once, and the first probe runs its dialog on the connection that
    won instead of opening another."""
    hosts = write_hosts(tmp_path / "hosts-first", {NAME: ["::1", offering]})
    assert getent_order(hosts, NAME) == ["::1", offering]
    run = plugin(hosts, "check_tls_version", "-H", NAME, "-p", port, "--starttls", "smtp", "--addresses", "first",
                 "-v", "-t", "10")
    # the harness's Postfix still accepts TLS 1.0 and 1.1: WARNING, the default policy's verdict
    assert run.status == "WARNING", run.stdout
    assert run.summary.startswith(f"{NAME}:{port} accepts TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3; "), run.stdout
    assert "=U" not in run.first_line, run.stdout  # every version decided through the dialog
    assert run.perf_value("tls1_2") == 1 and run.perf_value("tls1_3") == 1, run.stdout
    assert run.perf_value("connections") == 6, run.stdout  # the adopted one counted once, no retry
    assert run.perf_value("addresses") == 1, run.stdout
    assert f"address {endpoint(offering, port)}, the first to accept" in run.stdout, run.stdout


def test_tls_version_tls1_0_on_one_address_is_a_warning_naming_it(processes, tmp_path):
    hosts, order, port = two_ipv4(tmp_path)
    modern, legacy = order  # the one with TLS 1.0 sorts last
    ((chain, _),) = leaves(tmp_path, valid())
    serve_each(processes, [chain, chain], [modern, legacy], port,
               extra={modern: ["-no_tls1", "-no_tls1_1"], legacy: ["-no_tls1_1"]})
    run = plugin(hosts, "check_tls_version", "-H", NAME, "-p", port, "-t", "20")
    assert "=U" not in run.first_line, run.stdout
    assert run.status == "WARNING", run.stdout
    assert run.summary.startswith(f"{endpoint(legacy, port)} accepts TLSv1.0, "), run.stdout
    assert "TLSv1.0 accepted (discouraged)" in run.summary, run.stdout
    assert "TLSv1.1" not in run.summary.split(";", 1)[0], run.stdout  # -no_tls1_1 on that one
    assert f"other address of {NAME} OK" in run.summary, run.stdout
    assert run.perf_value("tls1_0") == 1, run.stdout  # the deciding address's verdicts
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 1, run.stdout
    lines = state_lines(run)
    assert any(line.startswith(f"{endpoint(modern, port)} accepts TLSv1.2, TLSv1.3") for line in lines.get("OK", [])), \
        run.stdout


# --- which addresses: -4, -6, the trailing dot, -I, --max-addresses -------------------------------

@pytest.fixture
def dual_stack(processes, tmp_path):
    """multi.test on ::1, 127.0.0.2 and 127.0.0.3: ::1 serves a 300-day leaf, the IPv4 addresses
    one 100-day leaf; 127.0.0.3 speaks TLS 1.2 at most (it tells -I's choice apart in -v).

    An AF_INET lookup (-4) of that table gives 127.0.0.1 too: glibc's nss_files answers a `::1`
    line with 127.0.0.1 for AF_INET. No DNS answer does that; here it is the resolver's answer
    all the same, so 127.0.0.1 serves the IPv4 leaf as well and "ipv4" is what glibc says."""
    if not ipv6_loopback_available():
        pytest.skip("no IPv6 loopback on this machine")
    addresses = ["::1", "127.0.0.2", "127.0.0.3"]
    hosts = write_hosts(tmp_path / "hosts", {NAME: addresses})
    ipv4 = getent_order(hosts, NAME, database="ahostsv4")
    assert {"127.0.0.2", "127.0.0.3"} <= set(ipv4) <= {"127.0.0.1", "127.0.0.2", "127.0.0.3"}, ipv4
    port = common_port(["::1", *ipv4])
    (v6, _), (v4, _) = leaves(tmp_path, valid(300.5), valid(100.5))
    serve_each(processes, [v6], ["::1"], port)
    serve_each(processes, [v4] * len(ipv4), ipv4, port, extra={"127.0.0.3": ["-tls1_2"]})
    return {"hosts": hosts, "port": port, "ca": v4.root, "ipv4": ipv4}


def check_dual(dual_stack, *args, host=NAME):
    return plugin(dual_stack["hosts"], "check_tls_cert", "-H", host, "-p", dual_stack["port"],
                  "--ca-file", dual_stack["ca"], *args)


def test_dash_4_checks_only_the_ipv4_addresses(dual_stack):
    port, ipv4 = dual_stack["port"], dual_stack["ipv4"]
    run = check_dual(dual_stack, "-4", "-v")
    assert run.status == "OK", run.stdout  # the IPv4 addresses serve one certificate
    assert run.perf_value("addresses") == len(ipv4), run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout
    assert 100.3 < run.perf_value("days_left") < 100.6, run.stdout
    assert "[::1]" not in run.stdout
    others = len(ipv4) - 1
    assert f"; {others} other address{'es' if others > 1 else ''} of {NAME} OK" in run.summary, run.stdout
    ok_lines = state_lines(run).get("OK", [])
    assert sorted(line.split(" ", 1)[0] for line in ok_lines) == sorted(endpoint(a, port) for a in ipv4), run.stdout


def test_dash_6_checks_only_ipv6_loopback_with_the_single_address_output(dual_stack):
    port = dual_stack["port"]
    run = check_dual(dual_stack, "-6")
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"{NAME}:{port} "), run.stdout  # one address: as before the feature
    assert "other address" not in run.summary
    assert 300.3 < run.perf_value("days_left") < 300.6, run.stdout  # ::1's leaf
    assert run.perf_value("addresses") == 1, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout


def test_without_a_family_every_address_of_both_families_is_checked(dual_stack):
    port = dual_stack["port"]
    run = check_dual(dual_stack, "-v")
    assert run.perf_value("addresses") == 3, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout
    assert "127.0.0.1" not in run.stdout  # only -4 asks the AF_INET way
    # ::1 serves another leaf than the IPv4 addresses
    assert run.status == "WARNING", run.stdout
    assert f"addresses of {NAME} disagree:" in run.stdout
    # the disagreement is the reason for the state, so it leads; each address alone is OK
    assert run.summary.startswith(f"addresses of {NAME} disagree: [::1]:{port} serves serial "), run.stdout
    assert run.summary.endswith(f"; 3 addresses of {NAME} OK"), run.stdout
    # RFC 6724 puts ::1 before IPv4, RFC 8305 interleaves the families: ::1 decides among equals,
    # its perfdata stand for the name; the long output has a line per address
    assert 300.3 < run.perf_value("days_left") < 300.6, run.stdout
    assert any(line.startswith(f"[::1]:{port} CN={NAME} expires in 300.") for line in state_lines(run).get("OK", [])), \
        run.stdout


def test_trailing_dot_is_stripped_before_the_name_table_is_asked(dual_stack):
    # /etc/hosts does not know "multi.test.": without the stripping the name would not resolve
    assert getent_order(dual_stack["hosts"], NAME + ".") == []
    plain = check_dual(dual_stack)
    dotted = check_dual(dual_stack, host=NAME + ".")
    assert "cannot resolve" not in dotted.stdout, dotted.stdout
    assert dotted.perf_value("addresses") == plain.perf_value("addresses") == 3, dotted.stdout
    assert dotted.status == plain.status, (plain.stdout, dotted.stdout)
    assert dotted.perf_value("addresses_failing") == plain.perf_value("addresses_failing"), dotted.stdout
    assert "disagree" in dotted.stdout, dotted.stdout
    dotted_v4 = check_dual(dual_stack, "-4", host=NAME + ".")
    assert dotted_v4.status == "OK", dotted_v4.stdout
    assert dotted_v4.perf_value("addresses") == len(dual_stack["ipv4"]), dotted_v4.stdout


def test_dash_I_checks_only_that_address(dual_stack):
    port = dual_stack["port"]
    third = check_dual(dual_stack, "-I", "127.0.0.3", "-v")
    assert third.status == "OK", third.stdout
    assert third.summary.startswith(f"{NAME}:{port} "), third.stdout
    assert third.perf_value("addresses") == 1, third.stdout
    assert third.perf_value("addresses_failing") == 0, third.stdout
    assert any(line.startswith("negotiated TLSv1.2 ") for line in third.stdout.splitlines()), third.stdout
    second = check_dual(dual_stack, "-I", "127.0.0.2", "-v")
    assert second.perf_value("addresses") == 1, second.stdout
    assert any(line.startswith("negotiated TLSv1.3 ") for line in second.stdout.splitlines()), second.stdout
    nothing = check_dual(dual_stack, "-I", "127.0.0.9")  # no server there: -I is not a hint
    assert nothing.status == "CRITICAL", nothing.stdout
    assert nothing.perf_value("addresses") == 1, nothing.stdout
    assert nothing.perf_value("addresses_failing") == 1, nothing.stdout


@needs_ipv6
def test_max_addresses_cuts_the_list_and_names_the_rest_not_checked(processes, tmp_path):
    addresses = ["::1", "127.0.0.2", "127.0.0.3"]
    hosts = write_hosts(tmp_path / "hosts", {NAME: addresses})
    port = common_port(addresses)
    ((chain, _),) = leaves(tmp_path, valid())
    serve_each(processes, [chain] * 3, addresses, port)
    every = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", chain.root)
    assert every.status == "OK", every.stdout
    assert every.perf_value("addresses") == 3, every.stdout
    assert f"; 2 other addresses of {NAME} OK" in every.summary, every.stdout
    assert "not checked" not in every.stdout

    cut = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", chain.root, "--max-addresses", "2", "-v")
    assert cut.status == "OK", cut.stdout
    assert cut.perf_value("addresses") == 2, cut.stdout
    assert cut.perf_value("addresses_failing") == 0, cut.stdout
    assert f"; 1 other address of {NAME} OK" in cut.summary, cut.stdout
    assert cut.summary.endswith("; 1 address not checked (--max-addresses 2)"), cut.stdout
    assert len(state_lines(cut).get("OK", [])) == 2, cut.stdout
    # interleaved order ::1, 127.0.0.2, 127.0.0.3: the last one is left out, and named
    assert any("not checked" in line and f"127.0.0.3:{port}" in line for line in cut.stdout.splitlines()), cut.stdout


@pytest.mark.parametrize("option, value", [("--max-addresses", "0"), ("--max-addresses", "65"),
                                           ("--max-addresses", "many"), ("--addresses", "some")])
def test_bad_addresses_options_are_one_unknown_line_naming_the_option(tmp_path, option, value):
    hosts = write_hosts(tmp_path / "hosts", {NAME: ["127.0.0.2"]})
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", "443", option, value)
    assert run.status == "UNKNOWN", run.stdout
    assert f"bad {option} '{value}'" in run.first_line, run.stdout


def test_a_name_with_one_address_keeps_the_single_address_output(processes, tmp_path):
    hosts = write_hosts(tmp_path / "hosts", {NAME: ["127.0.0.3"]})
    port = common_port(["127.0.0.3"])
    ((chain, _),) = leaves(tmp_path, valid(80.5))
    openssl_server(processes, chain, address="127.0.0.3", port=port)
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", chain.root)
    assert run.status == "OK", run.stdout
    assert run.summary.startswith(f"{NAME}:{port} CN={NAME} expires in 80."), run.stdout
    assert "other address" not in run.summary
    assert run.perf_value("addresses") == 1, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout


# --- addresses that hang: a network namespace whose nftables drop SYNs -------------------------

def blackholed_lab(netns, processes, tmp_path, healthy, blackholed):
    """multi.test on ::1 (blackholed) and `healthy` addresses (an s_server each) and the other
    `blackholed` ones, inside `netns`; returns (hosts, port, ca)."""
    addresses = ["::1", *healthy, *blackholed]
    hosts = write_hosts(tmp_path / "hosts", {NAME: addresses})
    port = 4433
    ((chain, _),) = leaves(tmp_path, valid())
    for address in healthy:
        # TLS 1.2 and 1.3 only: check_tls_version has nothing to warn about but the addresses
        netns.openssl_server(processes, chain, address, port, extra=["-no_tls1", "-no_tls1_1"])
    netns.blackhole([(address, port) for address in ["::1", *blackholed]])
    # the lab itself: connects to the blackholed addresses hang (neither refused nor accepted)
    for address in ["::1", *blackholed]:
        assert netns.connect_outcome(address, port, 1.0) == "timed out", address
    for address in healthy:
        assert netns.connect_outcome(address, port, 1.0) == "connected", address
    # the resolver puts the hanging ::1 first: without the stagger the run could not be quick
    order = getent_order(hosts, NAME, netns=netns)
    assert order[0] == "::1", order
    assert sorted(order) == sorted(addresses), order
    return hosts, port, chain.root


@needs_netns
def test_first_mode_staggers_past_a_blackholed_ipv6_address(netns, processes, tmp_path):
    hosts, port, ca = blackholed_lab(netns, processes, tmp_path, ["127.0.0.2"], [])
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", ca, "--addresses", "first", "-t", "5",
                 netns=netns)
    assert run.status == "OK", run.stdout
    # the IPv4 attempt starts 250 ms after the hanging ::1 one, and wins
    assert 0.25 <= run.elapsed < 2.5, (run.elapsed, run.stdout)
    assert run.summary.startswith(f"{NAME}:{port} "), run.stdout  # one address checked
    assert run.perf_value("addresses") == 1, run.stdout
    assert run.perf_value("addresses_failing") == 0, run.stdout


@needs_netns
def test_first_mode_of_check_tls_version_staggers_past_a_blackholed_ipv6_address(netns, processes, tmp_path):
    hosts, port, _ = blackholed_lab(netns, processes, tmp_path, ["127.0.0.2"], [])
    run = plugin(hosts, "check_tls_version", "-H", NAME, "-p", port, "--addresses", "first", "-t", "5", netns=netns)
    assert run.status == "OK", run.stdout
    assert 0.25 <= run.elapsed < 2.5, (run.elapsed, run.stdout)
    assert run.perf_value("addresses") == 1, run.stdout


@needs_netns
def test_every_mode_names_the_timed_out_address_and_still_reports_the_others(netns, processes, tmp_path):
    hosts, port, ca = blackholed_lab(netns, processes, tmp_path, ["127.0.0.2"], [])
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", ca, "-t", "3", netns=netns)
    assert run.elapsed <= 3.5, (run.elapsed, run.stdout)
    assert run.status == "CRITICAL", run.stdout  # the -t state
    assert any(f"[::1]:{port}" in line and "timed out" in line for line in run.stdout.splitlines()), run.stdout
    assert f"1 other address of {NAME} OK" in run.summary, run.stdout
    assert run.perf_value("addresses") == 2, run.stdout
    assert run.perf_value("addresses_failing") == 1, run.stdout
    lines = state_lines(run)
    assert any(line.startswith(f"127.0.0.2:{port} ") for line in lines.get("OK", [])), run.stdout

    # -t's state applies to the address that ran out of time
    warned = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", ca, "-t", "2:warning", netns=netns)
    assert warned.elapsed <= 2.5, (warned.elapsed, warned.stdout)
    assert warned.status == "WARNING", warned.stdout


@needs_netns
def test_two_blackholed_addresses_time_out_in_parallel_not_one_after_the_other(netns, processes, tmp_path):
    hosts, port, ca = blackholed_lab(netns, processes, tmp_path, ["127.0.0.2"], ["127.0.0.3"])
    run = plugin(hosts, "check_tls_cert", "-H", NAME, "-p", port, "--ca-file", ca, "-t", "3", netns=netns)
    assert run.elapsed <= 3.5, (run.elapsed, run.stdout)
    assert run.status == "CRITICAL", run.stdout
    for hanging in (f"[::1]:{port}", f"127.0.0.3:{port}"):
        assert any(hanging in line and "timed out" in line for line in run.stdout.splitlines()), run.stdout
    # the two that failed alike in one item, in RFC 8305 order; the healthy one counted
    assert run.summary.startswith(f"[::1]:{port} and 127.0.0.3:{port} connect to each timed out; "), run.stdout
    assert run.summary.endswith(f"; 1 other address of {NAME} OK"), run.stdout
    assert run.perf_value("addresses") == 3, run.stdout
    assert run.perf_value("addresses_failing") == 2, run.stdout
    assert any(line.startswith(f"127.0.0.2:{port} ") for line in state_lines(run).get("OK", [])), run.stdout
