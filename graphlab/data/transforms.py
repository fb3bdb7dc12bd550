"""Batch transforms for augmentation and preprocessing (E37, E71, E72).

A transform is called as ``transform(images, rng)`` on a batch (N, C, H, W) (or one image
(C, H, W)) and returns a new array; random ones draw from ``rng`` (the DataLoader passes its
own generator, so augmentation is reproducible). Each sample gets its own random draw, done
with vectorized numpy, not a Python loop per pixel.

>>> import numpy as np, graphlab as gl
>>> from graphlab.data import transforms as T
>>> images = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
>>> augment = T.Compose([T.RandomCrop(4, padding=1), T.RandomHorizontalFlip(), T.Normalize(15.5, 9.0)])
>>> augment(images, np.random.default_rng(0)).shape
(2, 1, 4, 4)
>>> T.Cutout(2)(np.ones((1, 1, 4, 4)), np.random.default_rng(1)).sum()     # one 2x2 hole
np.float64(12.0)
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from graphlab.data.dataset import DataError


def _as_batch(images) -> tuple:
    images = np.asarray(getattr(images, "data", images))
    if images.ndim == 3:
        return images[None], True
    if images.ndim != 4:
        raise DataError(f"transforms: expected images (N, C, H, W) or (C, H, W), got shape {images.shape}")
    return images, False


def _rng(rng) -> np.random.Generator:
    return rng if rng is not None else np.random.default_rng()


class Transform:
    """Base class: ``apply(batch, rng)`` on (N, C, H, W); ``__call__`` also takes one image."""

    def __call__(self, images, rng: Optional[np.random.Generator] = None) -> np.ndarray:
        batch, single = _as_batch(images)
        result = self.apply(batch, _rng(rng))
        return result[0] if single else result

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


class Compose(Transform):
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence):
        self.transforms = list(transforms)

    def apply(self, batch, rng):
        for transform in self.transforms:
            batch = transform(batch, rng)
        return batch


class Normalize(Transform):
    """(x - mean) / std per channel (E37: zero-centre, then unit variance). ``fit`` measures them."""

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if np.any(self.std <= 0):
            raise DataError(f"Normalize: std {self.std.tolist()} must be > 0")

    @classmethod
    def fit(cls, images) -> "Normalize":
        """The per-channel mean and std of a dataset's images (N, C, H, W)."""
        batch, _ = _as_batch(images)
        return cls(batch.mean(axis=(0, 2, 3)), batch.std(axis=(0, 2, 3)))

    def apply(self, batch, rng):
        channels = batch.shape[1]
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise DataError(f"Normalize: {self.mean.size} means for images with {channels} channels")
        shape = (1, -1, 1, 1)
        result = (batch - self.mean.reshape(shape)) / self.std.reshape(shape)
        return result.astype(batch.dtype if batch.dtype.kind == "f" else np.float32)


class RandomCrop(Transform):
    """Pad by ``padding`` (zeros) and cut a random ``size`` x ``size`` window from each image."""

    def __init__(self, size, padding: int = 0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = int(padding)

    def apply(self, batch, rng):
        N, C, H, W = batch.shape
        height, width = self.size
        pad = self.padding
        padded = np.pad(batch, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else batch
        if height > H + 2 * pad or width > W + 2 * pad:
            raise DataError(f"RandomCrop: a {height}x{width} crop does not fit {H}x{W} images padded by {pad}")
        top = rng.integers(0, H + 2 * pad - height + 1, size=N)
        left = rng.integers(0, W + 2 * pad - width + 1, size=N)
        rows = top[:, None] + np.arange(height)                        # (N, height)
        cols = left[:, None] + np.arange(width)                        # (N, width)
        samples = np.arange(N)[:, None, None, None]
        channels = np.arange(C)[None, :, None, None]
        return padded[samples, channels, rows[:, None, :, None], cols[:, None, None, :]]


class RandomHorizontalFlip(Transform):
    """Mirror each image left-right with probability ``p``."""

    def __init__(self, p: float = 0.5):
        self.p = p

    def apply(self, batch, rng):
        flip = rng.random(len(batch)) < self.p
        result = batch.copy()
        result[flip] = batch[flip][..., ::-1]
        return result


class Cutout(Transform):
    """Zero a random ``size`` x ``size`` square in each image (DeVries & Taylor; E72); the square's
    centre is anywhere in the image, so part of it may fall outside."""

    def __init__(self, size: int, p: float = 1.0):
        self.size, self.p = int(size), p

    def apply(self, batch, rng):
        N, _, H, W = batch.shape
        cy, cx = rng.integers(0, H, size=N), rng.integers(0, W, size=N)
        top, left = cy - self.size // 2, cx - self.size // 2
        rows, cols = np.arange(H), np.arange(W)
        inside_rows = (rows >= top[:, None]) & (rows < top[:, None] + self.size)      # (N, H)
        inside_cols = (cols >= left[:, None]) & (cols < left[:, None] + self.size)    # (N, W)
        hole = inside_rows[:, :, None] & inside_cols[:, None, :]
        hole &= (rng.random(N) < self.p)[:, None, None]
        return np.where(hole[:, None], 0, batch).astype(batch.dtype)


def one_hot(labels, num_classes: int, dtype=np.float32) -> np.ndarray:
    labels = np.asarray(getattr(labels, "data", labels)).astype(np.int64)
    return np.eye(num_classes, dtype=dtype)[labels]


def mixup(images, labels, num_classes: int, alpha: float = 0.2, rng: Optional[np.random.Generator] = None) -> tuple:
    """Blend each image with another of the batch and the labels alike (Zhang et al.; E72):
    x = λ·x_i + (1 - λ)·x_j, y = λ·y_i + (1 - λ)·y_j, λ ~ Beta(α, α) per sample.

    Returns (images, soft targets (N, num_classes)); ``F.cross_entropy`` takes the soft targets.
    """
    rng = _rng(rng)
    x = np.asarray(getattr(images, "data", images))
    y = np.asarray(getattr(labels, "data", labels))
    targets = y.astype(np.float32) if y.ndim == 2 else one_hot(y, num_classes)
    lam = rng.beta(alpha, alpha, size=len(x)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
    partner = rng.permutation(len(x))
    shape = (-1,) + (1,) * (x.ndim - 1)
    mixed = lam.reshape(shape) * x + (1 - lam.reshape(shape)) * x[partner]
    mixed_targets = lam[:, None] * targets + (1 - lam[:, None]) * targets[partner]
    return mixed.astype(x.dtype), mixed_targets.astype(np.float32)
