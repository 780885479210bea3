"""The hostile-server corpus reuses the integration harness (tests/integration: ScriptedServer,
Processes, PLUGIN_DIR, pki) instead of copying it. It is appended to sys.path, not put in front,
so that no module of this folder is shadowed by one of the same name there."""

import sys
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
if str(INTEGRATION) not in sys.path:
    sys.path.append(str(INTEGRATION))

import hostile_servers  # noqa: E402
from harness import Processes  # noqa: E402


@pytest.fixture
def processes():
    """The servers a test starts, stopped at teardown; a crashed one fails the test there
    (see tests/integration/conftest.py)."""
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture(scope="session")
def pki_directory(tmp_path_factory):
    return tmp_path_factory.mktemp("hostile-pki")


@pytest.fixture(scope="session")
def ec_chain(pki_directory):
    """root -> intermediate -> leaf for localhost, P-256 throughout."""
    return hostile_servers.ec_chain(pki_directory)


@pytest.fixture(scope="session")
def deep_chain(pki_directory):
    """200 certificates, all sent."""
    return hostile_servers.deep_chain(pki_directory)


@pytest.fixture(scope="session")
def megabyte_chain(pki_directory):
    """A leaf of over 1 MB (a private extension), its intermediate, the root."""
    return hostile_servers.megabyte_certificate_chain(pki_directory)
