import pytest

from harness import Processes


@pytest.fixture
def processes():
    started = Processes()
    yield started
    started.stop_all()
