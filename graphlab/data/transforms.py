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

from graphlab.data.checks import MAX_ELEMENTS, generator, integer, numeric_array, probability, real
from graphlab.data.dataset import DataError, DataTypeError

#: the largest crop, cutout or padding in pixels (larger ones would only allocate huge arrays)
MAX_PIXELS = 10_000


def _as_batch(images, where: str = "transforms") -> tuple:
    images = numeric_array(images, "images", where)
    if images.ndim == 3:
        images, single = images[None], True
    elif images.ndim == 4:
        single = False
    else:
        raise DataError(f"{where}: expected images (N, C, H, W) or (C, H, W), got shape {images.shape}")
    if 0 in images.shape[1:]:
        raise DataError(f"{where}: images of shape {images.shape[1:]} hold no pixels")
    return images, single


def _rng(rng, where: str = "transforms") -> np.random.Generator:
    return generator(rng, where)


def _pixels(value, name: str, where: str, minimum: int) -> int:
    return integer(value, name, where, minimum=minimum, maximum=MAX_PIXELS)


class Transform:
    """Base class: ``apply(batch, rng)`` on (N, C, H, W); ``__call__`` also takes one image."""

    def __call__(self, images, rng: Optional[np.random.Generator] = None) -> np.ndarray:
        where = type(self).__name__
        batch, single = _as_batch(images, where)
        result = self.apply(batch, _rng(rng, where))
        return result[0] if single else result

    def apply(self, batch: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in vars(self).items())
        return f"{type(self).__name__}({settings})"


class Compose(Transform):
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence):
        if isinstance(transforms, (str, bytes)) or not hasattr(transforms, "__iter__"):
            raise DataTypeError(f"Compose: transforms must be a list of transforms, got {type(transforms).__name__}")
        self.transforms = list(transforms)
        for index, transform in enumerate(self.transforms):
            if not callable(transform):
                raise DataTypeError(f"Compose: transforms[{index}] is a {type(transform).__name__}, not a transform "
                                    f"(something called as transform(images, rng))")

    def apply(self, batch, rng):
        for transform in self.transforms:
            batch = transform(batch, rng)
        return batch


class Normalize(Transform):
    """(x - mean) / std per channel (E37: zero-centre, then unit variance). ``fit`` measures them."""

    def __init__(self, mean, std):
        self.mean = _per_channel(mean, "mean")
        self.std = _per_channel(std, "std")
        if np.any(self.std <= 0):
            raise DataError(f"Normalize: std {self.std.tolist()} must be > 0")

    @classmethod
    def fit(cls, images) -> "Normalize":
        """The per-channel mean and std of a dataset's images (N, C, H, W)."""
        batch, _ = _as_batch(images, "Normalize.fit")
        if len(batch) == 0:
            raise DataError("Normalize.fit: images holds no images; give (N, C, H, W) with N >= 1")
        batch = batch.astype(np.float64)
        if not np.isfinite(batch).all():
            raise DataError("Normalize.fit: images holds NaN or inf; the mean and std would be too")
        return cls(batch.mean(axis=(0, 2, 3)), batch.std(axis=(0, 2, 3)))

    def apply(self, batch, rng):
        channels = batch.shape[1]
        if self.mean.size not in (1, channels) or self.std.size not in (1, channels):
            raise DataError(f"Normalize: mean has {self.mean.size} values and std {self.std.size} for images with "
                            f"{channels} channels; give one per channel, or one for all")
        shape = (1, -1, 1, 1)
        with np.errstate(over="ignore", invalid="ignore"):      # inf pixels stay inf, as in PyTorch
            result = (batch - self.mean.reshape(shape)) / self.std.reshape(shape)
            return result.astype(batch.dtype if batch.dtype.kind == "f" else np.float32)


def _per_channel(value, name: str) -> np.ndarray:
    array = numeric_array(value, name, "Normalize", kinds="iuf").astype(np.float64)
    if array.ndim > 1 or array.size == 0:
        raise DataError(f"Normalize: {name} must be a number or one number per channel, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise DataError(f"Normalize: {name} {array.tolist()} must be finite")
    return np.atleast_1d(array)


class RandomCrop(Transform):
    """Pad by ``padding`` (zeros) and cut a random ``size`` x ``size`` window from each image."""

    def __init__(self, size, padding: int = 0):
        if isinstance(size, (tuple, list)) and len(size) == 2:
            self.size = tuple(_pixels(side, "size", "RandomCrop", minimum=1) for side in size)
        elif isinstance(size, (tuple, list)):
            raise DataError(f"RandomCrop: size must be one side or (height, width), got {len(size)} numbers")
        else:
            self.size = (_pixels(size, "size", "RandomCrop", minimum=1),) * 2
        self.padding = _pixels(padding, "padding", "RandomCrop", minimum=0)

    def apply(self, batch, rng):
        N, C, H, W = batch.shape
        height, width = self.size
        pad = self.padding
        if height > H + 2 * pad or width > W + 2 * pad:
            raise DataError(f"RandomCrop: size={height}x{width} does not fit {H}x{W} images padded by {pad}; use a "
                            f"smaller size or more padding")
        if batch.size // max(H * W, 1) * (H + 2 * pad) * (W + 2 * pad) > MAX_ELEMENTS:
            raise DataError(f"RandomCrop: padding={pad} makes the batch {N}x{C}x{H + 2 * pad}x{W + 2 * pad}, too large")
        padded = np.pad(batch, ((0, 0), (0, 0), (pad, pad), (pad, pad))) if pad else batch
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
        self.p = probability(p, "p", "RandomHorizontalFlip")

    def apply(self, batch, rng):
        flip = rng.random(len(batch)) < self.p
        result = batch.copy()
        result[flip] = batch[flip][..., ::-1]
        return result


class Cutout(Transform):
    """Zero a random ``size`` x ``size`` square in each image (DeVries & Taylor; E72); the square's
    centre is anywhere in the image, so part of it may fall outside."""

    def __init__(self, size: int, p: float = 1.0):
        self.size = _pixels(size, "size", "Cutout", minimum=1)
        self.p = probability(p, "p", "Cutout")

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
    """(N, num_classes) rows with a 1 at each label (class indices 0 .. num_classes - 1)."""
    num_classes = integer(num_classes, "num_classes", "one_hot", minimum=1, maximum=MAX_PIXELS * 100)
    labels = _class_indices(labels, num_classes, "one_hot")
    return np.eye(num_classes, dtype=dtype)[labels]


def _class_indices(labels, num_classes: int, where: str) -> np.ndarray:
    labels = numeric_array(labels, "labels", where)
    if labels.dtype.kind == "f" and not (np.isfinite(labels).all() and (labels == np.round(labels)).all()):
        raise DataError(f"{where}: labels must be whole class indices, got fractions, NaN or inf")
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise DataError(f"{where}: labels must be class indices in 0 .. {num_classes - 1} (num_classes="
                        f"{num_classes}), got {labels.min()} .. {labels.max()}")
    if labels.size * num_classes > MAX_ELEMENTS:
        raise DataError(f"{where}: {labels.size:,} labels x num_classes={num_classes:,} is too large")
    return labels.astype(np.int64)


def mixup(images, labels, num_classes: int, alpha: float = 0.2, rng: Optional[np.random.Generator] = None) -> tuple:
    """Blend each image with another of the batch and the labels alike (Zhang et al.; E72):
    x = λ·x_i + (1 - λ)·x_j, y = λ·y_i + (1 - λ)·y_j, λ ~ Beta(α, α) per sample.

    Returns (images, soft targets (N, num_classes)); ``F.cross_entropy`` takes the soft targets.
    """
    rng = _rng(rng, "mixup")
    num_classes = integer(num_classes, "num_classes", "mixup", minimum=1, maximum=MAX_PIXELS * 100)
    alpha = real(alpha, "alpha", "mixup", above=0.0)
    x = numeric_array(images, "images", "mixup")
    y = numeric_array(labels, "labels", "mixup")
    if x.ndim == 0 or y.ndim not in (1, 2) or len(x) != len(y) or (y.ndim == 2 and y.shape[1] != num_classes):
        raise DataError(f"mixup: images {x.shape} and labels {y.shape} do not fit: expected N images and N class "
                        f"indices (N,) or soft targets (N, num_classes={num_classes})")
    if y.ndim == 2 and not np.isfinite(y).all():
        raise DataError("mixup: labels (soft targets) hold NaN or inf")
    targets = y.astype(np.float32) if y.ndim == 2 else one_hot(y, num_classes)
    lam = rng.beta(alpha, alpha, size=len(x)).astype(x.dtype if x.dtype.kind == "f" else np.float32)
    partner = rng.permutation(len(x))
    shape = (-1,) + (1,) * (x.ndim - 1)
    with np.errstate(over="ignore", invalid="ignore"):          # inf pixels blend to inf or NaN, as in PyTorch
        mixed = lam.reshape(shape) * x + (1 - lam.reshape(shape)) * x[partner]
        mixed_targets = lam[:, None] * targets + (1 - lam[:, None]) * targets[partner]
        return mixed.astype(x.dtype), mixed_targets.astype(np.float32)
