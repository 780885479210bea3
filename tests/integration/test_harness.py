"""The harness itself: Processes reports a server that crashed (during the test or when stopped),
that ended on its own with a nonzero status, or that exited nonzero on SIGTERM, naming the
program, the signal or status, and the end of its stderr; a clean stop passes. The servers here
are small Python programs listening on a loopback port; each runs in the test's temporary
directory, and the harness starts them with RLIMIT_CORE 0, so a crash leaves no core file."""

import os
import resource
import signal
import subprocess
import sys
import time

import pytest

from harness import Processes, ServerFailure, free_port, wait_for_port

# A server: runs BEFORE, listens on argv[1], says so on stderr, then runs BEHAVIOUR.
SERVER = """
import os, signal, socket, sys, time
{before}
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", int(sys.argv[1])))
listener.listen(8)
print("listening on", sys.argv[1], file=sys.stderr, flush=True)
{behaviour}
while True:
    listener.accept()[0].close()
"""

SEGFAULT_SOON = """
time.sleep(0.3)
print("about to crash", file=sys.stderr, flush=True)
os.kill(os.getpid(), signal.SIGSEGV)
"""

ABORT_ON_TERM = """
def on_term(*_):
    print("aborting on SIGTERM", file=sys.stderr, flush=True)
    os.abort()
signal.signal(signal.SIGTERM, on_term)
"""


def no_core_dumps():
    """Also when TLS_CHECKS_SERVER_CORES=1 lifts the harness's own limit: these crash on purpose."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def server(behaviour="", before=""):
    return [sys.executable, "-c", SERVER.format(behaviour=behaviour, before=before)]


def start(processes, behaviour, tmp_path, before="", **kwargs):
    port = free_port()
    return processes.start([*server(behaviour, before), str(port)], port, cwd=tmp_path, preexec_fn=no_core_dumps,
                           **kwargs)


def wait_until_ended(process, timeout=10):
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process.returncode is not None


def stop_expecting_failure(processes):
    with pytest.raises(ServerFailure) as caught:
        processes.stop_all()
    return str(caught.value)


def test_a_server_that_segfaults_during_the_test_fails_it_with_program_signal_and_stderr(tmp_path):
    processes = Processes()
    process = start(processes, SEGFAULT_SOON, tmp_path)
    wait_until_ended(process)
    message = stop_expecting_failure(processes)
    assert f"{os.path.basename(sys.executable)} (pid {process.pid}: {sys.executable} -c import os" in message
    assert "crashed with SIGSEGV" in message
    assert "before the test stopped it" in message
    assert "about to crash" in message and "listening on" in message
    assert not any(path.name.startswith("core") for path in tmp_path.iterdir())


def test_a_server_that_aborts_when_stopped_fails_the_test(tmp_path):
    processes = Processes()
    start(processes, ABORT_ON_TERM, tmp_path)
    message = stop_expecting_failure(processes)
    assert "crashed with SIGABRT when the harness stopped it with SIGTERM" in message
    assert "aborting on SIGTERM" in message
    assert not any(path.name.startswith("core") for path in tmp_path.iterdir())


def test_a_server_that_exits_nonzero_on_its_own_fails_the_test(tmp_path):
    processes = Processes()
    process = start(processes, "time.sleep(0.2)\nprint('giving up', file=sys.stderr)\nsys.exit(3)", tmp_path)
    wait_until_ended(process)
    message = stop_expecting_failure(processes)
    assert "exited with status 3 before the test stopped it" in message
    assert "giving up" in message


def test_a_server_that_exits_before_listening_is_reported_by_start(tmp_path):
    processes = Processes()
    port = free_port()
    argv = [sys.executable, "-c", "import sys; print('bad configuration', file=sys.stderr); sys.exit(2)", str(port)]
    with pytest.raises(ServerFailure, match=r"(?s)exited with status 2 before listening.*bad configuration"):
        processes.start(argv, port, cwd=tmp_path)
    processes.stop_all()  # reported once, by start()


def test_a_nonzero_status_on_sigterm_fails_unless_accepted_for_that_server(tmp_path):
    exit_10 = "signal.signal(signal.SIGTERM, lambda *_: os._exit(10))"
    processes = Processes()
    start(processes, exit_10, tmp_path)
    assert "exited with status 10 on SIGTERM" in stop_expecting_failure(processes)

    processes = Processes()
    start(processes, exit_10, tmp_path, accept_returncodes={10})
    processes.stop_all()


def test_a_clean_stop_passes(tmp_path):
    processes = Processes()
    by_signal = start(processes, "", tmp_path)
    by_exit = start(processes, "signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))", tmp_path)
    processes.stop_all()
    assert by_signal.returncode == -signal.SIGTERM
    assert by_exit.returncode == 0
    processes.stop_all()  # nothing left to stop or to report


def test_a_server_ignoring_sigterm_is_killed_and_that_is_no_failure(tmp_path):
    processes = Processes(stop_timeout=0.5)
    process = start(processes, "signal.signal(signal.SIGTERM, signal.SIG_IGN)", tmp_path)
    processes.stop_all()
    assert process.returncode == -signal.SIGKILL


def test_a_chatty_server_never_blocks_on_its_stderr(tmp_path):
    """4 MiB on stderr before it listens: on a pipe nobody reads, it would block at 64 KiB and
    never listen. Its tail is what a report would show."""
    processes = Processes()
    chatty = "for line in range(40000):\n    print(f'line {line:05} ' + 'x' * 88, file=sys.stderr)"
    process = start(processes, "time.sleep(0.2)\nsys.exit(1)", tmp_path, before=chatty)
    wait_until_ended(process)
    message = stop_expecting_failure(processes)
    assert "exited with status 1" in message
    assert "line 39999 xxxx" in message and "line 00000" not in message and len(message) < 5000


def test_a_popen_appended_by_a_caller_is_stopped_and_judged(tmp_path):
    processes = Processes()
    port = free_port()
    process = subprocess.Popen([*server(ABORT_ON_TERM), str(port)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                               cwd=tmp_path, preexec_fn=no_core_dumps)
    processes.started.append(process)
    wait_for_port(port, process)  # its SIGTERM handler is installed
    message = stop_expecting_failure(processes)
    assert "crashed with SIGABRT" in message and "its stderr was not captured" in message


def test_servers_start_without_core_dumps(tmp_path, monkeypatch):
    """A crash is reported by the harness; a core file would only litter the working directory."""
    monkeypatch.delenv("TLS_CHECKS_SERVER_CORES", raising=False)
    processes = Processes()
    port = free_port()
    report = "import resource\nprint('core limit', resource.getrlimit(resource.RLIMIT_CORE), file=sys.stderr)"
    processes.start([*server(before=report), str(port)], port, cwd=tmp_path)
    processes.started[0].send_signal(signal.SIGQUIT)  # a core-dumping signal
    wait_until_ended(processes.started[0])
    message = stop_expecting_failure(processes)
    assert "core limit (0, 0)" in message and "crashed with SIGQUIT" in message
    assert not any(path.name.startswith("core") for path in tmp_path.iterdir())
