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


@pytest.fixture(scope="session")
def mnist_pixels():
    """200 real MNIST training images (20 per class, standardised) and their labels."""
    try:
        train = load_dataset("mnist", "train").subset(200, seed=0)
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))
    return (train.images - 0.1307) / 0.3081, train.labels
