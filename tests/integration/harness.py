"""Starts and stops the servers the tests talk to, all on 127.0.0.1, and runs the plugins."""

import os
import re
import resource
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PLUGIN_DIR = Path(os.environ.get("TLS_CHECKS_PLUGIN_DIR", Path(__file__).resolve().parents[2] / "build" / "plugins"))


def free_port(address="127.0.0.1"):
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def wait_for_port(port, process=None, timeout=10.0, family=socket.AF_INET, address=None):
    """`address`: where to connect (default 127.0.0.1, or ::1 for AF_INET6)."""
    if address is None:
        address = "127.0.0.1" if family == socket.AF_INET else "::1"
    address = (address, port)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise ServerFailure(f"{describe_end(process)} before listening on {address}{stderr_tail(process)}")
        try:
            with socket.create_connection(address, timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    tail = stderr_tail(process) if process is not None else ""
    raise RuntimeError(f"nothing listens on {address} after {timeout} s{tail}")


class ServerFailure(AssertionError):
    """A server a test started crashed, or ended when nobody asked it to: the test's setup is broken."""


# Signals whose default action dumps core (signal(7)): a server that dies of one crashed, whatever
# the harness had sent it before.
CORE_SIGNALS = frozenset({signal.SIGQUIT, signal.SIGILL, signal.SIGTRAP, signal.SIGABRT, signal.SIGBUS,
                          signal.SIGFPE, signal.SIGSEGV, signal.SIGSYS, signal.SIGXCPU, signal.SIGXFSZ})


# Exit statuses that are a clean stop on SIGTERM, by program, for servers the tests start directly
# with Processes.start (servers.py passes its own with accept_returncodes).
ACCEPTED_ON_SIGTERM = {
    # gnutls-serv's handler for SIGTERM (and SIGINT) prints "Exiting via signal 15" and calls exit(1):
    # terminate() in GnuTLS's src/serv.c. It has no other way to stop.
    "gnutls-serv": frozenset({1}),
}


def program(process):
    """'inspircd (pid 42: inspircd --nofork ...)': the program, and its command line for the ones
    that share a name (python3, openssl)."""
    args = process.args
    argv = [args] if isinstance(args, (str, bytes, os.PathLike)) else list(args)
    command = " ".join(" ".join(os.fsdecode(arg) for arg in argv).split())
    if len(command) > 160:
        command = command[:157] + "..."
    return f"{Path(os.fsdecode(argv[0])).name} (pid {process.pid}: {command})"


def describe_end(process):
    """'<program> crashed with SIGSEGV', '<program> was killed by SIGTERM', '<program> exited with status 1'."""
    code = process.returncode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        verb = "crashed with" if -code in CORE_SIGNALS else "was killed by"
        return f"{program(process)} {verb} {name}"
    return f"{program(process)} exited with status {code}"


def stderr_tail(process, limit=4000):
    """The end of what `process` wrote to stderr, when Processes captured it, as text to append to a
    message. Read with pread: the server shares the file offset and may still be writing."""
    log = getattr(process, "stderr_log", None)
    if log is None or log.closed:
        return "\n(its stderr was not captured)"
    size = os.fstat(log.fileno()).st_size
    start = max(0, size - limit)
    text = os.pread(log.fileno(), size - start, start).decode(errors="replace").rstrip()
    if not text:
        return "\n(its stderr is empty)"
    return "\n--- end of its stderr ---\n" + ("...\n" if start else "") + text


def _without_core_dumps(preexec_fn):
    """A server that crashes is reported by the harness; its core file would only be left in the
    working directory (the source tree). RLIMIT_CORE 0 as the hard limit too: InspIRCd raises its
    soft limit to the hard one at startup. TLS_CHECKS_SERVER_CORES=1 keeps them for a debugger."""
    def prepare():
        if os.environ.get("TLS_CHECKS_SERVER_CORES") != "1":
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if preexec_fn is not None:
            preexec_fn()
    return prepare


class Processes:
    """Every process a test starts; all are stopped at teardown, even when the test failed.

    stop_all() raises ServerFailure when one of them crashed (died of a signal the harness did not
    send, or of a core-dumping one whatever it was sent), ended on its own with a nonzero status
    before it was stopped, or exited nonzero on SIGTERM beyond the statuses accepted for it. Each
    one's stderr goes to an anonymous temporary file (a chatty server never blocks on a full pipe);
    its tail is in the message. Callers may append Popen objects of their own to `started`: those
    are stopped and judged alike (in their own process group when they lead one)."""

    def __init__(self, stop_timeout=5.0):
        self.started = []
        # Callables run by stop_all() once the processes are stopped: the way to stop a daemon
        # that left the process group it was started in (Postfix's master calls setsid()), which
        # no signal to the group reaches.
        self.stoppers = []
        self.stop_timeout = stop_timeout
        self._accepted = {}
        self._settled = set()

    def start(self, argv, port, family=socket.AF_INET, accept_returncodes=(), address=None, **kwargs):
        """Starts `argv` in a new session and waits until it listens on `port` (of `address`, as
        wait_for_port). `accept_returncodes`: exit statuses that are a clean stop of this server on
        SIGTERM, besides 0 and death by SIGTERM."""
        __tracebackhide__ = True
        log = tempfile.TemporaryFile(prefix="tls-checks-stderr-")
        kwargs["preexec_fn"] = _without_core_dumps(kwargs.get("preexec_fn"))
        try:
            process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log,
                                       start_new_session=True, **kwargs)
        except BaseException:
            log.close()
            raise
        process.stderr_log = log
        self.started.append(process)
        by_program = ACCEPTED_ON_SIGTERM.get(Path(argv[0]).name, frozenset())
        self._accepted[process] = frozenset(accept_returncodes) | by_program
        try:
            wait_for_port(port, process, family=family, address=address)
        except ServerFailure:
            self._settled.add(process)  # reported here; stop_all must not report it twice
            raise
        return process

    def stop_all(self):
        __tracebackhide__ = True  # pytest: the message says it all; the frames here add nothing
        problems = []
        running = []
        for process in self.started:
            if process in self._settled:
                continue
            if process.poll() is None:
                running.append(process)
                self._signal(process, signal.SIGTERM)
            else:
                if process.returncode != 0:
                    problems.append(f"{describe_end(process)} before the test stopped it{stderr_tail(process)}")
                if process.pid in self._own_groups():
                    self._signal_group(process, signal.SIGTERM)  # what it left behind
        deadline = time.monotonic() + self.stop_timeout
        for process in running:
            sent = signal.SIGTERM
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(process, signal.SIGKILL)
                sent = signal.SIGKILL
                process.wait()
            problem = self._judge_stop(process, sent)
            if problem:
                problems.append(problem + stderr_tail(process))
        stoppers, self.stoppers = self.stoppers, []
        for stop in stoppers:
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - every stopper runs, each failure is reported
                problems.append(f"stopping a server failed: {error!r}")
        for process in self.started:
            self._settled.add(process)
            log = getattr(process, "stderr_log", None)
            if log is not None:
                log.close()
        if problems:
            raise ServerFailure("\n\n".join(problems))

    def _own_groups(self):
        """Process groups this harness created (start() makes every server a session leader)."""
        return {process.pid for process in self._accepted}

    def _signal(self, process, signum):
        try:
            if process.pid in self._own_groups() or os.getpgid(process.pid) == process.pid:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)
        except ProcessLookupError:
            pass

    @staticmethod
    def _signal_group(process, signum):
        try:
            os.killpg(process.pid, signum)
        except ProcessLookupError:
            pass

    def _judge_stop(self, process, sent):
        """None when `process` ended as the signal the harness sent asks, else what went wrong."""
        code = process.returncode
        if code == 0 or code in self._accepted.get(process, ()):
            return None
        if code < 0 and -code in CORE_SIGNALS:
            return f"{describe_end(process)} when the harness stopped it with SIGTERM"
        if code == -signal.SIGTERM or (code == -signal.SIGKILL and sent == signal.SIGKILL):
            return None
        if code < 0:
            return f"{describe_end(process)} (the harness sent {sent.name})"
        return f"{describe_end(process)} on SIGTERM"


def openssl_server(processes, chain, extra=(), address="127.0.0.1", port=None):
    """A real `openssl s_server` presenting `chain` on a fresh loopback port (or `port`) of `address`."""
    port = port or free_port(address)
    accept = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    argv = ["openssl", "s_server", "-accept", accept, "-cert", str(chain.leaf), "-key", str(chain.key),
            "-www", "-quiet", "-cipher", "DEFAULT:@SECLEVEL=0"]
    if chain.chain.stat().st_size > 0:
        argv += ["-cert_chain", str(chain.chain)]
    argv += list(extra)
    processes.start(argv, port, address=address)
    return port


class ScriptedServer:
    """Hostile or broken behaviour that no real server produces: `handler(connection)` runs for
    every accepted connection in its own thread."""

    def __init__(self, handler):
        self.handler = handler
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection):
        try:
            self.handler(connection)
        except OSError:
            pass
        finally:
            connection.close()

    def close(self):
        self.listener.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class SilentServer(ScriptedServer):
    """Accepts connections and never says a word: a hostile server no real one imitates."""

    def __init__(self):
        self.closing = threading.Event()
        super().__init__(lambda connection: self.closing.wait(30))

    def close(self):
        self.closing.set()
        super().close()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    elapsed: float

    @property
    def first_line(self):
        return self.stdout.split("\n", 1)[0]

    @property
    def status(self):
        """'OK', 'WARNING', ... from 'PREFIX STATE - ...'."""
        return self.first_line.split(" ", 2)[1]

    @property
    def summary(self):
        return self.first_line.split(" - ", 1)[1].split(" | ", 1)[0]

    @property
    def perfdata(self):
        """{'days_left': '41.73;30:;14:', ...}: raw value fields by label."""
        if " | " not in self.first_line:
            return {}
        items = self.first_line.split(" | ", 1)[1].split(" ")
        return dict(item.split("=", 1) for item in items)

    def perf_value(self, label):
        return float(re.match(r"[-0-9.]+", self.perfdata[label]).group(0))


def run_plugin(name, *args, timeout=60):
    started = time.monotonic()
    result = subprocess.run([str(PLUGIN_DIR / name), *map(str, args)], capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    return Run(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def assert_plugin_shape(run, prefix):
    """Every plugin output: stdout only, one status line whose state matches the exit code."""
    states = {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}
    assert run.stderr == "", run.stderr
    assert run.first_line.startswith(prefix + " "), run.stdout
    assert states[run.status] == run.returncode, run.stdout
    assert run.first_line.count("|") <= 1, run.stdout
    assert len(run.stdout.encode()) < 4096


def check_tls_cert(port, *args, host="localhost", ca=None):
    """check_tls_cert against a loopback server: -H host (connecting to 127.0.0.1 whatever the
    name), --ca-file when given; the output's shape is checked."""
    argv = ["-H", host, "-p", port]
    if host not in ("localhost", "127.0.0.1"):
        argv += ["-I", "127.0.0.1"]
    if ca is not None:
        argv += ["--ca-file", ca]
    run = run_plugin("check_tls_cert", *argv, *args)
    assert_plugin_shape(run, "TLS_CERT")
    return run


def check_tls_version(port, *args, host="localhost"):
    """check_tls_version against a loopback server; the output's shape is checked, and that no
    perfdata value is `U` (Icinga 2 cannot parse it)."""
    run = run_plugin("check_tls_version", "-H", host, "-p", port, *args)
    assert_plugin_shape(run, "TLS_VERSION")
    assert "=U" not in run.first_line, run.stdout
    return run
