"""The paper's data sets as tensors: MNIST, 7x7 MNIST (Sec. III) and CIFAR-10.

Where the raw files come from, in order:

1. ``$CGCORE_DATA`` (the Makefile points it at ``../shared/data`` when that exists):
   ``mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]`` and
   ``cifar10/cifar10-jpeg-q75.npz`` (CIFAR-10 re-encoded as JPEG q75, see the book's
   intro for what that costs), or torchvision's own layout (``MNIST/raw``,
   ``cifar-10-batches-py``) under the same folder.
2. torchvision's ``MNIST`` / ``CIFAR10`` with ``download=True`` into the cache folder,
   for readers whose machine has internet.

Decoded uint8 arrays are cached in ``$CGCORE_CACHE`` (default ``~/.cache/cgcore``), so
the JPEG decoding and IDX parsing happen once.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from . import distributed
from .checks import check_choice

DATASETS = ("mnist", "mnist7", "cifar10", "fashion")
RAW_DATASETS = ("mnist", "cifar10", "fashion")
IMAGE_SHAPE = {"mnist": (1, 28, 28), "mnist7": (1, 7, 7), "cifar10": (3, 32, 32), "fashion": (1, 28, 28)}
# Debian's dataset-fashion-mnist package (installed by the Makefile where it can be)
DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
SPLITS = ("train", "test")

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
FASHION_CLASSES = ("T-shirt/top", "trouser", "pullover", "dress", "coat",
                   "sandal", "shirt", "sneaker", "bag", "ankle boot")


class DataDamagedError(RuntimeError):
    """A data file exists but cannot be read (truncated, not the expected format)."""


class DataNotFoundError(FileNotFoundError):
    """Raised when a data set is neither on disk nor downloadable."""


def data_dir() -> Path | None:
    root = os.environ.get("CGCORE_DATA")
    return Path(root).expanduser() if root else None


def cache_dir() -> Path:
    path = Path(os.environ.get("CGCORE_CACHE", "~/.cache/cgcore")).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path


# --------------------------------------------------------------------------- raw readers

def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (the MNIST format), gzipped or not."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path | None:
    for candidate in (folder / stem, folder / f"{stem}.gz"):
        if candidate.exists():
            return candidate
    return None


def _read_or_explain(path: Path, read):
    """``read()``, or a :class:`DataDamagedError` naming ``path`` when the file is cut short
    or otherwise unreadable."""
    try:
        return read()
    except (EOFError, OSError, ValueError, KeyError, IndexError, zipfile.BadZipFile, zlib.error) as err:
        raise DataDamagedError(
            f"the data file {path} is damaged ({type(err).__name__}: {str(err)[:120]}). Restore it (this "
            f"project keeps a copy in ../shared/data), or remove it so that torchvision downloads the data "
            f"on a machine with internet.") from err


def _mnist_from(root: Path, split: str, folders=("mnist", "MNIST/raw", ".")):
    """The IDX files of MNIST (or of Fashion-MNIST, which has the same format) in one of
    ``folders`` under ``root``."""
    prefix = "train" if split == "train" else "t10k"
    for folder in (root / f for f in folders):
        images = _find_idx(folder, f"{prefix}-images-idx3-ubyte")
        labels = _find_idx(folder, f"{prefix}-labels-idx1-ubyte")
        if images and labels:
            return (_read_or_explain(images, lambda: _read_idx(images)),
                    _read_or_explain(labels, lambda: _read_idx(labels)))
    return None


def _cifar10_from(root: Path, split: str):
    npz = root / "cifar10" / "cifar10-jpeg-q75.npz"
    if npz.exists():
        from PIL import Image

        def read():
            with np.load(npz) as archive:
                return (archive[f"{split}_jpeg"], archive[f"{split}_offsets"],
                        archive[f"{split}_labels"].astype(np.uint8))

        blob, offsets, labels = _read_or_explain(npz, read)
        images = np.stack([
            np.asarray(Image.open(io.BytesIO(blob[offsets[i]:offsets[i + 1]].tobytes())).convert("RGB"))
            for i in range(len(labels))
        ])
        return images, labels
    if (root / "cifar-10-batches-py").exists():
        return _torchvision_arrays("cifar10", split, root, download=False)
    return None


def _fashion_from(root: Path, split: str):
    return _mnist_from(root, split, folders=("fashion-mnist", "FashionMNIST/raw"))


def _torchvision_arrays(name: str, split: str, root: Path, download: bool):
    import torchvision

    cls = {"mnist": torchvision.datasets.MNIST, "cifar10": torchvision.datasets.CIFAR10,
           "fashion": torchvision.datasets.FashionMNIST}[name]
    ds = cls(str(root), train=(split == "train"), download=download)
    images = np.asarray(ds.data)
    labels = np.asarray(ds.targets, dtype=np.uint8)
    return images, labels


def load_arrays(name: str, split: str, download: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images (N, H, W) for MNIST and Fashion-MNIST or (N, H, W, 3) for CIFAR-10, and
    uint8 labels."""
    check_choice("raw dataset", name, RAW_DATASETS)
    check_choice("split", split, SPLITS)
    cached = cache_dir() / f"{name}-{split}.npz"
    if cached.exists():
        def read():
            with np.load(cached) as archive:
                return archive["images"], archive["labels"]

        return _read_or_explain(cached, read)

    looked = []
    arrays = None
    root = data_dir()
    reader = {"mnist": _mnist_from, "cifar10": _cifar10_from, "fashion": _fashion_from}[name]
    if root is not None:
        looked.append(str(root))
        arrays = reader(root, split)
    if arrays is None and name == "fashion" and DEBIAN_FASHION.exists():
        looked.append(str(DEBIAN_FASHION))
        arrays = _mnist_from(DEBIAN_FASHION, split, folders=(".",))
    if arrays is None and download:
        looked.append(f"torchvision download into {cache_dir() / 'torchvision'}")
        try:
            arrays = _torchvision_arrays(name, split, cache_dir() / "torchvision", download=True)
        except Exception as err:  # no network, server down, ...
            looked[-1] += f" (failed: {type(err).__name__}: {err})"
    if arrays is None:
        raise DataNotFoundError(
            f"{name} ({split}) not found. Looked in: {'; '.join(looked) or 'nowhere'}. "
            "Set CGCORE_DATA to a folder holding mnist/*-ubyte[.gz] and "
            "cifar10/cifar10-jpeg-q75.npz (this project keeps them in ../shared/data) and "
            "fashion-mnist/*-ubyte[.gz] (Debian: apt-get install dataset-fashion-mnist, which "
            "cgcore finds in /usr/share/datasets/fashion-mnist), or torchvision's MNIST/raw, "
            "FashionMNIST/raw and cifar-10-batches-py, or run on a machine with internet so "
            "torchvision can download them."
        )
    images, labels = arrays
    if distributed.is_main():   # under torchrun the other ranks read what they converted themselves
        tmp = cached.with_suffix(".tmp.npz")
        np.savez(tmp, images=images, labels=labels)
        os.replace(tmp, cached)
    return images, labels


# --------------------------------------------------------------------------- tensors

@dataclass
class TensorData:
    """Images as float tensors (N, C, H, W) in [0, 1] and int64 labels."""

    images: torch.Tensor
    labels: torch.Tensor
    name: str

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, n: int | None, seed: int = 0) -> "TensorData":
        """A class-stratified random subset of size n (None keeps everything)."""
        if n is None or n >= len(self):
            return self
        if n <= 0:
            raise ValueError(f"subset size must be positive or None, got {n}")
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(self), generator=g)
        # Round-robin over classes keeps the subset balanced.
        by_class = [order[self.labels[order] == c] for c in self.labels.unique()]
        picked = torch.stack([idx for group in zip(*by_class) for idx in group]) if by_class else order
        picked = picked[:n] if len(picked) >= n else order[:n]
        return TensorData(self.images[picked], self.labels[picked], self.name)

    def split(self, n_holdout: int, seed: int = 0) -> tuple["TensorData", "TensorData"]:
        """(rest, holdout): a class-stratified random holdout of ``n_holdout`` images (a
        validation split taken from the training set), and the images it leaves."""
        if not 0 < n_holdout < len(self):
            raise ValueError(f"a holdout of {n_holdout} images needs 0 < n < {len(self)} (the data's size)")
        g = torch.Generator().manual_seed(seed)
        order = torch.randperm(len(self), generator=g)
        by_class = [order[self.labels[order] == c] for c in self.labels.unique()]
        interleaved = torch.stack([idx for group in zip(*by_class) for idx in group])
        held = interleaved[:n_holdout] if len(interleaved) >= n_holdout else order[:n_holdout]
        mask = torch.ones(len(self), dtype=torch.bool)
        mask[held] = False
        return (TensorData(self.images[mask], self.labels[mask], self.name),
                TensorData(self.images[held], self.labels[held], f"{self.name} (validation)"))


def resize_mnist(images: torch.Tensor, size: int = 7, antialias: bool = False) -> torch.Tensor:
    """Sec. III: 28x28 -> size x size by bilinear interpolation.

    ``antialias=False`` is plain bilinear interpolation (Numerical Recipes, the paper's
    Ref. 86): each output pixel interpolates the 2x2 input pixels around its centre.
    ``antialias=True`` widens the filter to the whole 4x4 block it covers.
    """
    if images.shape[-2:] != (28, 28):
        raise ValueError(f"resize_mnist expects 28x28 images, got {tuple(images.shape[-2:])}")
    return F.interpolate(images, size=(size, size), mode="bilinear",
                         align_corners=False, antialias=antialias).clamp(0.0, 1.0)


def load_dataset(name: str, split: str, *, size: int = 7, antialias: bool = False,
                 download: bool = True) -> TensorData:
    """``mnist`` (1x28x28), ``mnist7`` (1x7x7, Sec. III), ``cifar10`` (3x32x32) or ``fashion``
    (Fashion-MNIST, 1x28x28), in [0, 1]."""
    check_choice("dataset", name, DATASETS)
    check_choice("split", split, SPLITS)
    raw = "mnist" if name == "mnist7" else name
    images, labels = load_arrays(raw, split, download=download)
    x = torch.from_numpy(images.copy()).float().div_(255.0)
    x = x.permute(0, 3, 1, 2) if raw == "cifar10" else x.unsqueeze(1)
    if name == "mnist7":
        x = resize_mnist(x, size=size, antialias=antialias)
    return TensorData(x.contiguous(), torch.from_numpy(labels.astype(np.int64)), name)


def random_affine(images: torch.Tensor, max_shift: float = 0.1, max_degrees: float = 10.0,
                  max_scale: float = 0.1, generator: torch.Generator | None = None) -> torch.Tensor:
    """A different small random shift, rotation and zoom for every image of a batch.

    ``max_shift`` is a fraction of the image size. Used as training augmentation; the
    test images are never transformed.
    """
    n = images.shape[0]
    u = torch.rand(n, 4, generator=generator, device="cpu").to(images.device) * 2 - 1
    angle = u[:, 0] * max_degrees * torch.pi / 180
    scale = 1 + u[:, 1] * max_scale
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos, -sin, u[:, 2] * 2 * max_shift], 1),
                         torch.stack([sin, cos, u[:, 3] * 2 * max_shift], 1)], 1)
    grid = F.affine_grid(theta, list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def random_crop_flip(images: torch.Tensor, padding: int = 4, flip: bool = True,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """CIFAR-10's standard augmentation, a different draw for every image of a batch:
    zero-pad by ``padding`` on each side, cut a random window of the original size, and
    mirror it left-right with probability 1/2 when ``flip`` is set.

    The images are expected in [0, 1] (before any normalisation), so the padding is black.
    """
    if isinstance(padding, bool) or not isinstance(padding, int) or padding < 0:
        raise ValueError(f"padding must be a non-negative int, got {padding!r}")
    n, _, height, width = images.shape
    out = images
    if padding:
        padded = F.pad(images, (padding, padding, padding, padding))
        offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(images.device)
        rows = offsets[:, :1] + torch.arange(height, device=images.device)   # (n, height)
        cols = offsets[:, 1:] + torch.arange(width, device=images.device)    # (n, width)
        batch = torch.arange(n, device=images.device)[:, None, None, None]
        channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
        out = padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
    if flip:
        mirror = (torch.rand(n, generator=generator) < 0.5).to(images.device)
        out = torch.where(mirror[:, None, None, None], out.flip(-1), out)
    return out


def affine_then_resize(images: torch.Tensor, size: int = 7, antialias: bool = False,
                       **affine) -> torch.Tensor:
    """Training augmentation for 7x7 MNIST: :func:`random_affine` on the 28x28 originals,
    then :func:`resize_mnist` exactly as the test images were resized."""
    return resize_mnist(random_affine(images, **affine), size=size, antialias=antialias)
