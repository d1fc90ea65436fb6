import os

import pytest

from cgcore.data import DataNotFoundError, load_dataset


@pytest.fixture(scope="session")
def mnist7():
    """Real 7x7 MNIST (train, test); skips with the reason when the data is unavailable."""
    try:
        return load_dataset("mnist7", "train", antialias=True), load_dataset("mnist7", "test", antialias=True)
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))
