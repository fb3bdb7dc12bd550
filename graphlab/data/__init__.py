"""``gl.data``: datasets, a DataLoader and transforms.

>>> import graphlab as gl
>>> loader = gl.data.DataLoader(gl.data.digits("train"), batch_size=64, shuffle=True, seed=0)
>>> images, labels = next(iter(loader))
>>> images.shape, labels.shape, len(loader)
((64, 1, 8, 8), (64,), 23)
"""
from graphlab.data import transforms
from graphlab.data.dataset import DataError, Dataset, Subset, TensorDataset
from graphlab.data.datasets import SHAPE_CLASSES, digits, moons, shapes, spiral, stratified_split
from graphlab.data.files import cifar10, fashion_mnist, mnist, read_idx
from graphlab.data.loader import DataLoader
from graphlab.data.transforms import mixup, one_hot

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "DataError", "digits", "spiral", "moons", "shapes",
           "mnist", "fashion_mnist", "cifar10", "read_idx", "transforms", "mixup", "one_hot", "stratified_split",
           "SHAPE_CLASSES"]
