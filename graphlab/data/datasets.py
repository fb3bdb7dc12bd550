"""Datasets that need no internet: scikit-learn's bundled digits, and three made by formula.

* ``digits(split)``: the 1,797 8x8 handwritten digits that ship inside scikit-learn, as
  (N, 1, 8, 8) float32 in [0, 1], with a fixed stratified split: 1,438 train, 359 test (20% of each class).
* ``spiral(...)``: CS231n's three interleaved spirals in 2-D (a linear classifier gets ~50%,
  a small MLP ~98%).
* ``moons(...)``: two interleaving half circles (scikit-learn's make_moons, in numpy).
* ``shapes(split)``: procedural 1x28x28 images of filled circles, squares and triangles with
  random size, position, rotation, brightness and noise; deterministic by seed.

>>> import graphlab as gl
>>> train, test = gl.data.digits("train"), gl.data.digits("test")
>>> len(train), len(test), train.inputs.shape[1:], train.inputs.dtype
(1438, 359, (1, 8, 8), dtype('float32'))
>>> gl.data.spiral().inputs.shape, gl.data.shapes("test", n=30).classes
((300, 2), ['circle', 'square', 'triangle'])
"""
from __future__ import annotations

import numpy as np

from graphlab.data.checks import MAX_ELEMENTS, integer, numeric_array, real
from graphlab.data.checks import seed as check_seed
from graphlab.data.dataset import DataError, TensorDataset

SPLITS = ("train", "test", "all")
#: more noise than this drowns any dataset (and far more would overflow to inf)
MAX_NOISE = 1000.0


def _check_split(split: str, where: str) -> str:
    if not isinstance(split, str) or split not in SPLITS:
        raise DataError(f"{where}: split must be one of {', '.join(map(repr, SPLITS))}, got {split!r}")
    return split


def stratified_split(targets: np.ndarray, test_fraction: float, seed: int) -> tuple:
    """(train indices, test indices): ``test_fraction`` of every class in the test part, both sorted."""
    targets = numeric_array(targets, "targets", "stratified_split", kinds="biu")
    if targets.ndim != 1:
        raise DataError(f"stratified_split: targets must be 1-D class labels, got shape {targets.shape}")
    test_fraction = real(test_fraction, "test_fraction", "stratified_split", minimum=0.0, maximum=1.0)
    rng = np.random.default_rng(check_seed(seed, "stratified_split"))
    test = []
    for label in np.unique(targets):
        members = np.flatnonzero(targets == label)
        test.extend(rng.permutation(members)[:int(round(test_fraction * len(members)))])
    test = np.sort(np.array(test, dtype=np.int64))
    train = np.setdiff1d(np.arange(len(targets)), test)
    return train, test


def digits(split: str = "train") -> TensorDataset:
    """scikit-learn's 8x8 digits (loaded from the installed package, no download), pixels / 16."""
    _check_split(split, "digits")
    try:
        from sklearn.datasets import load_digits
    except ImportError:
        raise DataError("digits: needs scikit-learn, whose package carries the data: "
                        "pip install 'graphlab[train]' (or: bash .ci/setup)") from None
    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]        # (1797, 1, 8, 8) in [0, 1]
    labels = bunch.target.astype(np.int64)
    classes = [str(digit) for digit in range(10)]
    if split == "all":
        return TensorDataset(images, labels, classes=classes, name="digits")
    train, test = stratified_split(labels, 0.2, seed=0)
    indices = train if split == "train" else test
    return TensorDataset(images[indices], labels[indices], classes=classes, name=f"digits[{split}]")


def spiral(points_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: int = 0) -> TensorDataset:
    """CS231n's spiral: class j has radius r ∈ [0, 1] and angle θ = 4j + 4r + noise·N(0, 1)."""
    points_per_class = integer(points_per_class, "points_per_class", "spiral", minimum=1, maximum=MAX_ELEMENTS // 2)
    classes = integer(classes, "classes", "spiral", minimum=1, maximum=MAX_ELEMENTS // 2)
    if points_per_class * classes * 2 > MAX_ELEMENTS:
        raise DataError(f"spiral: points_per_class * classes = {points_per_class * classes:,} points is too many "
                        f"(at most {MAX_ELEMENTS // 2:,})")
    noise = real(noise, "noise", "spiral", minimum=0.0, maximum=MAX_NOISE)
    rng = np.random.default_rng(check_seed(seed, "spiral"))
    inputs = np.zeros((points_per_class * classes, 2), dtype=np.float32)
    labels = np.repeat(np.arange(classes), points_per_class).astype(np.int64)
    for label in range(classes):
        radius = np.linspace(0.0, 1.0, points_per_class)
        angle = np.linspace(label * 4, (label + 1) * 4, points_per_class) + rng.standard_normal(points_per_class) * noise
        inputs[label * points_per_class:(label + 1) * points_per_class] = np.c_[radius * np.sin(angle),
                                                                               radius * np.cos(angle)]
    return TensorDataset(inputs, labels, classes=[f"arm {label}" for label in range(classes)], name="spiral")


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> TensorDataset:
    """Two interleaving half circles (upper: class 0, lower: class 1) with Gaussian noise."""
    n = integer(n, "n", "moons", minimum=2, maximum=MAX_ELEMENTS // 2)
    noise = real(noise, "noise", "moons", minimum=0.0, maximum=MAX_NOISE)
    rng = np.random.default_rng(check_seed(seed, "moons"))
    outer, inner = n - n // 2, n // 2
    outer_angle, inner_angle = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    inputs = np.concatenate([np.c_[np.cos(outer_angle), np.sin(outer_angle)],
                             np.c_[1 - np.cos(inner_angle), 0.5 - np.sin(inner_angle)]])
    inputs = inputs + rng.standard_normal(inputs.shape) * noise
    labels = np.r_[np.zeros(outer), np.ones(inner)].astype(np.int64)
    return TensorDataset(inputs.astype(np.float32), labels, classes=["upper", "lower"], name="moons")


SHAPE_CLASSES = ["circle", "square", "triangle"]


def _draw_shape(kind: int, size: int, rng: np.random.Generator) -> np.ndarray:
    """One filled shape on a size x size canvas: random centre, radius, rotation and brightness."""
    radius = rng.uniform(0.18, 0.36) * size
    margin = radius * 1.05
    cy, cx = rng.uniform(margin, size - 1 - margin, size=2)
    y, x = np.mgrid[0:size, 0:size].astype(np.float64) + 0.5
    dy, dx = y - cy, x - cx
    if kind == 0:                                                      # circle
        inside = dy * dy + dx * dx <= radius * radius
    else:
        sides = 4 if kind == 1 else 3
        rotation = rng.uniform(0, 2 * np.pi / sides)
        inside = np.ones((size, size), dtype=bool)
        # a regular polygon is the intersection of half-planes, one per side
        apothem = radius * np.cos(np.pi / sides)
        for side in range(sides):
            angle = rotation + 2 * np.pi * (side + 0.5) / sides
            inside &= dx * np.cos(angle) + dy * np.sin(angle) <= apothem
    return inside * rng.uniform(0.6, 1.0)


def shapes(split: str = "train", n: int = 3000, size: int = 28, noise: float = 0.15, seed: int = 0) -> TensorDataset:
    """``n`` images (1 x size x size, float32) of circles, squares and triangles, classes balanced.

    The train and test splits come from different generators (``seed`` and ``seed + 1``), so
    they never share an image; the same arguments always give the same images.
    """
    _check_split(split, "shapes")
    n = integer(n, "n", "shapes", minimum=1)
    size = integer(size, "size", "shapes", minimum=8, maximum=1024)
    if n * size * size > MAX_ELEMENTS:
        raise DataError(f"shapes: n={n:,} images of {size}x{size} pixels is too many (at most {MAX_ELEMENTS:,} pixels "
                        f"in all)")
    noise = real(noise, "noise", "shapes", minimum=0.0, maximum=MAX_NOISE)
    seed = check_seed(seed, "shapes")
    if split == "all":
        raise DataError("shapes: split='all' has no meaning for generated data; ask for 'train' and 'test'")
    rng = np.random.default_rng([seed, 0 if split == "train" else 1])
    labels = np.arange(n, dtype=np.int64) % len(SHAPE_CLASSES)
    rng.shuffle(labels)
    images = np.stack([_draw_shape(int(label), size, rng) for label in labels])
    images = images + rng.standard_normal(images.shape) * noise
    images = np.clip(images, 0.0, 1.0).astype(np.float32)[:, None]
    return TensorDataset(images, labels, classes=list(SHAPE_CLASSES), name=f"shapes[{split}]")
