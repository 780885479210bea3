import pytest

from harness import Processes
from pki import Spec, standard_chain


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def chain(tmp_path):
    """root -> intermediate -> leaf for localhost, made for this test."""
    return standard_chain(tmp_path, Spec("localhost"))
