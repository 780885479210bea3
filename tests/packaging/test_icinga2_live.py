"""The packaged Icinga 2 CheckCommands on live Icinga 2 instances (the installed 2.13 daemon, each
instance private: own directories, ports and certificates on 127.0.0.1, never the system's).

1. One Icinga 2 with the API: hosts and services that use only the CheckCommands that
   `include <plugins-contrib>` reads from the package, against local servers. Every check is forced
   through /v1/actions/reschedule-check and read back through /v1/objects/services: state, output,
   performance_data and the command line Icinga executed. A GraphiteWriter feeds a local sink, so
   Icinga parses every perfdata value (PerfdataValue::Parse); its log must not show one it could
   not parse. mail_tls runs against a DNS server that never answers (no DNS lab here): its
   command line and its timed-out state are what is checked.
2. A master and a satellite set up as the README's "Distributed setups" says: the package on both
   (they share this machine's), the default includes on each, nothing of tls-checks in the global
   zone, the satellite zone's objects synced from the master's zones.d. One service runs on the
   satellite through command_endpoint, one is scheduled by the satellite zone."""

import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from icinga2_lab import (Api, LineSink, Node, command_groups, issue_certificate, make_ca, perfdata_labels,
                         processes_named, wait_until)
from lab import readable_dir

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

from dns_lab import SilentDns  # noqa: E402
from harness import Processes, free_port, openssl_server  # noqa: E402
from pki import Spec, standard_chain  # noqa: E402
import servers as daemons  # noqa: E402

PLUGIN_DIR = Path("/usr/lib/nagios/plugins")
CERT = str(PLUGIN_DIR / "check_tls_cert")
VERSION = str(PLUGIN_DIR / "check_tls_version")
STARTTLS = str(PLUGIN_DIR / "check_starttls")
MAIL = str(PLUGIN_DIR / "check_mail_tls")
FLAGS = {"-4", "-6", "-v", "--leaf-only", "--ignore-trust", "--ignore-name", "--fallback-scsv", "--require-pq",
         "--dane", "--versions"}
NAMES = ["localhost", "lab.example.test", "v4.example.test", "v6.example.test", "sat.example.test",
         "via.example.test"]
CERT_LABELS = ["days_left", "life_left", "days_left_intermediate1", "days_left_anchor", "time_revocation", "addresses",
               "addresses_failing", "time"]
# --file connects nowhere: no addresses, and no revocation unless the CA is to be asked
CERT_FILE_LABELS = ["days_left", "life_left", "days_left_intermediate1", "days_left_anchor", "time"]
VERSION_LABELS = ["sslv2", "sslv3", "tls1_0", "tls1_1", "tls1_2", "tls1_3", "connections", "addresses",
                  "addresses_failing", "time"]
STARTTLS_LABELS = ["time_banner", "time_starttls", "time_handshake", "addresses", "addresses_failing", "time"]
API_USER = "tls-checks-test"


def tls_server(processes, chain, address):
    """`openssl s_server` with OpenSSL's defaults (TLS 1.2 and 1.3 here) on a fresh port."""
    port = free_port()
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    accept = f"[{address}]:{port}" if family == socket.AF_INET6 else f"{address}:{port}"
    processes.start(["openssl", "s_server", "-accept", accept, "-cert", str(chain.leaf), "-key", str(chain.key),
                     "-cert_chain", str(chain.chain), "-www", "-quiet"], port, family=family)
    return port


@pytest.fixture(scope="module")
def lab_servers(deb):
    """The servers both tests check, on fresh loopback ports: a healthy chain (IPv4 and, on ::1,
    IPv6), a leaf that expires in 5 days, a TLS 1.0-only server, and Postfix with an SMTP port
    that offers STARTTLS and one that does not."""
    processes = Processes()
    directory = readable_dir("icinga2-live-servers-")
    try:
        pki = directory / "pki"
        pki.mkdir()
        healthy = standard_chain(pki, Spec("localhost", dns_names=NAMES, not_after_days=200), tag="healthy")
        expiring = standard_chain(pki, Spec("localhost", dns_names=NAMES, not_before_days=-360, not_after_days=5),
                                  tag="expiring")
        bundle = pki / "healthy-bundle.pem"  # leaf and intermediate, for tls_cert_file
        bundle.write_bytes(healthy.leaf.read_bytes() + healthy.chain.read_bytes())
        for path in pki.iterdir():
            path.chmod(0o644)
        ports = {
            "healthy": tls_server(processes, healthy, "127.0.0.1"),
            "expiring": tls_server(processes, expiring, "127.0.0.1"),
            "healthy6": tls_server(processes, healthy, "::1"),
            # harness's server with SECLEVEL=0, limited to TLS 1.0
            "tls10": openssl_server(processes, healthy, extra=["-tls1"]),
        }
        mail = directory / "postfix"
        mail.mkdir()
        postfix = daemons.postfix(processes, mail, healthy)
        ports["smtp"], ports["smtp_plain"] = postfix["smtp"], postfix["plain"]
        # Postfix answers its first STARTTLS only once its tlsmgr is up; Icinga must not race it.
        for _ in range(30):
            warm = subprocess.run([STARTTLS, "-H", "localhost", "-p", str(ports["smtp"]), "--starttls", "smtp",
                                   "-t", "5"], capture_output=True, text=True)
            if warm.returncode == 0:
                break
        assert warm.returncode == 0, warm.stdout
        yield {"ports": ports, "healthy": healthy, "expiring": expiring, "bundle": bundle}
    finally:
        try:
            processes.stop_all()
        finally:
            shutil.rmtree(directory, ignore_errors=True)


def single_zone(node):
    return f"""
object Endpoint "{node.name}" {{ }}
object Zone "{node.zone}" {{ endpoints = [ "{node.name}" ] }}
"""


def api_user(password):
    return f"""
object ApiUser "{API_USER}" {{
  password = "{password}"
  permissions = [ "*" ]
}}
"""


def lab_icinga_processes(root):
    return [line for line in processes_named("icinga2") if str(root) in line]


def stale(services, names, since):
    """{host!service: its last check result} for those of `names` not checked since `since`."""
    found = {}
    for name in names:
        result = (services.get(name) or {}).get("last_check_result")
        if not result or result["execution_start"] < since:
            found[name] = result
    return found


def check_results(api, names, since):
    """{host!service: attrs} of all services, once every one of `names` was checked since `since`."""
    services = api.objects("services", ["state", "state_type", "last_check_result"])
    return None if stale(services, names, since) else services


def not_checked(api, names, since):
    return f"no result since the reschedule for {stale(api.objects('services', ['last_check_result']), names, since)}"


def graphite_complete(sink, expected):
    """The sink's lines, once they hold a metric for every (host, service, command, labels) in
    `expected`."""
    lines = sink.snapshot()
    done = all(set(graphite_values(lines, host, service, command)) >= set(labels)
               for host, service, command, labels in expected)
    return lines if done else None


def graphite_values(lines, host, service, command):
    """{label: value} of the perfdata metrics the GraphiteWriter sent for one service."""
    prefix = f"icinga2.{host.replace('.', '_')}.services.{service}.{command}.perfdata."
    values = {}
    for line in lines:
        path, _, rest = line.partition(" ")
        if path.startswith(prefix) and path.endswith(".value"):
            values[path[len(prefix):-len(".value")]] = float(rest.split(" ")[0])
    return values


def test_icinga2_runs_the_packaged_checkcommands_and_reports_state_output_perfdata_and_command(lab_servers):
    ports, healthy, expiring = lab_servers["ports"], lab_servers["healthy"], lab_servers["expiring"]
    bundle = lab_servers["bundle"]
    root = readable_dir("icinga2-live-single-")
    processes = Processes()
    sink = LineSink()
    password = secrets.token_hex(16)
    node = Node(root, "icinga-single", "single", free_port())
    try:
        silent_dns = SilentDns(processes)
        make_ca(node)
        issue_certificate(node, node)
        node.write_main_config(zones=single_zone(node), extra=api_user(password) + f"""
object GraphiteWriter "graphite" {{
  host = "127.0.0.1"
  port = {sink.port}
  enable_ha = false
}}
""")
        node.write("conf.d/tls-checks.conf", f"""
template Host "lab-host" {{
  check_command = "dummy"
}}
template Service "lab-service" {{
  check_interval = 300s
  retry_interval = 300s
  max_check_attempts = 1
}}

object Host "lab.example.test" {{
  import "lab-host"
  address = "127.0.0.1"
}}
object Service "cert-healthy" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['healthy']}
  vars.tls_cert_ca_file = "{healthy.root}"
}}
object Service "cert-expiring" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['expiring']}
  vars.tls_cert_ca_file = "{expiring.root}"
}}
object Service "cert-verbose" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['healthy']}
  vars.tls_cert_ca_file = "{healthy.root}"
  vars.tls_cert_verbose = 2
}}
object Service "versions-healthy" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_version"
  vars.tls_version_port = {ports['healthy']}
}}
object Service "versions-verbose-true" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_version"
  vars.tls_version_port = {ports['healthy']}
  vars.tls_version_verbose = true
}}
object Service "versions-tls10" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "tls_version"
  vars.tls_version_port = {ports['tls10']}
}}
object Service "starttls-old-variable" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "starttls"
  vars.starttls_port = {ports['smtp']}
  vars.starttls_starttls = "smtp"   // the variable's name up to 0.1.0
}}
object Service "starttls-protocol" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "starttls"
  vars.starttls_port = {ports['smtp']}
  vars.starttls_protocol = "smtp"
}}
object Service "starttls-not-offered" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "starttls"
  vars.starttls_port = {ports['smtp_plain']}
  vars.starttls_protocol = "smtp"
}}

object Host "v4.example.test" {{
  import "lab-host"
  address = "127.0.0.1"
  address6 = "::1"
  vars.tls_cert_ipv4 = true
}}
object Service "cert" {{
  import "lab-service"
  host_name = "v4.example.test"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['healthy']}
  vars.tls_cert_ca_file = "{healthy.root}"
}}

object Host "v6.example.test" {{
  import "lab-host"
  address = "127.0.0.1"
  address6 = "::1"
  vars.tls_cert_ipv6 = true
}}
object Service "cert" {{
  import "lab-service"
  host_name = "v6.example.test"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['healthy6']}
  vars.tls_cert_ca_file = "{healthy.root}"
}}

// No address: the plugin resolves the host name ("localhost": 127.0.0.1 only here).
object Host "localhost" {{
  import "lab-host"
}}
object Service "cert" {{
  import "lab-service"
  host_name = "localhost"
  check_command = "tls_cert"
  vars.tls_cert_port = {ports['healthy']}
  vars.tls_cert_ca_file = "{healthy.root}"
}}

// A mail domain, not the host: -D, no -H, no -I. Its resolver never answers, so the run ends at -t.
object Service "mail-tls-silent-dns" {{
  import "lab-service"
  host_name = "lab.example.test"
  check_command = "mail_tls"
  vars.mail_tls_domain = "silent.example"
  vars.mail_tls_dns_server = "{silent_dns.server()}"
  vars.mail_tls_require = [ "dane-or-mta-sts", "tlsrpt" ]
  vars.mail_tls_timeout = "3"
  vars.mail_tls_verbose = true
}}

// A file on the node that runs the check: no address involved.
object Service "cert-file" {{
  import "lab-service"
  host_name = "localhost"
  check_command = "tls_cert_file"
  vars.tls_cert_file_path = "{bundle}"
  vars.tls_cert_file_ca_file = "{healthy.root}"
  vars.tls_cert_file_name = "localhost"
}}

// Passive only: a result with perfdata Icinga cannot parse, to show the log check sees it.
object Service "perfdata-canary" {{
  import "lab-service"
  host_name = "localhost"
  check_command = "dummy"
  enable_active_checks = false
}}
""")
        returncode, output = node.validate()
        assert returncode == 0, output
        assert "critical/" not in output, output

        node.start(processes)
        api = Api(node, API_USER, password)
        wait_until(api.ready, 30, lambda: f"the API of {node.name} does not answer")
        # The writer connects on its own; metrics of results before that are dropped.
        wait_until(lambda: sink.connections, 30, lambda: "the GraphiteWriter did not connect")

        forced = ["lab.example.test!cert-healthy", "lab.example.test!cert-expiring", "lab.example.test!cert-verbose",
                  "lab.example.test!versions-healthy", "lab.example.test!versions-verbose-true",
                  "lab.example.test!versions-tls10",
                  "lab.example.test!starttls-old-variable", "lab.example.test!starttls-protocol",
                  "lab.example.test!starttls-not-offered", "v4.example.test!cert", "v6.example.test!cert",
                  "localhost!cert", "localhost!cert-file", "lab.example.test!mail-tls-silent-dns"]
        since = time.time()
        api.reschedule(forced)
        api.process_check_result("localhost!perfdata-canary", 0, "canary", ["canary=not-a-number", "fine=1"])
        services = wait_until(lambda: check_results(api, forced, since), 60, lambda: not_checked(api, forced, since))
        expected_metrics = [("lab.example.test", "cert-healthy", "tls_cert", CERT_LABELS),
                            ("lab.example.test", "versions-tls10", "tls_version", VERSION_LABELS),
                            ("lab.example.test", "starttls-protocol", "starttls", STARTTLS_LABELS)]
        metrics = wait_until(lambda: graphite_complete(sink, expected_metrics), 30,
                             lambda: f"Graphite metrics incomplete: {sink.snapshot()[:40]}")
    finally:
        try:
            processes.stop_all()
        finally:
            sink.close()
            log = node.log_text()
            left = lab_icinga_processes(root)
            shutil.rmtree(root, ignore_errors=True)
    assert not left, left

    def result(name):
        return services[name]["last_check_result"]

    def summary():
        return "\n".join(f"{name}: {s['state']} {(s['last_check_result'] or {}).get('output', '')[:200]!r} "
                         f"{(s['last_check_result'] or {}).get('command')}" for name, s in services.items())

    states = {name: services[name]["state"] for name in forced}
    assert states == {
        "lab.example.test!cert-healthy": 0,
        "lab.example.test!cert-expiring": 2,
        "lab.example.test!cert-verbose": 0,
        "lab.example.test!versions-healthy": 0,
        "lab.example.test!versions-verbose-true": 0,
        "lab.example.test!versions-tls10": 1,
        "lab.example.test!starttls-old-variable": 0,
        "lab.example.test!starttls-protocol": 0,
        "lab.example.test!starttls-not-offered": 2,
        "v4.example.test!cert": 0,
        "v6.example.test!cert": 0,
        "localhost!cert": 0,
        "localhost!cert-file": 0,
        "lab.example.test!mail-tls-silent-dns": 2,  # -t ran out: CRITICAL, the default state
    }, summary()
    for name in forced:
        assert result(name)["check_source"] == node.name, result(name)
        assert result(name)["exit_status"] == states[name], result(name)
        assert services[name]["state_type"] == 1, services[name]  # HARD: max_check_attempts = 1

    # The command lines Icinga built from the packaged CheckCommands (argument order aside).
    healthy_port, h = str(ports["healthy"]), "lab.example.test"
    expected_commands = {
        "lab.example.test!cert-healthy": (CERT, [("-H", h), ("-I", "127.0.0.1"), ("-p", healthy_port),
                                                 ("--ca-file", str(healthy.root))]),
        "lab.example.test!cert-expiring": (CERT, [("-H", h), ("-I", "127.0.0.1"), ("-p", str(ports["expiring"])),
                                                  ("--ca-file", str(expiring.root))]),
        "lab.example.test!cert-verbose": (CERT, [("-H", h), ("-I", "127.0.0.1"), ("-p", healthy_port),
                                                 ("--ca-file", str(healthy.root)), ("-v",), ("-v",)]),
        "lab.example.test!versions-healthy": (VERSION, [("-H", h), ("-I", "127.0.0.1"), ("-p", healthy_port)]),
        "lab.example.test!versions-verbose-true": (VERSION, [("-H", h), ("-I", "127.0.0.1"), ("-p", healthy_port),
                                                             ("-v",)]),
        "lab.example.test!versions-tls10": (VERSION, [("-H", h), ("-I", "127.0.0.1"), ("-p", str(ports["tls10"]))]),
        "lab.example.test!starttls-old-variable": (STARTTLS, [("-H", h), ("-I", "127.0.0.1"),
                                                              ("-p", str(ports["smtp"])), ("--starttls", "smtp")]),
        "lab.example.test!starttls-protocol": (STARTTLS, [("-H", h), ("-I", "127.0.0.1"), ("-p", str(ports["smtp"])),
                                                          ("--starttls", "smtp")]),
        "lab.example.test!starttls-not-offered": (STARTTLS, [("-H", h), ("-I", "127.0.0.1"),
                                                             ("-p", str(ports["smtp_plain"])),
                                                             ("--starttls", "smtp")]),
        "v4.example.test!cert": (CERT, [("-H", "v4.example.test"), ("-4",), ("-I", "127.0.0.1"),
                                        ("-p", healthy_port), ("--ca-file", str(healthy.root))]),
        "v6.example.test!cert": (CERT, [("-H", "v6.example.test"), ("-6",), ("-I", "::1"),
                                        ("-p", str(ports["healthy6"])), ("--ca-file", str(healthy.root))]),
        "localhost!cert": (CERT, [("-H", "localhost"), ("-p", healthy_port), ("--ca-file", str(healthy.root))]),
        "localhost!cert-file": (CERT, [("--file", str(bundle)), ("--ca-file", str(healthy.root)),
                                       ("--name", "localhost")]),
        "lab.example.test!mail-tls-silent-dns": (MAIL, [("-D", "silent.example"),
                                                        ("--dns-server", silent_dns.server()),
                                                        ("--require", "dane-or-mta-sts,tlsrpt"), ("-t", "3"),
                                                        ("-v",)]),
    }
    for name, (program, groups) in expected_commands.items():
        command = result(name)["command"]
        assert isinstance(command, list) and command[0] == program, (name, command)
        assert command_groups(command, FLAGS) == sorted(groups), (name, command)
    assert result("lab.example.test!cert-verbose")["command"].count("-v") == 2
    assert "-I" not in result("localhost!cert")["command"]

    def output(name):
        return result(name)["output"]

    def labels(name):
        return perfdata_labels(result(name)["performance_data"])

    assert output("lab.example.test!cert-healthy").startswith(
        f"TLS_CERT OK - lab.example.test:{healthy_port} CN=localhost expires in 200 days"), output(
        "lab.example.test!cert-healthy")
    assert "\n" not in output("lab.example.test!cert-healthy").strip()  # no long output when OK without -v
    assert re.match(rf"TLS_CERT CRITICAL - lab.example.test:{ports['expiring']} CN=localhost expires in [45] days",
                    output("lab.example.test!cert-expiring")), output("lab.example.test!cert-expiring")
    assert "\n[OK] CN=localhost expires in" in output("lab.example.test!cert-verbose")
    assert "\nchain is trusted: path of 3" in output("lab.example.test!cert-verbose")
    for name in ("lab.example.test!cert-healthy", "lab.example.test!cert-expiring", "lab.example.test!cert-verbose",
                 "v4.example.test!cert", "v6.example.test!cert", "localhost!cert"):
        assert labels(name) == CERT_LABELS, (name, result(name)["performance_data"])
    assert labels("localhost!cert-file") == CERT_FILE_LABELS, result("localhost!cert-file")["performance_data"]
    assert result("lab.example.test!cert-expiring")["performance_data"][0].startswith(("days_left=4", "days_left=5"))
    healthy_days = result("lab.example.test!cert-healthy")["performance_data"][0]
    assert re.match(r"days_left=(199\.\d+|200);30:;14:$", healthy_days), healthy_days

    assert output("lab.example.test!versions-healthy").startswith(f"TLS_VERSION OK - {h}:{healthy_port}")
    assert result("lab.example.test!versions-healthy")["performance_data"][:6] == [
        "sslv2=0", "sslv3=0", "tls1_0=0", "tls1_1=0", "tls1_2=1", "tls1_3=1"]
    assert output("lab.example.test!versions-tls10").startswith(
        f"TLS_VERSION WARNING - {h}:{ports['tls10']} accepts TLSv1.0; TLSv1.0 accepted (discouraged)"), output(
        "lab.example.test!versions-tls10")
    assert result("lab.example.test!versions-tls10")["performance_data"][:6] == [
        "sslv2=0", "sslv3=0", "tls1_0=1", "tls1_1=0", "tls1_2=0", "tls1_3=0"]
    verbose = output("lab.example.test!versions-verbose-true")
    assert verbose.startswith(f"TLS_VERSION OK - {h}:{healthy_port} accepts TLSv1.2, TLSv1.3"), verbose
    assert "\nTLSv1.0: refused" in verbose, verbose  # -v: the long output also when OK
    for name in ("lab.example.test!versions-healthy", "lab.example.test!versions-verbose-true",
                 "lab.example.test!versions-tls10"):
        assert labels(name) == VERSION_LABELS, (name, result(name)["performance_data"])

    for name in ("lab.example.test!starttls-old-variable", "lab.example.test!starttls-protocol"):
        assert output(name).startswith("STARTTLS OK - "), output(name)
        assert "STARTTLS offered" in output(name), output(name)
        assert labels(name) == STARTTLS_LABELS, (name, result(name)["performance_data"])
    assert output("lab.example.test!starttls-not-offered").startswith("STARTTLS CRITICAL - "), output(
        "lab.example.test!starttls-not-offered")
    assert "STARTTLS not offered" in output("lab.example.test!starttls-not-offered")

    assert output("v4.example.test!cert").startswith(f"TLS_CERT OK - v4.example.test:{healthy_port} CN=localhost")
    assert output("v6.example.test!cert").startswith(f"TLS_CERT OK - v6.example.test:{ports['healthy6']} CN=localhost")
    assert output("localhost!cert").startswith(f"TLS_CERT OK - localhost:{healthy_port} CN=localhost")
    assert output("localhost!cert-file").startswith(f"TLS_CERT OK - {bundle} CN=localhost expires in 200 days")
    assert output("lab.example.test!mail-tls-silent-dns").startswith("MAIL_TLS CRITICAL - "), output(
        "lab.example.test!mail-tls-silent-dns")
    assert silent_dns.datagrams > 0  # the queries went to --dns-server, nowhere else

    # What a perfdata consumer made of it: Icinga parsed each value (units stripped).
    cert_metrics = graphite_values(metrics, "lab.example.test", "cert-healthy", "tls_cert")
    assert 199 <= cert_metrics["days_left"] <= 200 and 99 <= cert_metrics["life_left"] <= 100, cert_metrics
    assert cert_metrics["days_left_anchor"] >= 3649, cert_metrics
    version_metrics = graphite_values(metrics, "lab.example.test", "versions-tls10", "tls_version")
    assert {k: version_metrics[k] for k in VERSION_LABELS[:6]} == {
        "sslv2": 0, "sslv3": 0, "tls1_0": 1, "tls1_1": 0, "tls1_2": 0, "tls1_3": 0}, version_metrics

    # Perfdata Icinga could not parse is logged by the writer; only the canary's may be there.
    parse_errors = [line for line in log.splitlines() if re.search(r"invalid perfdata|Invalid performance data", line)]
    assert parse_errors and all("'localhost!perfdata-canary'" in line for line in parse_errors), parse_errors
    assert not [line for line in log.splitlines() if "critical/" in line], log[-4000:]


def cluster_zones(master, satellite, satellite_connects):
    """zones.conf of both nodes: the satellite zone is a child of the master zone; the satellite
    connects to the master; one global zone for templates."""
    host = f'\n  host = "127.0.0.1"\n  port = "{master.api_port}"\n' if satellite_connects else " "
    return f"""
object Endpoint "{master.name}" {{{host}}}
object Endpoint "{satellite.name}" {{ }}
object Zone "{master.zone}" {{ endpoints = [ "{master.name}" ] }}
object Zone "{satellite.zone}" {{
  endpoints = [ "{satellite.name}" ]
  parent = "{master.zone}"
}}
object Zone "global-templates" {{ global = true }}
"""


def test_master_and_satellite_run_the_checks_on_the_satellite_with_its_own_package(lab_servers):
    ports, healthy = lab_servers["ports"], lab_servers["healthy"]
    root = readable_dir("icinga2-live-cluster-")
    processes = Processes()
    password = secrets.token_hex(16)
    master = Node(root, "icinga-master", "master", free_port())
    satellite = Node(root, "icinga-satellite", "satellite", free_port())
    by_endpoint = "via.example.test!cert-by-command-endpoint"
    by_zone = "sat.example.test!versions-by-zone"
    try:
        make_ca(master)  # the master's DataDir/ca signs both nodes' certificates
        issue_certificate(master, master)
        issue_certificate(master, satellite)
        master.write_main_config(zones=cluster_zones(master, satellite, False), extra=api_user(password))
        satellite.write_main_config(zones=cluster_zones(master, satellite, True), accept_config=True,
                                    accept_commands=True)
        # Templates only: the CheckCommands come from each node's own package.
        master.write("zones.d/global-templates/templates.conf", """
template Host "lab-host" {
  check_command = "dummy"
}
template Service "lab-service" {
  check_interval = 300s
  retry_interval = 300s
  max_check_attempts = 1
}
""")
        # Scheduled by the satellite zone. The satellite's checker runs a new checkable within
        # min(check_interval, 60 s) of its start. Rescheduling it through the master does not work
        # right after the satellite (re)starts: the satellite drops an event::SetNextCheck whose
        # next_check is before its own start + 60 s (ClusterEvents::NextCheckChangedAPIHandler in
        # lib/icinga/clusterevents.cpp), and it restarts once the synced config arrives. Hence a
        # short interval, and the test waits for the result instead of forcing it.
        master.write("zones.d/satellite/hosts.conf", f"""
object Host "sat.example.test" {{
  import "lab-host"
  address = "127.0.0.1"
}}
object Service "versions-by-zone" {{
  import "lab-service"
  host_name = "sat.example.test"
  check_command = "tls_version"
  check_interval = 5s
  vars.tls_version_port = {ports['tls10']}
}}
""")
        # Scheduled by the master, executed by the satellite.
        master.write("zones.d/master/hosts.conf", f"""
object Host "via.example.test" {{
  import "lab-host"
  address = "127.0.0.1"
}}
object Service "cert-by-command-endpoint" {{
  import "lab-service"
  host_name = "via.example.test"
  check_command = "tls_cert"
  command_endpoint = "{satellite.name}"
  vars.tls_cert_port = {ports['healthy']}
  vars.tls_cert_ca_file = "{healthy.root}"
}}
""")
        for node in (master, satellite):
            returncode, output = node.validate()
            assert returncode == 0 and "critical/" not in output, output
        # The advice the README replaced: a copy in the global zone is a second definition.
        copy = master.etc / "zones.d" / "global-templates" / "tls-checks.conf"
        shutil.copyfile("/usr/share/icinga2/include/plugins-contrib.d/tls-checks.conf", copy)
        returncode, output = master.validate()
        copy.unlink()
        assert returncode != 0, output
        assert "Object 'tls_cert' of type 'CheckCommand' re-defined" in output, output

        master.start(processes)
        api = Api(master, API_USER, password)
        wait_until(api.ready, 30, lambda: "the master's API does not answer")
        satellite.start(processes)
        wait_until(lambda: api.objects("endpoints", ["connected"])[satellite.name]["connected"], 60,
                   lambda: f"the satellite is not connected: {api.objects('endpoints', ['connected'])}")

        # The satellite validates the synced config, restarts, and checks the zone's service.
        def zone_result():
            services = api.objects("services", ["state", "last_check_result"])
            result = services.get(by_zone, {}).get("last_check_result")
            return services if result and result["check_source"] == satellite.name else None

        wait_until(zone_result, 60,
                   lambda: f"no result from the satellite zone: {api.objects('services', ['last_check_result'])}")

        # Now the satellite runs the synced config: force the command_endpoint check through the
        # master, again if the satellite lost the first request in its restart.
        since = time.time()
        asked = 0.0

        def endpoint_result():
            nonlocal asked
            if time.monotonic() - asked > 10:
                api.reschedule([by_endpoint])
                asked = time.monotonic()
            return check_results(api, [by_endpoint, by_zone], since)

        services = wait_until(endpoint_result, 60, lambda: not_checked(api, [by_endpoint, by_zone], since))
        synced = sorted(str(p.relative_to(satellite.data / "api" / "zones"))
                        for p in (satellite.data / "api" / "zones").rglob("*.conf"))
    finally:
        try:
            processes.stop_all()
        finally:
            master_log, satellite_log = master.log_text(), satellite.log_text()
            left = lab_icinga_processes(root)
            shutil.rmtree(root, ignore_errors=True)
    assert not left, left

    zone, endpoint = services[by_zone], services[by_endpoint]
    assert zone["state"] == 1, zone
    assert zone["last_check_result"]["check_source"] == satellite.name, zone
    assert zone["last_check_result"]["scheduling_source"] == satellite.name, zone
    assert zone["last_check_result"]["output"].startswith(
        f"TLS_VERSION WARNING - sat.example.test:{ports['tls10']} accepts TLSv1.0"), zone
    assert command_groups(zone["last_check_result"]["command"], FLAGS) == sorted(
        [("-H", "sat.example.test"), ("-I", "127.0.0.1"), ("-p", str(ports["tls10"]))]), zone
    assert zone["last_check_result"]["command"][0] == VERSION

    assert endpoint["state"] == 0, endpoint
    assert endpoint["last_check_result"]["check_source"] == satellite.name, endpoint
    assert endpoint["last_check_result"]["scheduling_source"] == master.name, endpoint
    assert endpoint["last_check_result"]["output"].startswith(
        f"TLS_CERT OK - via.example.test:{ports['healthy']} CN=localhost"), endpoint
    assert perfdata_labels(endpoint["last_check_result"]["performance_data"]) == CERT_LABELS, endpoint
    assert endpoint["last_check_result"]["command"][0] == CERT
    assert command_groups(endpoint["last_check_result"]["command"], FLAGS) == sorted(
        [("-H", "via.example.test"), ("-I", "127.0.0.1"), ("-p", str(ports["healthy"])),
         ("--ca-file", str(healthy.root))]), endpoint

    # The satellite ran both plugins; the master ran none. The synced config holds the objects and
    # the templates, no CheckCommand.
    assert re.search(rf"Running command '{CERT}' .*'via\.example\.test'", satellite_log), satellite_log[-3000:]
    assert re.search(rf"Running command '{VERSION}' .*'sat\.example\.test'", satellite_log), satellite_log[-3000:]
    assert not re.search(r"Running command '/usr/lib/nagios/plugins/", master_log), master_log[-3000:]
    assert "Config validation for stage" in satellite_log and "was OK" in satellite_log, satellite_log[-3000:]
    assert synced == ["global-templates/_etc/templates.conf", "satellite/_etc/hosts.conf"], synced
