"""Fashion-MNIST from local IDX files (gzipped or plain); nothing is downloaded.

IDX format (big-endian): bytes 0-1 are zero, byte 2 is the element type (0x08 uint8, 0x09 int8,
0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64), byte 3 the number of dimensions d; then d
uint32 sizes; then prod(sizes) elements in C order. Fashion-MNIST ships
``{train,t10k}-images-idx3-ubyte[.gz]`` (N, 28, 28) uint8 and ``...-labels-idx1-ubyte[.gz]``
(N,) uint8 with classes 0..9.
"""

from __future__ import annotations

import gzip
import math
import zlib
from pathlib import Path

import numpy as np
from numpy.typing import DTypeLike, NDArray

IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
NUM_CLASSES = 10
KINDS = ("train", "t10k")
# Where torchvision's FashionMNIST(root=data_dir) keeps the raw files.
SUBDIRS = (Path("."), Path("FashionMNIST") / "raw")


def _read_bytes(path: Path) -> bytes:
    """The file's bytes, decompressed when it starts with the gzip magic."""
    if not path.is_file():
        raise ValueError(f"path: expected an existing IDX file, got {path} (not found)")
    raw = path.read_bytes()
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise ValueError(f"{path}: expected a complete gzip stream, got {err}") from None


def read_idx(path: str | Path) -> NDArray:
    """Parse one IDX file (plain or gzipped) into an array of its shape, native byte order.

    Raises ValueError naming ``path`` for a bad magic number, an unknown type code, or a file
    whose size differs from what the header promises (truncated or with trailing bytes).
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\x00\x00":
        raise ValueError(f"{path}: expected an IDX magic number 00 00 tt dd, got {data[:4].hex()}")
    code, ndim = data[2], data[3]
    if code not in IDX_DTYPES:
        known = sorted(hex(c) for c in IDX_DTYPES)
        raise ValueError(f"{path}: expected an IDX type code in {known}, got {hex(code)}")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{path}: expected a {header}-byte header, got {len(data)} bytes")
    shape = tuple(int(s) for s in np.frombuffer(data, ">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = header + math.prod(shape) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(
            f"{path}: expected {expected} bytes for shape {shape} of {dtype.name}, "
            f"got {len(data)}"
        )
    flat = np.frombuffer(data, dtype, offset=header)
    return flat.reshape(shape).astype(dtype.newbyteorder("="))


def _find(data_dir: Path, stem: str) -> Path:
    """The first of ``stem`` / ``stem.gz`` found in data_dir or data_dir/FashionMNIST/raw."""
    candidates = [data_dir / sub / name for sub in SUBDIRS for name in (stem, stem + ".gz")]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise ValueError(f"data_dir: expected {stem}[.gz] in {data_dir}, got no such file")


def _check_data_dir(data_dir: str | Path) -> Path:
    """An existing, non-empty directory."""
    path = Path(data_dir)
    if not path.is_dir():
        raise ValueError(f"data_dir: expected an existing directory, got {path}")
    if not any(path.iterdir()):
        raise ValueError(f"data_dir: expected IDX files, got an empty directory {path}")
    return path


def load_fashion_mnist(
    data_dir: str | Path,
    kind: str = "train",
    *,
    flatten: bool = True,
    dtype: DTypeLike = np.float64,
) -> tuple[NDArray[np.floating], NDArray[np.int64]]:
    """Images and labels of one Fashion-MNIST part (``kind`` "train" or "t10k").

    Returns X = pixel / 255 in ``dtype`` (values in [0, 1]) of shape (N, H*W) = (N, 784), or
    (N, H, W) = (N, 28, 28) with ``flatten=False``; and y int64 (N,) in 0..9. Files are looked
    up in ``data_dir`` and ``data_dir/FashionMNIST/raw``, plain before ``.gz``.
    """
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype: expected float32 or float64, got {dt}")
    root = _check_data_dir(data_dir)
    images_path = _find(root, f"{kind}-images-idx3-ubyte")
    labels_path = _find(root, f"{kind}-labels-idx1-ubyte")
    images, labels = read_idx(images_path), read_idx(labels_path)
    _check_pair(images_path, images, labels_path, labels)
    X = images.astype(dt) / dt.type(255)
    return (X.reshape(len(X), -1) if flatten else X), labels.astype(np.int64)


def _check_pair(images_path: Path, images: NDArray, labels_path: Path, labels: NDArray) -> None:
    """uint8 images (N, H, W) and uint8 labels (N,) in 0..9 with the same N."""
    if images.dtype != np.uint8 or images.ndim != 3:
        raise ValueError(
            f"{images_path}: expected uint8 images (N, H, W), got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise ValueError(
            f"{labels_path}: expected uint8 labels (N,), got {labels.dtype} {labels.shape}"
        )
    if len(images) != len(labels):
        raise ValueError(
            f"{labels_path}: expected {len(images)} labels to match {images_path.name}, "
            f"got {len(labels)}"
        )
    if labels.size and labels.max() >= NUM_CLASSES:
        raise ValueError(
            f"{labels_path}: expected labels in 0..{NUM_CLASSES - 1}, got max {labels.max()}"
        )
