"""Starts and stops the servers the tests talk to, all on 127.0.0.1, and runs the plugins."""

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

PLUGIN_DIR = Path(os.environ.get("TLS_CHECKS_PLUGIN_DIR", Path(__file__).resolve().parents[2] / "build" / "plugins"))


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port, process=None, timeout=10.0, family=socket.AF_INET):
    address = ("127.0.0.1", port) if family == socket.AF_INET else ("::1", port)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited early with {process.returncode}: {process.stderr.read() if process.stderr else ''}")
        try:
            with socket.create_connection(address, timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {address} after {timeout} s")


class Processes:
    """Every process a test starts; all are stopped at teardown, even when the test failed."""

    def __init__(self):
        self.started = []

    def start(self, argv, port, family=socket.AF_INET, **kwargs):
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True, **kwargs)
        self.started.append(process)
        wait_for_port(port, process, family=family)
        return process

    def stop_all(self):
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            if process.stderr:
                process.stderr.close()


def openssl_server(processes, chain, extra=()):
    """A real `openssl s_server` presenting `chain` on a fresh loopback port."""
    port = free_port()
    argv = ["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(chain.leaf), "-key", str(chain.key),
            "-www", "-quiet", "-cipher", "DEFAULT:@SECLEVEL=0"]
    if chain.chain.stat().st_size > 0:
        argv += ["-cert_chain", str(chain.chain)]
    argv += list(extra)
    processes.start(argv, port)
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
