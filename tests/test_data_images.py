"""Image data: the bundled 8x8 digits split, and the IDX reader / Fashion-MNIST loader.

IDX files are written here with ``struct`` (independently of the reader), plain and gzipped.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import load_digits

from comparisons.data.digits import load_digits_split
from comparisons.data.fashion_mnist import load_fashion_mnist, read_idx

TYPE_CODES = {"uint8": 0x08, "int8": 0x09, "int16": 0x0B, "int32": 0x0C,
              "float32": 0x0D, "float64": 0x0E}


def idx_bytes(a: np.ndarray, code: int | None = None) -> bytes:
    """Serialise ``a`` as IDX: 00 00 code ndim, big-endian uint32 dims, big-endian data."""
    code = TYPE_CODES[a.dtype.name] if code is None else code
    header = struct.pack(f">2xBB{a.ndim}I", code, a.ndim, *a.shape)
    return header + a.astype(a.dtype.newbyteorder(">")).tobytes()


def write(path: Path, payload: bytes, gz: bool) -> Path:
    path = path.with_name(path.name + ".gz") if gz else path
    path.write_bytes(gzip.compress(payload) if gz else payload)
    return path


# --- digits -----------------------------------------------------------------------------------


def test_digits_shapes_range_and_labels() -> None:
    d = load_digits_split(np.random.default_rng(0))
    assert d.X_train.shape == (1347, 64) and d.X_test.shape == (450, 64)  # ceil(0.25 * 1797)
    assert d.y_train.shape == (1347,) and d.y_test.shape == (450,)
    X = np.concatenate([d.X_train, d.X_test])
    assert X.dtype == np.float64 and X.min() == 0.0 and X.max() == 1.0
    for y in (d.y_train, d.y_test):
        assert y.dtype == np.int64 and set(y.tolist()) == set(range(10))


def test_digits_split_is_a_stratified_partition_of_the_data() -> None:
    d = load_digits_split(np.random.default_rng(1), test_fraction=0.3)
    full = load_digits()
    ours = np.concatenate([d.X_train, d.X_test]) * 16
    rows = lambda a: sorted(map(tuple, a.tolist()))  # noqa: E731
    assert rows(ours) == rows(full.data)
    overall = np.bincount(full.target, minlength=10) / len(full.target)
    expected = overall * len(d.y_test)
    assert np.all(np.abs(np.bincount(d.y_test, minlength=10) - expected) <= 1)


def test_digits_reproducible_and_seed_dependent() -> None:
    a, b = (load_digits_split(np.random.default_rng(7)) for _ in range(2))
    np.testing.assert_array_equal(a.X_train, b.X_train)
    np.testing.assert_array_equal(a.y_test, b.y_test)
    c = load_digits_split(np.random.default_rng(8))
    assert not np.array_equal(a.y_train, c.y_train)


def test_digits_float32() -> None:
    d = load_digits_split(np.random.default_rng(0), dtype=np.float32)
    assert d.X_train.dtype == d.X_test.dtype == np.float32


@pytest.mark.parametrize(
    "kwargs,arg",
    [({"test_fraction": 0.0}, "test_fraction"), ({"test_fraction": 1.0}, "test_fraction"),
     ({"test_fraction": 0.001}, "test_fraction"), ({"test_fraction": "0.2"}, "test_fraction"),
     ({"dtype": np.int32}, "dtype")],
)
def test_digits_bad_input(kwargs: dict, arg: str) -> None:
    with pytest.raises(ValueError, match=f"^{arg}: expected"):
        load_digits_split(np.random.default_rng(0), **kwargs)


def test_digits_needs_a_generator() -> None:
    with pytest.raises(ValueError, match="^rng: expected"):
        load_digits_split(42)  # type: ignore[arg-type]


# --- read_idx ---------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("dtype", list(TYPE_CODES))
def test_read_idx_round_trip(tmp_path: Path, dtype: str, gz: bool) -> None:
    rng = np.random.default_rng(3)
    info = np.iinfo(dtype) if dtype.startswith(("u", "i")) else np.finfo(dtype)
    a = rng.uniform(info.min / 2, info.max / 2, size=(4, 3, 3)).astype(dtype)
    out = read_idx(write(tmp_path / "a-idx3", idx_bytes(a), gz))
    assert out.shape == a.shape and out.dtype == np.dtype(dtype)  # native byte order
    np.testing.assert_array_equal(out, a)


def test_read_idx_one_dimensional(tmp_path: Path) -> None:
    labels = np.array([0, 9, 3, 255], np.uint8)
    np.testing.assert_array_equal(read_idx(write(tmp_path / "l", idx_bytes(labels), False)), labels)


@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_rejects_wrong_magic(tmp_path: Path, gz: bool) -> None:
    payload = b"\x01" + idx_bytes(np.zeros((2, 2), np.uint8))[1:]
    path = write(tmp_path / "bad", payload, gz)
    with pytest.raises(ValueError, match=f"^{path}: expected an IDX magic number.*got 0100"):
        read_idx(path)


def test_read_idx_rejects_unknown_type_code(tmp_path: Path) -> None:
    path = write(tmp_path / "bad", idx_bytes(np.zeros(3, np.uint8), code=0x0A), False)
    with pytest.raises(ValueError, match=f"^{path}: expected an IDX type code.*got 0xa"):
        read_idx(path)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("cut", [1, 9, 40])
def test_read_idx_rejects_truncated_file(tmp_path: Path, gz: bool, cut: int) -> None:
    full = idx_bytes(np.arange(27, dtype=np.int16).reshape(3, 3, 3))  # 16-byte header + 54
    path = write(tmp_path / "short", full[: len(full) - cut], gz)
    with pytest.raises(ValueError, match=f"^{path}: expected 70 bytes .*got {len(full) - cut}"):
        read_idx(path)


def test_read_idx_rejects_truncated_header_and_trailing_bytes(tmp_path: Path) -> None:
    full = idx_bytes(np.zeros((2, 2, 2), np.uint8))
    path = write(tmp_path / "hdr", full[:10], False)
    with pytest.raises(ValueError, match=f"^{path}: expected a 16-byte header, got 10 bytes"):
        read_idx(path)
    path = write(tmp_path / "long", full + b"\x00", False)
    with pytest.raises(ValueError, match=f"^{path}: expected 24 bytes .*got 25"):
        read_idx(path)


def test_read_idx_rejects_truncated_gzip_stream_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros((5, 3, 3), np.uint8)))[:-12])
    with pytest.raises(ValueError, match=f"^{path}: expected a complete gzip stream"):
        read_idx(path)
    with pytest.raises(ValueError, match="^path: expected an existing IDX file.*nothing"):
        read_idx(tmp_path / "nothing")


# --- load_fashion_mnist -----------------------------------------------------------------------


def _write_part(root: Path, kind: str, n: int, gz: bool, seed: int) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n, dtype=np.uint8)
    write(root / f"{kind}-images-idx3-ubyte", idx_bytes(images), gz)
    write(root / f"{kind}-labels-idx1-ubyte", idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("kind,gz", [("train", True), ("t10k", False)])
def test_load_fashion_mnist_round_trip(tmp_path: Path, kind: str, gz: bool) -> None:
    images, labels = _write_part(tmp_path, kind, 5, gz, seed=4)
    X, y = load_fashion_mnist(tmp_path, kind)
    assert X.shape == (5, 784) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(X * 255, images.reshape(5, 784))
    np.testing.assert_array_equal(y, labels)
    X3, _ = load_fashion_mnist(str(tmp_path), kind, flatten=False, dtype=np.float32)
    assert X3.shape == (5, 28, 28) and X3.dtype == np.float32
    assert X3.min() >= 0 and X3.max() <= 1
    np.testing.assert_array_equal(np.rint(X3 * 255), images)


def test_load_fashion_mnist_finds_torchvision_layout(tmp_path: Path) -> None:
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = _write_part(raw, "t10k", 3, True, seed=5)
    np.testing.assert_array_equal(load_fashion_mnist(tmp_path, "t10k")[1], labels)


def test_load_fashion_mnist_directory_errors(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="^data_dir: expected an existing directory"):
        load_fashion_mnist(tmp_path / "absent")
    with pytest.raises(ValueError, match="^data_dir: expected IDX files, got an empty"):
        load_fashion_mnist(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((2, 28, 28), np.uint8)), True)
    with pytest.raises(ValueError, match="^data_dir: expected train-labels-idx1-ubyte"):
        load_fashion_mnist(tmp_path)
    with pytest.raises(ValueError, match="^kind: expected"):
        load_fashion_mnist(tmp_path, "test")


def test_load_fashion_mnist_count_mismatch(tmp_path: Path) -> None:
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((4, 28, 28), np.uint8)), False)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.zeros(3, np.uint8)), False)
    with pytest.raises(ValueError, match="labels-idx1-ubyte: expected 4 labels .*got 3$"):
        load_fashion_mnist(tmp_path)


def test_load_fashion_mnist_rejects_wrong_contents(tmp_path: Path) -> None:
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((2, 28, 28), np.uint8)), False)
    write(tmp_path / "train-labels-idx1-ubyte", idx_bytes(np.array([1, 10], np.uint8)), False)
    with pytest.raises(ValueError, match="labels-idx1-ubyte: expected labels in 0..9, got max 10"):
        load_fashion_mnist(tmp_path)
    write(tmp_path / "train-images-idx3-ubyte", idx_bytes(np.zeros((2, 784), np.uint8)), False)
    with pytest.raises(ValueError, match=r"images-idx3-ubyte: expected uint8 images \(N, H, W\)"):
        load_fashion_mnist(tmp_path)
