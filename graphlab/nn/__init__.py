"""``gl.nn``: modules, layers, the ResNet/DenseNet blocks, model builders, init, summary.

>>> import graphlab as gl
>>> model = gl.nn.Sequential(gl.nn.Conv2d(1, 8, 3, padding=1), gl.nn.BatchNorm2d(8), gl.nn.ReLU(),
...                          gl.nn.MaxPool2d(2), gl.nn.Flatten(), gl.nn.Linear(8 * 14 * 14, 10))
>>> logits = model(gl.randn(4, 1, 28, 28))
>>> logits.shape, logits.scope                     # the last node was made inside layer "5"
((4, 10), ('Sequential', '5:Linear'))
"""
from graphlab.nn import init, models
from graphlab.nn.blocks import DenseBlock, DenseLayer, ResidualBlock, Transition
from graphlab.nn.layers import (
    ELU, GELU, SELU, AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout, Dropout2d,
    Flatten, GlobalAvgPool2d, Identity, LayerNorm, LeakyReLU, Linear, MaxPool2d, Maxout, PReLU, ReLU, Sigmoid,
    Softmax, Tanh,
)
from graphlab.nn.containers import Lambda, ModuleList, Sequential
from graphlab.nn.module import Module, Parameter, shape_only
from graphlab.nn.summary import Summary, summary

__all__ = [
    "Module", "ModuleList", "Lambda", "Parameter", "Sequential", "shape_only", "init", "models", "summary", "Summary",
    "Linear", "Conv2d", "MaxPool2d", "AvgPool2d", "GlobalAvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d",
    "BatchNorm2d", "LayerNorm", "Dropout", "Dropout2d", "Identity", "ReLU", "LeakyReLU", "PReLU", "ELU", "SELU",
    "GELU", "Sigmoid", "Tanh", "Softmax", "Maxout", "Flatten", "ResidualBlock", "DenseLayer", "DenseBlock",
    "Transition",
]
