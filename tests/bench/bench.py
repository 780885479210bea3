#!/usr/bin/python3
"""Benchmark: wall time, CPU time and peak RSS of the plugins beside the tools operators use
today, each run many times against one local `openssl s_server`, printed as a table.

    python3 tests/bench/bench.py [--runs 30] [--plugins build/release/plugins] [--instructions]

Per-run CPU (user+system) comes from wait4() and includes every child a tool waits for, so a
shell-script plugin is charged for the openssl processes it starts; peak RSS is GNU time's %M.
With --instructions, each tool also runs once under callgrind (children traced) and the table gets
its instruction count: unlike milliseconds, that figure repeats exactly on a busy machine.
"conns" is the connections one run opened, where the tool reports it (check_tls_version's
`connections` perfdata).

"check_tls_cert, 1 address" and "check_tls_cert, 4 addresses (every)" (root only) check one name
of a private hosts file (tests/integration/addresses.py: unshare -m, /etc/hosts bind-mounted) with
one address, 127.0.0.2, and another with four, 127.0.0.2 to 127.0.0.5, an s_server on each; both
run through the same wrapper, whose cost is thus in both. Their ratios are printed beneath the
table (the goals: wall <= 1.3x, CPU linear in the addresses, peak RSS <= 1.2x).

The revocation rows (when check_tls_cert has --revocation) use a CA made with `openssl ca`
(tests/integration/revocation_lab.py, RSA 2048 like the first row's chain): "staple requested, none
sent" is --revocation staple against the first row's server, which staples nothing; "stapled OCSP"
is an s_server sending an `openssl ocsp` response for its leaf; "--revocation ocsp (local
responder)" asks the lab's responder on 127.0.0.1 (its work, an `openssl ocsp` process per request,
is in the wall time but not in the plugin's CPU). Their ratios against the first row are printed
beneath the table (the goals: staple <= 1.05x wall, ocsp <= 1.5x CPU); "--revocation none" is the
reference without any revocation work (the first row asks for a staple: staple is the default).
"""

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from addresses import WRAPPER, common_port, write_hosts  # noqa: E402  (tests/integration, on sys.path above)
from dns_lab import DnsLab, tlsa_rdata  # noqa: E402
from harness import Processes  # noqa: E402
from revocation_lab import Lab  # noqa: E402
from pki import Spec, standard_chain  # noqa: E402
from servers import postfix  # noqa: E402

NAGIOS_PLUGINS = Path("/usr/lib/nagios/plugins")
GNU_TIME = "/usr/bin/time"  # Debian package "time"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(port):
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on port {port}")


def make_certificates(directory):
    """A WebPKI-shaped chain: root (trusted, not sent) -> intermediate (sent) -> 90-day leaf."""
    return standard_chain(Path(directory), Spec("localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"],
                                                not_after_days=89, not_before_days=-1))


def system_store_with(directory, ca):
    """The system's hashed CA directory as it is (every root of ca-certificates) plus the bench
    root, so that the system-store row verifies a path the way a real public chain would."""
    store = Path(directory, "system-store")
    store.mkdir()
    for entry in Path("/etc/ssl/certs").glob("*.pem"):
        (store / entry.name).symlink_to(entry.resolve())
    shutil.copyfile(ca, store / "bench-root.pem")
    subprocess.run(["openssl", "rehash", str(store)], check=True, capture_output=True)
    return store


def split_environment(argv):
    """Leading NAME=value items of argv become the tool's environment (no env(1) process)."""
    environment = dict(os.environ)
    while argv and "=" in argv[0] and not argv[0].startswith("/"):
        name, value = argv[0].split("=", 1)
        environment[name] = value
        argv = argv[1:]
    return argv, environment


def run_once(argv, rss_file):
    """Wall seconds, CPU seconds, peak RSS KiB and exit code of one run."""
    # GNU time reports the peak RSS of the exec'd program alone; wait4() on a child of this
    # Python process would inherit Python's own high-water mark through fork().
    argv, environment = split_environment(argv)
    wrapped = [GNU_TIME, "-q", "-f", "%M %x", "-o", rss_file.name, *argv]
    started = time.perf_counter()
    process = subprocess.Popen(wrapped, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env=environment)
    _, _, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = 0
    rss_file.seek(0)
    peak, code = rss_file.read().split()[-2:]
    return wall, usage.ru_utime + usage.ru_stime, int(peak), int(code)


def connections_of(argv):
    """The `connections` perfdata item of one run (check_tls_version reports it), or None."""
    argv, environment = split_environment(argv)
    output = subprocess.run(argv, capture_output=True, text=True, env=environment, stdin=subprocess.DEVNULL).stdout
    match = re.search(r"[| ]connections=(\d+)", output.split("\n", 1)[0])
    return int(match.group(1)) if match else None


def measure(tools, runs):
    """Medians per tool. Runs are interleaved (one of each tool per round) so that a busy or
    warming-up machine weighs on every tool alike; slow tools (a third field) run fewer times."""
    samples = {tool[0]: [] for tool in tools}
    with tempfile.NamedTemporaryFile(mode="r") as rss_file:
        for round_number in range(runs):
            for name, argv, *limit in tools:
                if not limit or round_number < limit[0]:
                    samples[name].append(run_once(argv, rss_file))
    rows = []
    for tool in tools:
        walls, cpus, rss, codes = zip(*samples[tool[0]])
        rows.append((tool[0], statistics.median(walls), statistics.median(cpus), statistics.median(rss), codes[-1]))
    return rows


def start_postfix(processes, directory):
    """A real postfix with STARTTLS (the integration tests' configuration), when this runs as root
    and postfix is installed; None otherwise."""
    if os.geteuid() != 0 or not shutil.which("postfix"):
        print("(no postfix row: needs root and the postfix package)", file=sys.stderr)
        return None
    (Path(directory) / "pki").mkdir()
    (Path(directory) / "postfix").mkdir()
    chain = standard_chain(Path(directory) / "pki", Spec("localhost"))
    return postfix(processes, Path(directory) / "postfix", chain)["smtp"]


MULTI_ADDRESSES = ["127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"]
ONE_ADDRESS_ROW = "check_tls_cert, 1 address"
FOUR_ADDRESSES_ROW = "check_tls_cert, 4 addresses (every)"


def multi_address_rows(processes, directory, plugins):
    """The 1-address and 4-address rows: an s_server on one port of each of MULTI_ADDRESSES, and
    check_tls_cert with a private hosts file (unshare -m needs root; no rows otherwise)."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        print("(no address rows: need root and unshare for the private hosts file)", file=sys.stderr)
        return []
    help_text = subprocess.run([str(plugins / "check_tls_cert"), "--help"], capture_output=True, text=True).stdout
    if "--addresses" not in help_text:
        print("(check_tls_cert has no --addresses: the 4-address row checks what it checks)", file=sys.stderr)
    base = Path(directory) / "addresses"
    base.mkdir()
    chain = standard_chain(base, Spec("bench.test", dns_names=["one.bench.test", "four.bench.test"],
                                      not_after_days=89, not_before_days=-1))
    hosts = write_hosts(base / "hosts", {"one.bench.test": MULTI_ADDRESSES[:1], "four.bench.test": MULTI_ADDRESSES})
    port = common_port(MULTI_ADDRESSES)
    for address in MULTI_ADDRESSES:
        processes.start(["openssl", "s_server", "-accept", f"{address}:{port}", "-cert", str(chain.leaf),
                         "-cert_chain", str(chain.chain), "-key", str(chain.key), "-www", "-quiet"], port,
                        address=address)

    def wrapped(name):
        return [f"HOSTS={hosts}", "unshare", "-m", "sh", "-c", WRAPPER, "sh", str(plugins / "check_tls_cert"),
                "-H", name, "-p", str(port), "--ca-file", str(chain.root)]
    return [(ONE_ADDRESS_ROW, wrapped("one.bench.test")), (FOUR_ADDRESSES_ROW, wrapped("four.bench.test"))]


MAIL_ADDRESSES = {"mx1": ["127.0.0.2", "127.0.0.3"], "mx2": ["127.0.0.4", "127.0.0.5"]}
STARTTLS_ONE_ROW = "check_starttls smtp, 1 MX address"
MAIL_ROW = "check_mail_tls, 2 MX x 2 addresses"


def mail_rows(processes, directory, plugins):
    """check_mail_tls against a domain with 2 MX hosts of 2 addresses each (a real Postfix on each,
    DANE-EE records, a signed zone from a real NSD), and check_starttls against one of those
    addresses. Needs root (Postfix) and nsd/ldnsutils; no rows otherwise."""
    if os.geteuid() != 0 or not shutil.which("nsd") or not shutil.which("ldns-signzone") or \
            not (plugins / "check_mail_tls").exists():
        print("(no mail rows: need root, postfix, nsd, ldnsutils and check_mail_tls)", file=sys.stderr)
        return []
    base = Path(directory) / "mail"
    (base / "pki").mkdir(parents=True)
    chain = standard_chain(base / "pki", Spec("mx1.bench.example", dns_names=["mx1.bench.example", "mx2.bench.example"]))
    addresses = [address for group in MAIL_ADDRESSES.values() for address in group]
    port = common_port(addresses)
    for address in addresses:
        (base / address).mkdir()
        postfix(processes, base / address, chain, address=address, ports={"smtp": port})
    lab = DnsLab(processes, base / "dns")
    zone = lab.zone("bench.example.")
    zone.add("@ MX 10 mx1\n@ MX 20 mx2")
    for host, group in MAIL_ADDRESSES.items():
        zone.add("\n".join(f"{host} A {address}" for address in group))
        zone.add(f"_{port}._tcp.{host} TLSA {tlsa_rdata(chain.leaf, 3, 1, 1)}")
    lab.start()
    return [(STARTTLS_ONE_ROW, [str(plugins / "check_starttls"), "-H", "mx1.bench.example", "-I", addresses[0],
                                "-p", str(port), "--starttls", "smtp"]),
            (MAIL_ROW, [str(plugins / "check_mail_tls"), "-D", "bench.example", "-p", str(port), "--dns-server",
                        lab.server(), "--trust-anchor", str(lab.trust_anchor), "--ca-file", str(chain.root)])]


STAPLE_NONE_ROW = "check_tls_cert (staple requested, none sent)"
STAPLED_ROW = "check_tls_cert (stapled OCSP)"
OCSP_ROW = "check_tls_cert --revocation ocsp (local responder)"
NO_REVOCATION_ROW = "check_tls_cert --revocation none"
NO_REVOCATION_STAPLING_ROW = "check_tls_cert --revocation none (stapling server)"


def revocation_rows(processes, directory, plugins, port, ca, closers):
    """The revocation rows: --revocation staple and none against the first row's server (`port`,
    trusting `ca`), and a lab CA's leaf served with a staple and without one (asking its
    responder). The lab's responder is closed by the callables appended to `closers`."""
    plugin = str(plugins / "check_tls_cert")
    help_text = subprocess.run([plugin, "--help"], capture_output=True, text=True).stdout
    if "--revocation" not in help_text:
        print("(no revocation rows: check_tls_cert has no --revocation)", file=sys.stderr)
        return []
    lab = Lab(Path(directory) / "revocation", processes, key_kind="rsa:2048")
    closers.append(lab.close)
    leaf = lab.leaf("bench")
    stapled_port = lab.tls_server(leaf, lab.staple(leaf, "bench-staple.der"))
    plain_port = lab.tls_server(leaf)
    lab.responder()
    lab_ca = str(lab.root.cert)
    return [
        (STAPLE_NONE_ROW, [plugin, "-H", "localhost", "-p", str(port), "--ca-file", ca, "--revocation", "staple"]),
        (NO_REVOCATION_ROW, [plugin, "-H", "localhost", "-p", str(port), "--ca-file", ca, "--revocation", "none"]),
        (STAPLED_ROW, [plugin, "-H", "localhost", "-p", str(stapled_port), "--ca-file", lab_ca]),
        (NO_REVOCATION_STAPLING_ROW, [plugin, "-H", "localhost", "-p", str(stapled_port), "--ca-file", lab_ca,
                                      "--revocation", "none"]),
        (OCSP_ROW, [plugin, "-H", "localhost", "-p", str(plain_port), "--ca-file", lab_ca, "--revocation", "ocsp"]),
    ]


def instructions(argv):
    """Instructions executed by the tool and every process it starts (valgrind callgrind)."""
    argv, environment = split_environment(argv)
    with tempfile.TemporaryDirectory() as directory:
        result = subprocess.run(["valgrind", "--tool=callgrind", "--trace-children=yes",
                                 f"--callgrind-out-file={directory}/cg.%p", *argv],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                env=environment)
    return sum(int(m.replace(",", "")) for m in re.findall(r"Collected : ([0-9,]+)", result.stderr))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--instructions", action="store_true", help="also count instructions with callgrind")
    parser.add_argument("--no-starttls", dest="starttls", action="store_false",
                        help="skip the STARTTLS rows (they start a postfix)")
    parser.add_argument("--plugins", type=Path, default=ROOT / "build" / "release" / "plugins")
    args = parser.parse_args()
    if not Path(GNU_TIME).exists():
        sys.exit("GNU time is needed for peak RSS: apt-get install time")
    if not (args.plugins / "check_tls_cert").exists():
        sys.exit(f"no plugins in {args.plugins}: build first (cmake --preset release && cmake --build --preset release)")

    with tempfile.TemporaryDirectory() as directory:
        chain = make_certificates(directory)
        store = system_store_with(directory, chain.root)
        port = free_port()
        processes = Processes()
        closers = []
        server = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert",
                                   str(chain.leaf), "-cert_chain", str(chain.chain), "-key", str(chain.key),
                                   "-www", "-quiet"],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(port)
            ca = str(chain.root)
            tools = [
                ("check_tls_cert --ca-file", [str(args.plugins / "check_tls_cert"), "-H", "localhost", "-p", str(port),
                                              "--ca-file", ca]),
                ("check_tls_cert (system store)", [f"SSL_CERT_DIR={store}", str(args.plugins / "check_tls_cert"),
                                                   "-H", "localhost", "-p", str(port)]),
                ("check_tls_cert --ignore-trust", [str(args.plugins / "check_tls_cert"), "-H", "localhost",
                                                   "-p", str(port), "--ignore-trust"]),
                ("openssl s_client (1 handshake)", ["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                                                    "-servername", "localhost", "-CAfile", ca]),
            ]
            if (NAGIOS_PLUGINS / "check_http").exists():
                tools.append(("check_http -C 30,14", [str(NAGIOS_PLUGINS / "check_http"), "-H", "localhost",
                                                      "-I", "127.0.0.1", "-p", str(port), "-S", "-C", "30,14"]))
            if (NAGIOS_PLUGINS / "check_ssl_cert").exists():
                tools.append(("check_ssl_cert", [str(NAGIOS_PLUGINS / "check_ssl_cert"), "-H", "localhost",
                                                 "-p", str(port), "--rootcert-file", ca, "--ignore-ocsp",
                                                 "--ignore-sct", "--match", "localhost"]))
            version = args.plugins / "check_tls_version"
            if version.exists():
                tools.append(("check_tls_version (6 probes)", [str(version), "-H", "localhost", "-p", str(port)]))
            if shutil.which("sslscan"):
                tools.append(("sslscan (protocols only)", ["sslscan", "--no-colour", "--no-ciphersuites",
                                                          "--no-renegotiation", "--no-compression", "--no-heartbleed",
                                                          "--no-groups", "--no-check-certificate", "--no-fallback",
                                                          "--no-cipher-details", f"127.0.0.1:{port}"]))
            tools += multi_address_rows(processes, directory, args.plugins)
            tools += revocation_rows(processes, directory, args.plugins, port, ca, closers)
            if shutil.which("testssl"):
                tools.append(("testssl -p", ["testssl", "-p", "--quiet", "--color", "0", "--warnings", "off",
                                             "--ip", "one", "--nodns", "min", f"127.0.0.1:{port}"], 3))
            smtp_port = start_postfix(processes, directory) if args.starttls else None
            if smtp_port:
                tools.append(("check_starttls smtp (postfix)", [str(args.plugins / "check_starttls"), "-H", "localhost",
                                                                "-p", str(smtp_port), "--starttls", "smtp"]))
                tools.append(("openssl s_client -starttls smtp", ["openssl", "s_client", "-connect",
                                                                  f"127.0.0.1:{smtp_port}", "-starttls", "smtp"]))
                if (NAGIOS_PLUGINS / "check_smtp").exists():
                    tools.append(("check_smtp -S", [str(NAGIOS_PLUGINS / "check_smtp"), "-H", "127.0.0.1",
                                                    "-p", str(smtp_port), "-S"]))
            if args.starttls:
                tools += mail_rows(processes, directory, args.plugins)
            rows = measure(tools, args.runs)
            connections = [connections_of(tool[1]) for tool in tools]
            counts = [instructions(tool[1]) if args.instructions and len(tool) == 2 else 0 for tool in tools]
        finally:
            server.terminate()
            server.wait()
            for close in closers:
                close()
            processes.stop_all()

    base_wall, base_cpu, base_count = rows[0][1], rows[0][2], counts[0]
    print(f"runs per tool: {args.runs}; medians; ratios against {rows[0][0]}")
    width = max(32, *(len(row[0]) for row in rows))
    header = f"| {'tool':{width}} | {'wall ms':>8} | {'x':>6} | {'CPU ms':>8} | {'x':>6} | {'peak RSS KiB':>12} |"
    rule = f"|{'-' * (width + 2)}|{'-' * 10}|{'-' * 8}|{'-' * 10}|{'-' * 8}|{'-' * 14}|"
    if args.instructions:
        header += f" {'instructions':>14} | {'x':>6} |"
        rule += f"{'-' * 16}|{'-' * 8}|"
    print(header + " conns | exit |")
    print(rule + "-------|------|")
    for (name, wall, cpu, rss, code), count, opened in zip(rows, counts, connections):
        line = (f"| {name:{width}} | {wall * 1000:8.1f} | {wall / base_wall:6.2f} | {cpu * 1000:8.1f} | "
                f"{cpu / base_cpu if base_cpu else 0:6.2f} | {int(rss):12d} |")
        if args.instructions:
            line += (f" {count:14,d} | {count / base_count if base_count else 0:6.2f} |" if count
                     else f" {'-':>14} | {'-':>6} |")
        print(line + f" {opened if opened is not None else '-':>5} | {code:4d} |")
    by_name = {row[0]: row for row in rows}
    if ONE_ADDRESS_ROW in by_name and FOUR_ADDRESSES_ROW in by_name:
        (_, wall1, cpu1, rss1, _), (_, wall4, cpu4, rss4, _) = by_name[ONE_ADDRESS_ROW], by_name[FOUR_ADDRESSES_ROW]
        print(f"\n4 addresses against 1 (goals: wall <= 1.30, CPU <= 4.00 i.e. at most linear, RSS <= 1.20): "
              f"wall {wall4 / wall1:.2f}, CPU {cpu4 / cpu1 if cpu1 else 0:.2f}, peak RSS {rss4 / rss1:.2f}")
    if STARTTLS_ONE_ROW in by_name and MAIL_ROW in by_name:
        (_, wall1, cpu1, _, _), (_, wall4, cpu4, _, _) = by_name[STARTTLS_ONE_ROW], by_name[MAIL_ROW]
        print(f"\ncheck_mail_tls (2 MX x 2 addresses) against check_starttls on one of them (goal: wall <= 1.50): "
              f"wall {wall4 / wall1:.2f} ({'met' if wall4 / wall1 <= 1.5 else 'NOT met'}), CPU {cpu4 / cpu1 if cpu1 else 0:.2f}")
    if all(name in by_name for name in (STAPLE_NONE_ROW, STAPLED_ROW, OCSP_ROW, NO_REVOCATION_ROW,
                                        NO_REVOCATION_STAPLING_ROW)):
        # Each against today's check (--revocation none: no status_request, nothing judged) on the
        # same server.
        def ratio(name, reference):
            _, wall, cpu, _, _ = by_name[name]
            _, reference_wall, reference_cpu, _, _ = by_name[reference]
            return wall / reference_wall, cpu / reference_cpu if reference_cpu else 0
        print("\nrevocation against --revocation none on the same server (goals: staple <= 1.05 wall, "
              "ocsp <= 1.50 CPU):")
        for name, reference, goal in ((STAPLE_NONE_ROW, NO_REVOCATION_ROW, "wall"),
                                      (STAPLED_ROW, NO_REVOCATION_STAPLING_ROW, "wall"),
                                      (OCSP_ROW, NO_REVOCATION_STAPLING_ROW, "CPU")):
            wall, cpu = ratio(name, reference)
            met = (wall <= 1.05) if goal == "wall" else (cpu <= 1.50)
            print(f"  {name}: wall {wall:.2f}, CPU {cpu:.2f} ({goal} goal {'met' if met else 'NOT met'})")

if __name__ == "__main__":
    main()
