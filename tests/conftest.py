import os

import pytest

from cgcore.data import DataNotFoundError, load_dataset


def load_or_skip(*args, **kwargs):
    """``load_dataset(*args, **kwargs)``; skips the test with the reason when the data is
    unavailable (and fails under CI, where the data must be there)."""
    try:
        return load_dataset(*args, **kwargs)
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))


@pytest.fixture(scope="session")
def mnist7():
    """Real 7x7 MNIST (train, test)."""
    return load_or_skip("mnist7", "train", antialias=True), load_or_skip("mnist7", "test", antialias=True)


@pytest.fixture(scope="session")
def mnist_pixels():
    """200 real MNIST training images (20 per class, standardised) and their labels."""
    train = load_or_skip("mnist", "train").subset(200, seed=0)
    return (train.images - 0.1307) / 0.3081, train.labels


@pytest.fixture(scope="session")
def mnist28():
    """300 real 28x28 MNIST training images in [0, 1] (30 per class) and their labels."""
    train = load_or_skip("mnist", "train").subset(300, seed=0)
    return train.images, train.labels
