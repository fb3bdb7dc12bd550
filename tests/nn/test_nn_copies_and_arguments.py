"""Issue 13: copies of tensors and modules are new graph nodes; containers take only Modules;
every layer constructor names a bad argument."""
import copy

import numpy as np
import pytest

import graphlab as gl
import graphlab.functional as F
from graphlab import nn


# -- copies are new nodes -----------------------------------------------------------------------
def test_deepcopy_of_a_leaf_is_a_new_leaf_with_its_own_gradient():
    a = gl.tensor(3.0, requires_grad=True, name="a")
    a.grad = np.array(7.0, dtype=np.float32)
    b = copy.deepcopy(a)
    assert b is not a and b.id != a.id and b.requires_grad and b.name == "a" and b.creator is None
    assert b.grad == 7.0 and b.grad is not a.grad and b.data is not a.data
    b.data[...] = 2.0
    a.grad = b.grad = None
    (a * b).backward()
    assert a.grad == 2.0 and b.grad == 3.0                   # d(ab)/da = b, d(ab)/db = a


def test_shallow_copy_is_a_new_node_sharing_the_data():
    a = gl.tensor([1.0, 2.0], requires_grad=True)
    c = copy.copy(a)
    assert c.id != a.id and c.data is a.data and c.requires_grad
    (a * c).sum().backward()
    np.testing.assert_array_equal(a.grad, [1.0, 2.0])
    np.testing.assert_array_equal(c.grad, [1.0, 2.0])


def test_copying_an_op_output_that_needs_grad_is_refused_with_the_fix():
    a = gl.tensor(2.0, requires_grad=True)
    for how in (copy.copy, copy.deepcopy):
        with pytest.raises(gl.GraphlabError, match=r"only leaves .* can be copied.*detach\(\)"):
            how(a * 3)
    assert copy.deepcopy((a * 3).detach()).item() == 6.0


def test_deepcopy_of_a_module_trains_separately():
    gl.manual_seed(0)
    m1 = nn.Linear(2, 1)
    m2 = copy.deepcopy(m1)
    assert isinstance(m2.weight, nn.Parameter) and m2.weight.id != m1.weight.id
    np.testing.assert_array_equal(m1.weight.data, m2.weight.data)
    x = gl.ones(3, 2)
    (m1(x) + 10 * m2(x)).sum().backward()
    np.testing.assert_allclose(m1.weight.grad, [[3.0, 3.0]])
    np.testing.assert_allclose(m2.weight.grad, [[30.0, 30.0]])


def test_deepcopy_keeps_shared_parameters_shared_and_copy_copy_shares_weights():
    shared = nn.Linear(2, 2)
    net = nn.Sequential(shared, nn.ReLU(), shared)
    twin = copy.deepcopy(net)
    assert twin[0] is twin[2] and twin[0].weight is not shared.weight
    shallow = copy.copy(shared)
    assert shallow.weight is shared.weight
    shallow.weight = nn.Parameter(gl.zeros(2, 2))             # its own registry: the original keeps its weight
    assert shared.weight is not shallow.weight


# -- containers ------------------------------------------------------------------------------------
@pytest.mark.parametrize("item, named", [(F.relu, "the function relu"), (lambda x: x, "the function <lambda>"),
                                         ("relu", "str 'relu'"), (3, "int 3")])
def test_sequential_rejects_what_is_not_a_module(item, named):
    with pytest.raises(TypeError, match=rf"Sequential: item 1 \({named}\) is not a gl.nn.Module"):
        nn.Sequential(nn.Linear(2, 4), item, nn.Linear(4, 1))
    with pytest.raises(TypeError, match="is not a gl.nn.Module"):
        nn.ModuleList([nn.ReLU(), item])
    with pytest.raises(TypeError, match="is not a gl.nn.Module"):
        nn.Sequential(nn.ReLU()).append(item)


def test_lambda_wraps_a_function_explicitly():
    net = nn.Sequential(nn.Linear(2, 4), nn.Lambda(F.relu), nn.Linear(4, 1))
    assert len(net) == 3 and "Lambda(relu)" in repr(net)
    x = gl.randn(5, 2)
    expected = F.linear(F.relu(F.linear(x, net[0].weight, net[0].bias)), net[2].weight, net[2].bias)
    np.testing.assert_allclose(net(x).data, expected.data)
    with pytest.raises(TypeError, match="Lambda: function must be a plain function"):
        nn.Lambda("relu")


# -- constructors --------------------------------------------------------------------------------
@pytest.mark.parametrize("make, argument", [
    (lambda: nn.Linear(0, 3), "in_features=0"),
    (lambda: nn.Linear(-1, 3), "in_features=-1"),
    (lambda: nn.Linear(2, 3.0), "out_features must be an int"),
    (lambda: nn.Linear(True, 3), "in_features must be an int, got bool"),
    (lambda: nn.Linear(2, 3, bias="no"), "bias must be True or False"),
    (lambda: nn.Linear(2, 3, dtype="int32"), "dtype must be a float dtype"),
    (lambda: nn.Linear(10 ** 6, 10 ** 6), "more than graphlab allocates"),
    (lambda: nn.Conv2d(1.5, 2, 3), "in_channels must be an int"),
    (lambda: nn.Conv2d(1, 2, 0), "kernel_size"),
    (lambda: nn.Conv2d(1, 2, 3, stride=0), "stride"),
    (lambda: nn.Conv2d(1, 2, 3, padding=-1), "padding"),
    (lambda: nn.Conv2d(2, 2, 3, groups=0), "groups=0"),
    (lambda: nn.Maxout(4, 3, pieces=0), "pieces=0"),
    (lambda: F.maxout(gl.ones(2, 4), pieces=0), "maxout: pieces=0"),
    (lambda: nn.Dropout(1.5), "p=1.5 must be a probability"),
    (lambda: nn.Dropout("a"), "p must be a number"),
    (lambda: nn.Dropout(float("nan")), "p=nan must be a finite number"),
    (lambda: nn.BatchNorm2d(0), "num_features=0"),
    (lambda: nn.BatchNorm1d(4, eps=0), "eps=0"),
    (lambda: nn.BatchNorm1d(4, momentum=2), "momentum=2"),
    (lambda: nn.LayerNorm(()), "normalized_shape must not be empty"),
    (lambda: nn.LayerNorm((3, 0)), "normalized_shape=0"),
    (lambda: nn.PReLU(0), "num_parameters=0"),
    (lambda: nn.LeakyReLU("a"), "negative_slope must be a number"),
    (lambda: nn.GELU("fast"), "approximate must be one of"),
    (lambda: nn.Flatten(1.5), "start_dim must be an int"),
    (lambda: nn.MaxPool2d(0), "kernel_size"),
    (lambda: nn.ResidualBlock(0, 4), "in_channels=0"),
    (lambda: nn.DenseBlock(2, 4, 0), "growth_rate=0"),
    (lambda: nn.Transition(4, 0.1), "leaves no channel"),
    (lambda: nn.models.DenseNet(depth=40.0), "depth must be an int"),
    (lambda: nn.models.ResNet(num_classes=0), "num_classes=0"),
    (lambda: nn.models.SmallCNN(image_size=2), "image_size=2"),
])
def test_layer_constructors_name_the_bad_argument(make, argument):
    with pytest.raises(gl.GraphlabError, match=argument.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_flatten_of_a_scalar_shape_is_a_shape_error():
    with pytest.raises(gl.ShapeError, match="Flatten: start_dim=1"):
        nn.Flatten().infer_shape(())
