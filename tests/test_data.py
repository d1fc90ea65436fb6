import os

import numpy as np
import pytest
import torch

from cgcore import data
from cgcore.data import DataNotFoundError, load_dataset, resize_mnist


@pytest.mark.parametrize("name, split, shape, n", [
    ("mnist7", "train", (1, 7, 7), 60_000), ("mnist7", "test", (1, 7, 7), 10_000),
    ("mnist", "test", (1, 28, 28), 10_000), ("cifar10", "test", (3, 32, 32), 10_000),
])
def test_datasets_shapes_ranges_and_classes(name, split, shape, n):
    d = load_dataset(name, split)
    assert d.images.shape == (n, *shape) and d.images.dtype == torch.float32
    assert 0.0 <= d.images.min() and d.images.max() <= 1.0 and d.images.max() > 0.9
    assert d.labels.dtype == torch.int64 and sorted(d.labels.unique().tolist()) == list(range(10))


def test_mnist_is_the_official_data():
    images, labels = data.load_arrays("mnist", "test")
    assert labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]  # the well-known first test labels
    assert np.bincount(labels).tolist()[:2] == [980, 1135]


def test_fashion_mnist_is_its_own_data_set():
    """Fashion-MNIST (Debian's dataset-fashion-mnist, CGCORE_DATA or torchvision): 1,000 test
    images per class, not MNIST's digits."""
    try:
        fashion = data.load_arrays("fashion", "test")
    except DataNotFoundError as err:  # pragma: no cover - depends on the machine
        if os.environ.get("CI"):
            raise
        pytest.skip(str(err))
    digits = data.load_arrays("mnist", "test")
    assert fashion[0].shape == digits[0].shape == (10_000, 28, 28)
    assert np.bincount(fashion[1]).tolist() == [1000] * 10
    assert not np.array_equal(fashion[0][:100], digits[0][:100])
    assert len(data.FASHION_CLASSES) == 10
    images = load_dataset("fashion", "test")
    assert images.images.shape == (10_000, 1, 28, 28) and 0 <= images.images.min() and images.images.max() <= 1


def test_resize_modes_differ_and_antialias_averages_blocks():
    x = torch.zeros(1, 1, 28, 28)
    x[..., 0, 0] = 1.0  # a corner pixel that plain bilinear never reads
    assert resize_mnist(x, antialias=False)[0, 0, 0, 0] == 0
    assert resize_mnist(x, antialias=True)[0, 0, 0, 0] > 0
    block = torch.rand(1, 1, 28, 28)
    assert resize_mnist(block).shape == (1, 1, 7, 7)
    with pytest.raises(ValueError, match="expects 28x28 images, got \\(32, 32\\)"):
        resize_mnist(torch.rand(1, 1, 32, 32))


def test_unknown_dataset_and_split_list_accepted_values():
    with pytest.raises(ValueError, match="unknown dataset 'svhn'; accepted: mnist, mnist7, cifar10, fashion"):
        load_dataset("svhn", "train")
    with pytest.raises(ValueError, match="accepted: train, test"):
        load_dataset("mnist", "validation")


def test_missing_data_says_where_it_looked(tmp_path, monkeypatch):
    monkeypatch.setenv("CGCORE_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("CGCORE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataNotFoundError, match="Looked in: .*empty.*Set CGCORE_DATA"):
        data.load_arrays("mnist", "train", download=False)


def test_subset_is_class_balanced_and_reproducible():
    d = load_dataset("mnist7", "test")
    s = d.subset(500, seed=3)
    assert len(s) == 500 and s.labels.bincount().tolist() == [50] * 10
    assert torch.equal(s.images, d.subset(500, seed=3).images)
    assert d.subset(None) is d
    with pytest.raises(ValueError, match="subset size must be positive"):
        d.subset(0)


def test_validation_split_is_disjoint_stratified_and_reproducible():
    images = torch.arange(100, dtype=torch.float32).view(100, 1, 1, 1)
    labels = torch.arange(100) % 5
    d = data.TensorData(images, labels, "toy")
    rest, held = d.split(20, seed=1)
    assert len(rest) == 80 and len(held) == 20
    assert set(rest.images.flatten().tolist()).isdisjoint(held.images.flatten().tolist())
    assert torch.bincount(held.labels).tolist() == [4] * 5
    assert torch.equal(d.split(20, seed=1)[1].images, held.images)
    with pytest.raises(ValueError, match="a holdout of 100 images needs 0 < n < 100"):
        d.split(100)


@pytest.mark.parametrize("name, files", [
    ("mnist", ["mnist/train-images-idx3-ubyte.gz", "mnist/train-labels-idx1-ubyte.gz"]),
    ("cifar10", ["cifar10/cifar10-jpeg-q75.npz"]),
])
def test_a_truncated_data_file_names_the_file_and_what_to_do(tmp_path, monkeypatch, name, files):
    from cgcore.data import DataDamagedError

    for f in files:
        (tmp_path / f).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / f).write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 40)   # the start of a file, cut short
    monkeypatch.setenv("CGCORE_DATA", str(tmp_path))
    monkeypatch.setenv("CGCORE_CACHE", str(tmp_path / "cache"))
    with pytest.raises(DataDamagedError, match=rf"{files[0].split('/')[-1]} is damaged .* Restore it"):
        data.load_arrays(name, "train", download=False)
