"""ad.tree_map, ad.tree_flatten / ad.tree_unflatten and ad.ravel on nested parameters."""
import collections

import numpy as np
import pytest

import ad_compiler as ad

Layer = collections.namedtuple("Layer", "w b")


def params():
    return {"hidden": Layer(np.arange(6.0).reshape(2, 3), np.zeros(3, dtype=np.float32)),
            "scale": 2.5, "steps": [np.array([1, 2]), None, "name"]}


def test_flatten_then_unflatten_gives_the_tree_back():
    tree = params()
    leaves, treedef = ad.tree_flatten(tree)
    assert len(leaves) == treedef.num_leaves == 5  # None holds no leaf
    assert leaves[0] is tree["hidden"].w and leaves[2] == 2.5 and leaves[-1] == "name"
    back = ad.tree_unflatten(treedef, leaves)
    assert type(back["hidden"]) is Layer and back["steps"][1] is None
    assert list(back) == ["hidden", "scale", "steps"]
    with pytest.raises(ad.ADError, match="has 5 leaves, got 4"):
        ad.tree_unflatten(treedef, leaves[:4])


def test_tree_map_over_several_trees():
    p = {"a": (np.ones(2), 3.0), "b": [4.0]}
    g = {"a": (np.full(2, 2.0), 1.0), "b": [0.5]}
    new = ad.tree_map(lambda x, y: x - 0.5 * y, p, g)
    np.testing.assert_array_equal(new["a"][0], [0.0, 0.0])
    assert new["a"][1] == 2.5 and new["b"] == [3.75] and isinstance(new["a"], tuple)
    with pytest.raises(ad.ADError, match="one structure"):
        ad.tree_map(lambda x, y: x, p, {"a": (1.0, 2.0), "b": [1.0, 2.0]})
    with pytest.raises(ad.ADError, match="one structure"):
        ad.tree_map(lambda x, y: x, {"a": 1.0, "b": 2.0}, {"b": 2.0, "a": 1.0})  # key order is structure


def test_ravel_and_unravel_restore_shapes_dtypes_and_floats():
    tree = params()
    vector, unravel = ad.ravel(tree)
    expected = np.concatenate([np.arange(6.0), np.zeros(3), [2.5], [1.0, 2.0]])
    np.testing.assert_array_equal(vector, expected)
    assert vector.dtype == np.float64 and vector.ndim == 1
    back = unravel(vector + 1.0)
    np.testing.assert_array_equal(back["hidden"].w, np.arange(6.0).reshape(2, 3) + 1.0)
    assert back["hidden"].b.dtype == np.float32 and back["hidden"].b.shape == (3,)
    assert type(back["scale"]) is float and back["scale"] == 3.5
    assert back["steps"][0].dtype == tree["steps"][0].dtype
    np.testing.assert_array_equal(back["steps"][0], [2, 3])
    assert back["steps"][1] is None and back["steps"][2] == "name"
    with pytest.raises(ad.ADError, match="vector of shape"):
        unravel(np.zeros(3))


def test_ravel_of_gradients_lines_up_with_ravel_of_parameters():
    """What scipy.optimize needs: the gradient vector's entries line up with the parameter vector's."""
    def loss(p):
        return np.sum(p["w"] ** 2) + 3.0 * p["c"] ** 2

    p = {"w": np.array([[1.0, -2.0]]), "c": 0.5}
    x, unravel = ad.ravel(p)
    grad = ad.grad(loss)
    gx, _ = ad.ravel(grad(unravel(x)))
    np.testing.assert_allclose(gx, [2.0, -4.0, 3.0])
    for _ in range(200):  # gradient descent on the vector
        x = x - 0.1 * ad.ravel(grad(unravel(x)))[0]
    assert loss(unravel(x)) < 1e-12
