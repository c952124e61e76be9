"""Tests for fastinit._random.fans: compute_fans, fan_for_mode, calculate_gain.

Reference values are derived by hand from PyTorch's formulas
(torch.nn.init._calculate_fan_in_and_fan_out and calculate_gain); when torch is
importable, the same cases are also checked against torch itself.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from fastinit._random.fans import calculate_gain, compute_fans, fan_for_mode

# (shape, fan_in, fan_out) with PyTorch's layout (out, in, *receptive):
# receptive = prod(shape[2:]), fan_in = shape[1] * receptive, fan_out = shape[0] * receptive.
TORCH_LAYOUT_CASES = [
    ((1, 1), 1, 1),
    ((3, 5), 5, 3),
    ((64, 32), 32, 64),
    ((5, 3), 3, 5),
    ((1000, 1), 1, 1000),
    ((16, 3, 5), 15, 80),  # Conv1d(3, 16, 5)
    ((16, 3, 5, 5), 75, 400),  # Conv2d(3, 16, 5)
    ((64, 32, 3, 3), 288, 576),
    ((8, 4, 3, 3, 3), 108, 216),  # Conv3d(4, 8, 3)
    ((2, 3, 4, 5, 6, 7), 3 * 840, 2 * 840),
    ((7, 11, 1, 1), 11, 7),
    ((0, 4), 4, 0),  # zero-sized dims are allowed, as in torch
    ((4, 0), 0, 4),
    ((4, 3, 0), 0, 0),
    ((3, 4, 2, 0), 0, 0),
]

# Keras / JAX / Flax layout (*receptive, in, out) with in_axis=-2, out_axis=-1.
KERAS_LAYOUT_CASES = [
    ((32, 64), 32, 64),
    ((5, 3, 16), 15, 80),
    ((5, 5, 3, 16), 75, 400),
    ((3, 3, 3, 4, 8), 108, 216),
    ((3, 3, 0, 8), 0, 72),
]


@pytest.mark.parametrize("shape, fan_in, fan_out", TORCH_LAYOUT_CASES)
def test_compute_fans_torch_layout(shape, fan_in, fan_out):
    result = compute_fans(shape)
    assert result == (fan_in, fan_out)
    assert all(type(v) is int for v in result)
    # Explicit defaults and their negative equivalents give the same answer.
    assert compute_fans(shape, in_axis=1, out_axis=0) == (fan_in, fan_out)
    n = len(shape)
    assert compute_fans(shape, in_axis=1 - n, out_axis=-n) == (fan_in, fan_out)


@pytest.mark.parametrize("shape, fan_in, fan_out", KERAS_LAYOUT_CASES)
def test_compute_fans_keras_layout(shape, fan_in, fan_out):
    assert compute_fans(shape, in_axis=-2, out_axis=-1) == (fan_in, fan_out)
    n = len(shape)
    assert compute_fans(shape, in_axis=n - 2, out_axis=n - 1) == (fan_in, fan_out)
    # Same weight in torch layout gives the same fans.
    torch_shape = (shape[-1], shape[-2], *shape[:-2])
    assert compute_fans(torch_shape) == (fan_in, fan_out)


def test_compute_fans_swapped_and_middle_axes():
    # Swapping the axes swaps the fans.
    assert compute_fans((3, 5), in_axis=0, out_axis=1) == (3, 5)
    assert compute_fans((16, 3, 5, 5), in_axis=0, out_axis=1) == (400, 75)
    # Axes in the middle: receptive field = product of the other dims.
    assert compute_fans((2, 3, 5, 7), in_axis=1, out_axis=2) == (3 * 14, 5 * 14)
    assert compute_fans((2, 3, 5, 7), in_axis=-1, out_axis=0) == (7 * 15, 2 * 15)


def test_compute_fans_big_ints_are_exact():
    shape = (2**40, 2**30, 3)
    assert compute_fans(shape) == (3 * 2**30, 3 * 2**40)


@pytest.mark.parametrize(
    "shape",
    [
        [16, 3, 5, 5],
        np.array([16, 3, 5, 5]),
        np.array([16, 3, 5, 5], dtype=np.uint8),
        (np.int64(16), np.int32(3), np.uint16(5), 5),
        range(16, 2, -13),  # (16, 3)
    ],
    ids=["list", "ndarray", "uint8-ndarray", "numpy-scalars", "range"],
)
def test_compute_fans_accepts_int_sequences(shape):
    # (uint8 entries: the product 16 * 25 = 400 must not wrap around.)
    result = compute_fans(shape)
    assert result == ((3, 16) if isinstance(shape, range) else (75, 400))
    assert all(type(v) is int for v in result)


def test_compute_fans_numpy_axes():
    assert compute_fans((5, 5, 3, 16), in_axis=np.int64(-2), out_axis=np.int8(-1)) == (75, 400)


SEQ = "shape must be a sequence of non-negative ints, got "


@pytest.mark.parametrize(
    "shape, message",
    [
        (5, SEQ + "int (for a 1-dimensional shape write (5,))"),
        (np.int64(5), SEQ + "int64 (for a 1-dimensional shape write (5,))"),
        (True, SEQ + "bool"),
        (None, SEQ + "NoneType"),
        (2.0, SEQ + "float"),
        ("34", SEQ + "str"),
        (b"34", SEQ + "bytes"),
        ({3, 4}, SEQ + "set"),
        (np.zeros((2, 2), dtype=int), SEQ + "a 2-dimensional ndarray"),
        ((3, 4.0), "shape[1] must be an int, got float (4.0)"),
        ((3.5, 4), "shape[0] must be an int, got float (3.5)"),
        ((3, True), "shape[1] must be an int, got bool (True)"),
        ((np.bool_(True), 3), f"shape[0] must be an int, got bool ({np.bool_(True)!r})"),
        ((3, "4"), "shape[1] must be an int, got str ('4')"),
        ((3, None), "shape[1] must be an int, got NoneType (None)"),
        (np.array([3.0, 4.0]), "shape[0] must be an int, got float (3.0)"),
    ],
)
def test_compute_fans_bad_shape_type(shape, message):
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        compute_fans(shape)


@pytest.mark.parametrize(
    "shape, message",
    [
        ((3, -1), "shape[1] must be non-negative, got -1"),
        ((-2, 4, 4), "shape[0] must be non-negative, got -2"),
        ((3, np.int64(-7)), "shape[1] must be non-negative, got -7"),
    ],
)
def test_compute_fans_negative_dim(shape, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        compute_fans(shape)


@pytest.mark.parametrize(
    "shape, shown",
    [((5,), "(5,)"), ((), "()"), ([7], "(7,)"), (np.array([3]), "(3,)"), ((np.int64(4),), "(4,)")],
)
def test_compute_fans_fewer_than_two_dims(shape, shown):
    message = (
        "compute_fans: fan_in and fan_out cannot be computed for a tensor with fewer "
        f"than 2 dimensions (got shape {shown})"
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        compute_fans(shape)
    # fan_for_mode goes through the same check.
    with pytest.raises(ValueError, match=re.escape(message)):
        fan_for_mode(shape, "fan_in")


RANGE_34 = " is out of range for shape (3, 4) with 2 dimensions (valid: -2 to 1)"


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"in_axis": 2}, "in_axis=2" + RANGE_34),
        ({"in_axis": -3}, "in_axis=-3" + RANGE_34),
        ({"out_axis": 5}, "out_axis=5" + RANGE_34),
        ({"out_axis": -3}, "out_axis=-3" + RANGE_34),
        # in_axis is checked before out_axis.
        ({"in_axis": 9, "out_axis": 9}, "in_axis=9 is out of range"),
    ],
)
def test_compute_fans_axis_out_of_range(kwargs, message):
    with pytest.raises(ValueError, match="^" + re.escape(message)):
        compute_fans((3, 4), **kwargs)


@pytest.mark.parametrize(
    "shape, in_axis, out_axis, message",
    [
        ((3, 4), 1, 1, "got in_axis=1 and out_axis=1 (both dimension 1 of shape (3, 4))"),
        ((3, 4), 1, -1, "got in_axis=1 and out_axis=-1 (both dimension 1 of shape (3, 4))"),
        ((3, 4, 5), -3, 0, "got in_axis=-3 and out_axis=0 (both dimension 0 of shape (3, 4, 5))"),
    ],
)
def test_compute_fans_same_axis(shape, in_axis, out_axis, message):
    full = "in_axis and out_axis must refer to different dimensions, " + message
    with pytest.raises(ValueError, match="^" + re.escape(full) + "$"):
        compute_fans(shape, in_axis=in_axis, out_axis=out_axis)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"in_axis": 1.0}, "in_axis must be an int, got float"),
        ({"in_axis": True}, "in_axis must be an int, got bool"),
        ({"in_axis": None}, "in_axis must be an int, got NoneType"),
        ({"out_axis": "0"}, "out_axis must be an int, got str"),
        ({"out_axis": False}, "out_axis must be an int, got bool"),
        ({"out_axis": (0,)}, "out_axis must be an int, got tuple"),
    ],
)
def test_compute_fans_axis_bad_type(kwargs, message):
    with pytest.raises(TypeError, match="^" + re.escape(message) + "$"):
        compute_fans((3, 4, 5), **kwargs)


# ------------------------------------------------------------------------------------------
# fan_for_mode


@pytest.mark.parametrize("shape, fan_in, fan_out", TORCH_LAYOUT_CASES)
def test_fan_for_mode_torch_layout(shape, fan_in, fan_out):
    for mode, expected in [
        ("fan_in", fan_in),
        ("fan_out", fan_out),
        ("fan_avg", (fan_in + fan_out) / 2),
    ]:
        value = fan_for_mode(shape, mode)
        assert type(value) is float
        assert value == expected


def test_fan_for_mode_values_and_axes():
    assert fan_for_mode((16, 3, 5, 5), "fan_avg") == 237.5
    assert fan_for_mode((3, 4), "fan_avg") == 3.5
    assert fan_for_mode((5, 5, 3, 16), "fan_in", -2, -1) == 75.0
    assert fan_for_mode((5, 5, 3, 16), "fan_out", in_axis=-2, out_axis=-1) == 400.0
    assert fan_for_mode((5, 5, 3, 16), "fan_avg", in_axis=-2, out_axis=-1) == 237.5


@pytest.mark.parametrize("mode", ["FAN_IN", "Fan_Out", "fan_avg ", "fan", "", "fan_sum"])
def test_fan_for_mode_unknown_mode(mode):
    message = f"mode must be one of 'fan_in', 'fan_out', 'fan_avg', got {mode!r}"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        fan_for_mode((3, 4), mode)


@pytest.mark.parametrize("mode, name", [(None, "NoneType"), (0, "int"), (b"fan_in", "bytes")])
def test_fan_for_mode_non_str_mode(mode, name):
    with pytest.raises(TypeError, match=f"^mode must be a str, got {name}$"):
        fan_for_mode((3, 4), mode)


def test_fan_for_mode_checks_mode_before_shape():
    with pytest.raises(ValueError, match="^mode must be one of"):
        fan_for_mode((5,), "bogus")


# ------------------------------------------------------------------------------------------
# calculate_gain

UNIT_GAIN = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
]

GAIN_CASES = [(name, None, 1.0) for name in UNIT_GAIN] + [
    ("tanh", None, 5.0 / 3.0),
    ("relu", None, math.sqrt(2.0)),
    ("selu", None, 0.75),
    ("leaky_relu", None, math.sqrt(2.0 / (1 + 0.01**2))),
    ("leaky_relu", 0.01, math.sqrt(2.0 / (1 + 0.01**2))),
    ("leaky_relu", 0, math.sqrt(2.0)),
    ("leaky_relu", 0.0, math.sqrt(2.0)),
    ("leaky_relu", 1, 1.0),
    ("leaky_relu", -1, 1.0),
    ("leaky_relu", 0.2, math.sqrt(2.0 / (1 + 0.2**2))),
    ("leaky_relu", -0.2, math.sqrt(2.0 / (1 + 0.2**2))),
    ("leaky_relu", 3, math.sqrt(2.0 / 10)),
    ("leaky_relu", math.sqrt(5), math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))),
    ("leaky_relu", np.float64(0.2), math.sqrt(2.0 / (1 + 0.2**2))),
    # param is ignored by every other nonlinearity, as in PyTorch.
    ("relu", 0.5, math.sqrt(2.0)),
    ("tanh", "ignored", 5.0 / 3.0),
    ("linear", True, 1.0),
]


@pytest.mark.parametrize("nonlinearity, param, expected", GAIN_CASES)
def test_calculate_gain_table(nonlinearity, param, expected):
    value = calculate_gain(nonlinearity, param)
    assert type(value) is float
    assert value == expected  # exact: same float64 operations as PyTorch


def test_calculate_gain_hand_values():
    assert calculate_gain("relu") == 1.4142135623730951
    assert calculate_gain("tanh") == 1.6666666666666667
    assert calculate_gain("leaky_relu") == 1.4141428569978354
    assert calculate_gain("leaky_relu", 0.2) == 1.3867504905630728
    assert calculate_gain("leaky_relu", math.sqrt(5)) == pytest.approx(1 / math.sqrt(3), rel=1e-15)
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu", 1e200) == 0.0  # no OverflowError


def test_calculate_gain_numpy_scalar_slopes():
    # Deliberately more lenient than PyTorch (which rejects np.float32 / np.int64).
    assert calculate_gain("leaky_relu", np.int64(3)) == math.sqrt(2.0 / 10)
    assert calculate_gain("leaky_relu", np.float32(0.5)) == math.sqrt(2.0 / 1.25)


@pytest.mark.parametrize(
    "param, shown",
    [
        (True, "True"),
        (False, "False"),
        (np.bool_(True), repr(np.bool_(True))),
        ("0.1", "'0.1'"),
        ([0.1], "[0.1]"),
        (complex(0.1, 0), "(0.1+0j)"),
        (float("nan"), "nan"),
        (float("inf"), "inf"),
        (-float("inf"), "-inf"),
        (10**400, str(10**400)),
    ],
)
def test_calculate_gain_bad_slope(param, shown):
    message = (
        f"negative_slope {shown} not a valid number: param of 'leaky_relu' must be None or "
        f"a finite int or float (not a bool), got {shown}"
    )
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        calculate_gain("leaky_relu", param)


@pytest.mark.parametrize(
    "name", ["Relu", "RELU", "gelu", "identity", "conv4d", "leaky-relu", "", " relu"]
)
def test_calculate_gain_unknown(name):
    supported = (
        "'linear', 'conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', "
        "'conv_transpose3d', 'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'"
    )
    message = f"unsupported nonlinearity {name!r}; supported: {supported}"
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        calculate_gain(name)


@pytest.mark.parametrize("value, name", [(None, "NoneType"), (1, "int"), (b"relu", "bytes")])
def test_calculate_gain_non_str(value, name):
    with pytest.raises(TypeError, match=f"^nonlinearity must be a str, got {name}$"):
        calculate_gain(value)


# ------------------------------------------------------------------------------------------
# Against torch itself, when it is installed.


def test_against_torch():
    torch = pytest.importorskip("torch")
    from torch.nn import init

    for shape, _, _ in TORCH_LAYOUT_CASES + [(s, 0, 0) for s, _, _ in KERAS_LAYOUT_CASES]:
        expected = init._calculate_fan_in_and_fan_out(torch.empty(shape))
        assert compute_fans(shape) == tuple(expected), shape
        for mode in ("fan_in", "fan_out"):
            expected_fan = init._calculate_correct_fan(torch.empty(shape), mode)
            assert fan_for_mode(shape, mode) == expected_fan

    for nonlinearity, param, _ in GAIN_CASES:
        if isinstance(param, np.generic):  # torch rejects NumPy scalars
            continue
        assert calculate_gain(nonlinearity, param) == init.calculate_gain(nonlinearity, param)

    for param in (True, "0.1"):
        with pytest.raises(ValueError, match="not a valid number"):
            init.calculate_gain("leaky_relu", param)
        with pytest.raises(ValueError, match="not a valid number"):
            calculate_gain("leaky_relu", param)

    with pytest.raises(ValueError):
        init._calculate_fan_in_and_fan_out(torch.empty(5))
