import pytest

from harness import Processes
from pki import Spec, standard_chain


@pytest.fixture
def processes():
    """The servers a test starts, stopped at teardown. A server that crashed (during the test or
    when stopped), or ended on its own with a nonzero status, makes stop_all() raise ServerFailure
    here: pytest reports it as an error at teardown of that test, with the program, the signal or
    status and the end of its stderr, even when the test itself passed."""
    started = Processes()
    yield started
    started.stop_all()


@pytest.fixture
def chain(tmp_path):
    """root -> intermediate -> leaf for localhost, made for this test."""
    return standard_chain(tmp_path, Spec("localhost"))
