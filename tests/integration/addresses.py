"""A lab for names with several addresses, without touching the machine's configuration.

Private name tables: a plugin runs in a mount namespace of its own (`unshare -m`, private
propagation) in which a temporary hosts file is bind-mounted over /etc/hosts; glibc's `multi on`
(/etc/host.conf) gives a name on several lines every one of its addresses. The machine's
/etc/hosts is never written.

Network namespaces: `ip netns add` makes one with only a loopback; nftables rules loaded inside it
drop TCP SYNs to chosen address:port pairs silently, so that connecting there hangs. Servers, port
waits and plugins for such a test all run inside it (`ip netns exec`); the root namespace gets no
rule. Each namespace is deleted at teardown, also when the test failed.

Addresses used: 127.0.0.2, 127.0.0.3, ... and ::1, which the loopback answers for without any
configuration (in the root namespace and in a fresh one)."""

import itertools
import os
import shutil
import socket
import sys
import subprocess
import tempfile
import time
from pathlib import Path

from harness import PLUGIN_DIR, Run, ServerFailure, _without_core_dumps, describe_end, free_port, stderr_tail

NAME = "multi.test"

# $HOSTS (from the environment) over /etc/hosts, then the command: sh is the only extra process.
WRAPPER = 'mount --bind "$HOSTS" /etc/hosts && exec "$@"'


def missing_for_private_hosts():
    """Why the private name table cannot be used here, or None."""
    if os.geteuid() != 0:
        return "needs root (unshare -m and mount --bind)"
    for tool in ("unshare", "mount", "getent"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    return None


def missing_for_netns():
    """Why a network namespace with nftables cannot be used here, or None."""
    reason = missing_for_private_hosts()
    if reason:
        return reason
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install iproute2 nftables)"
    return None


def ipv6_loopback_available():
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def endpoint(address, port):
    """'127.0.0.2:443', '[::1]:443': how the plugins name one address of a name."""
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def write_hosts(path, names):
    """A hosts file: localhost as usual, then one line per address of each name
    ({"multi.test": ["::1", "127.0.0.2"]}), in the order given."""
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    for name, addresses in names.items():
        lines += [f"{address} {name}" for address in addresses]
    path = Path(path)
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o644)
    return path


def with_hosts(hosts, argv, netns=None):
    """`argv` wrapped to run with `hosts` as its /etc/hosts (inside `netns` when given), and the
    environment that goes with it."""
    wrapped = ["unshare", "-m", "sh", "-c", WRAPPER, "sh", *map(str, argv)]
    if netns is not None:
        wrapped = netns.exec_argv(wrapped)
    return wrapped, {**os.environ, "HOSTS": str(hosts)}


def run_with_hosts(hosts, plugin, *args, netns=None, timeout=60):
    """A plugin from PLUGIN_DIR run with its own name table: a harness Run (elapsed includes the
    wrapper's few milliseconds)."""
    argv, environment = with_hosts(hosts, [PLUGIN_DIR / plugin, *args], netns)
    started = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
                            env=environment)
    return Run(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def getent_order(hosts, name, netns=None, database="ahosts"):
    """The addresses glibc's getaddrinfo gives for `name` with that table (`getent ahosts`, in
    its order, once each); [] when the name does not resolve. database="ahostsv4": what an
    AF_INET lookup (-4) gives, which for a hosts file includes 127.0.0.1 for a `::1` line
    (glibc's nss_files maps the IPv6 loopback to the IPv4 one for AF_INET)."""
    argv, environment = with_hosts(hosts, ["getent", database, name], netns)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=30, env=environment,
                            stdin=subprocess.DEVNULL)
    if result.returncode == 2:
        return []
    assert result.returncode == 0, f"getent ahosts {name}: status {result.returncode}: {result.stderr}"
    order = []
    for line in result.stdout.splitlines():
        address = line.split()[0]
        if address not in order:
            order.append(address)
    return order


def common_port(addresses, attempts=100):
    """A TCP port free on every one of `addresses` (of this namespace) at once: the plugins use
    one -p for all the addresses of a name."""
    for _ in range(attempts):
        port = free_port(addresses[0])
        try:
            for address in addresses[1:]:
                family = socket.AF_INET6 if ":" in address else socket.AF_INET
                with socket.socket(family, socket.SOCK_STREAM) as probe:
                    probe.bind((address, port))
            return port
        except OSError:
            continue
    raise RuntimeError(f"no port free on all of {addresses} after {attempts} attempts")


_counter = itertools.count()


class NetNamespace:
    """A network namespace of its own with the loopback up and nothing else."""

    def __init__(self):
        self.name = f"tls-checks-{os.getpid()}-{next(_counter)}"
        self.created = False

    def create(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True, text=True)
        self.created = True
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True, capture_output=True, text=True)
        return self

    def delete(self):
        """Removes the namespace's name; processes still inside keep it alive until they end (the
        harness stops them)."""
        if self.created:
            result = subprocess.run(["ip", "netns", "delete", self.name], capture_output=True, text=True)
            self.created = False
            if result.returncode != 0:
                raise RuntimeError(f"ip netns delete {self.name}: {result.stderr.strip()}")

    def exec_argv(self, argv):
        return ["ip", "netns", "exec", self.name, *map(str, argv)]

    def run(self, argv, **kwargs):
        return subprocess.run(self.exec_argv(argv), capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              timeout=kwargs.pop("timeout", 30), **kwargs)

    def blackhole(self, endpoints):
        """Drops TCP SYNs (every outgoing segment, in fact) to each (address, port) in this
        namespace: connecting there neither succeeds nor is refused, it hangs."""
        rules = []
        for address, port in endpoints:
            family = "ip6" if ":" in address else "ip"
            rules.append(f"    {family} daddr {address} tcp dport {port} drop")
        text = "table inet blackhole {\n  chain output {\n    type filter hook output priority 0;\n"
        text += "\n".join(rules) + "\n  }\n}\n"
        with tempfile.NamedTemporaryFile("w", suffix=".nft", prefix="tls-checks-") as rules_file:
            rules_file.write(text)
            rules_file.flush()
            result = self.run(["nft", "-f", rules_file.name])
        assert result.returncode == 0, f"nft -f in {self.name}: {result.stderr}\n{text}"

    def connect_outcome(self, address, port, timeout=1.0):
        """'connected', 'refused' or 'timed out': one TCP connect from inside the namespace."""
        script = ("import socket, sys\n"
                  "try:\n"
                  "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()\n"
                  "    print('connected')\n"
                  "except socket.timeout:\n"
                  "    print('timed out')\n"
                  "except ConnectionRefusedError:\n"
                  "    print('refused')\n")
        result = self.run([sys.executable, "-c", script, address, port, timeout])
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def wait_for_port(self, address, port, process=None, timeout=10.0):
        """As harness.wait_for_port, from inside the namespace."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if process is not None and process.poll() is not None:
                raise ServerFailure(f"{describe_end(process)} before listening on {endpoint(address, port)} "
                                    f"in {self.name}{stderr_tail(process)}")
            if self.connect_outcome(address, port, 0.5) == "connected":
                return
            time.sleep(0.05)
        tail = stderr_tail(process) if process is not None else ""
        raise RuntimeError(f"nothing listens on {endpoint(address, port)} in {self.name} after {timeout} s{tail}")

    def start(self, processes, argv, address, port):
        """`argv` started inside the namespace as harness.Processes.start would (new session,
        stderr captured, no core files), left in `processes` (stopped and judged at teardown),
        once it listens on address:port there."""
        log = tempfile.TemporaryFile(prefix="tls-checks-stderr-")
        try:
            process = subprocess.Popen(self.exec_argv(argv), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=log, start_new_session=True, preexec_fn=_without_core_dumps(None))
        except BaseException:
            log.close()
            raise
        process.stderr_log = log
        processes.started.append(process)
        try:
            self.wait_for_port(address, port, process)
        except ServerFailure:
            processes._settled.add(process)  # reported here, as Processes.start does; not twice at teardown
            raise
        return process

    def openssl_server(self, processes, chain, address, port, extra=()):
        """harness.openssl_server's `openssl s_server`, inside the namespace."""
        argv = ["openssl", "s_server", "-accept", endpoint(address, port), "-cert", chain.leaf, "-key", chain.key,
                "-www", "-quiet", "-cipher", "DEFAULT:@SECLEVEL=0"]
        if chain.chain.stat().st_size > 0:
            argv += ["-cert_chain", chain.chain]
        self.start(processes, [*argv, *extra], address, port)
        return port
