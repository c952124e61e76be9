"""The public surface of fastinit: names, docstrings and their examples, typing marker, info(),
thread control, aliases, fan layouts, and (when torch is importable) agreement with
torch.nn.init's gains and the std / bound of its Xavier and Kaiming initializers.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.resources
import inspect
import math
import re
import subprocess
import sys
import types

import numpy as np
import pytest

import fastinit

EXPECTED_PUBLIC = {
    # schemes
    "zeros",
    "ones",
    "constant",
    "uniform",
    "normal",
    "trunc_normal",
    "xavier_uniform",
    "xavier_normal",
    "kaiming_uniform",
    "kaiming_normal",
    "lecun_uniform",
    "lecun_normal",
    "variance_scaling",
    "orthogonal",
    "sparse",
    "eye",
    "dirac",
    "random_raw",
    # aliases
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    # helpers, seeding, threads, backend
    "compute_fans",
    "calculate_gain",
    "Generator",
    "manual_seed",
    "default_generator",
    "set_num_threads",
    "get_num_threads",
    "set_backend",
    "info",
    "__version__",
    # checkpoints (fastinit/checkpoint/)
    "init_checkpoint",
}
ALIASES = {
    "glorot_uniform": "xavier_uniform",
    "glorot_normal": "xavier_normal",
    "he_uniform": "kaiming_uniform",
    "he_normal": "kaiming_normal",
}
PUBLIC_CALLABLES = sorted(n for n in EXPECTED_PUBLIC if n != "__version__")


@pytest.fixture
def restore_global_state():
    """Doctests call manual_seed and set_num_threads: put the global generator and the thread
    count back afterwards, so other test files see the state they expect."""
    from fastinit._random import generator as _generator

    saved_gen = _generator._default_generator
    saved_threads = fastinit.get_num_threads()
    saved_backend = fastinit.info()["backend"]
    yield
    _generator._default_generator = saved_gen
    fastinit.set_num_threads(saved_threads)
    fastinit.set_backend(saved_backend)


# ---- names -------------------------------------------------------------------------------------


def test_all_lists_exactly_the_public_names():
    assert len(fastinit.__all__) == len(set(fastinit.__all__)), "duplicates in __all__"
    assert set(fastinit.__all__) == EXPECTED_PUBLIC


@pytest.mark.parametrize("name", sorted(EXPECTED_PUBLIC))
def test_every_listed_name_exists(name):
    assert hasattr(fastinit, name), f"fastinit.__all__ lists {name!r}, which does not exist"


def test_no_public_object_left_out_of_all():
    """Every non-underscore attribute that fastinit itself defines is listed in __all__
    (submodules and names imported from typing / __future__ aside)."""
    missing = []
    for name, obj in vars(fastinit).items():
        if name.startswith("_") or isinstance(obj, types.ModuleType):
            continue
        if (
            getattr(obj, "__module__", "").split(".")[0] == "fastinit"
            and name not in fastinit.__all__
        ):
            missing.append(name)
    assert not missing, f"public but not in __all__: {missing}"


def test_star_import_gives_exactly_all():
    ns: dict = {}
    exec("from fastinit import *", ns)
    ns.pop("__builtins__", None)
    assert set(ns) == set(fastinit.__all__)


def test_version_is_a_str_and_matches_info():
    assert isinstance(fastinit.__version__, str)
    assert re.fullmatch(r"\d+\.\d+\.\d+([.-]?\w+)?", fastinit.__version__)
    assert fastinit.info()["version"] == fastinit.__version__


@pytest.mark.parametrize("alias, target", sorted(ALIASES.items()))
def test_aliases_are_the_same_objects(alias, target):
    assert getattr(fastinit, alias) is getattr(fastinit, target)


def test_schemes_module_all_matches_package():
    from fastinit import schemes as _schemes

    for name in _schemes.__all__:
        assert getattr(fastinit, name) is getattr(_schemes, name)
        assert name in fastinit.__all__


# ---- docstrings --------------------------------------------------------------------------------


def _sections(doc: str) -> dict[str, str]:
    """NumPy-style sections: header line followed by a line of dashes of the same length."""
    lines = doc.splitlines()
    out, current, buf = {}, None, []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and re.fullmatch(r"-{3,}", nxt.strip())
            and len(nxt.strip()) == len(line.strip())
        ):
            if current is not None:
                out[current] = "\n".join(buf)
            current, buf = line.strip(), []
            i += 2
            continue
        buf.append(line)
        i += 1
    if current is not None:
        out[current] = "\n".join(buf)
    return out


def _parameters(obj) -> list[str]:
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):
        return []
    return [p for p in sig.parameters if p != "self"]


def _references_other_public_function(doc: str, name: str) -> bool:
    refs = re.findall(r":(?:func|class|meth):`~?(?:fastinit\.)?([A-Za-z_][\w.]*)`", doc)
    return any(
        r in fastinit.__all__ and getattr(fastinit, r) is not getattr(fastinit, name) for r in refs
    )


@pytest.mark.parametrize("name", PUBLIC_CALLABLES)
def test_docstring_is_numpy_style(name):
    obj = getattr(fastinit, name)
    doc = inspect.getdoc(obj)
    assert doc and doc.strip(), f"{name} has no docstring"
    summary = doc.strip().splitlines()[0]
    assert summary.strip(), f"{name}: the docstring has no summary line"
    sections = _sections(doc)
    assert "Examples" in sections, f"{name}: no Examples section"
    assert ">>>" in sections["Examples"], f"{name}: the Examples section has no example"
    params = _parameters(obj)
    if params:
        assert "Parameters" in sections or _references_other_public_function(doc, name), (
            f"{name}({', '.join(params)}): no Parameters section and no :func: reference to "
            f"another fastinit function that documents them"
        )
    if "Parameters" in sections:
        text = sections["Parameters"]
        documented = set()
        for line in text.splitlines():
            m = re.match(r"^(\w[\w, ]*?)\s*(?::|$)", line)
            if m and not line.startswith(" "):
                documented.update(p.strip() for p in m.group(1).split(","))
        undocumented = [p for p in params if p not in documented]
        assert not undocumented, f"{name}: parameters not in the Parameters section: {undocumented}"


# ---- doctests ----------------------------------------------------------------------------------


def _public_doctests():
    finder = doctest.DocTestFinder(recurse=True, exclude_empty=True)
    tests = []
    seen = set()
    for name in sorted(PUBLIC_CALLABLES, key=lambda n: (n in ALIASES, n)):  # aliases last
        obj = getattr(fastinit, name)
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        mod = sys.modules[obj.__module__]
        for t in finder.find(obj, f"fastinit.{name}", module=mod, globs=dict(vars(mod))):
            if t.examples:
                tests.append(t)
    mod = fastinit
    for t in finder.find(mod, "fastinit", module=mod, globs=dict(vars(mod))):
        if t.name == "fastinit" and t.examples:  # the package docstring, if it has examples
            tests.append(t)
    return tests


def test_every_public_function_has_doctests():
    names = {t.name.split(".")[1] for t in _public_doctests() if "." in t.name}
    missing = sorted(n for n in PUBLIC_CALLABLES if n not in names and n not in ALIASES)
    assert not missing, f"no runnable docstring examples: {missing}"


@pytest.mark.parametrize("test", _public_doctests(), ids=lambda t: t.name)
def test_public_docstring_examples_pass(test, restore_global_state):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=lambda s: None)
    if runner.failures:
        # rerun to show the diff
        msgs: list[str] = []
        doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE).run(
            test, out=msgs.append
        )
        pytest.fail("".join(msgs))


@pytest.mark.parametrize(
    "module",
    [
        "fastinit",
        "fastinit.schemes.basic",
        "fastinit.schemes.fan_based",
        "fastinit.schemes.structured",
        "fastinit._random.fans",
        "fastinit._random.generator",
        "fastinit._backends.dispatch",
        "fastinit._input.arrays",
        "fastinit._input.values",
        "fastinit._input.dtypes",
        "fastinit._random.plans",
    ],
)
def test_module_doctests_pass(module, restore_global_state):
    mod = importlib.import_module(module)
    result = doctest.testmod(
        mod,
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
        verbose=False,
        report=False,
    )
    assert result.failed == 0, f"{module}: {result.failed} of {result.attempted} examples failed"


# ---- packaging ---------------------------------------------------------------------------------


def test_py_typed_is_shipped():
    res = importlib.resources.files("fastinit").joinpath("py.typed")
    assert res.is_file(), "fastinit/py.typed is missing (PEP 561)"


def test_public_functions_are_annotated():
    for name in PUBLIC_CALLABLES:
        obj = getattr(fastinit, name)
        if inspect.isclass(obj):
            continue
        sig = inspect.signature(obj)
        assert sig.return_annotation is not inspect.Signature.empty, f"{name}: no return type"


# ---- info() ------------------------------------------------------------------------------------


def test_info_keys_and_types():
    info = fastinit.info()
    assert isinstance(info, dict)
    expected = {"version": str, "backend": str, "simd": str, "threads": int, "stream_format": str}
    assert set(info) == set(expected)
    for key, typ in expected.items():
        assert type(info[key]) is typ, f"info()[{key!r}] is {type(info[key]).__name__}"
    assert info["version"] == fastinit.__version__
    assert info["backend"] in ("core", "numba")
    assert info["simd"] and (info["simd"] == "numba") == (info["backend"] == "numba")
    assert info["threads"] >= 1 and info["threads"] == fastinit.get_num_threads()
    assert info["stream_format"] == "philox4x32-10/v1"


def test_info_returns_a_fresh_dict():
    a = fastinit.info()
    a["threads"] = -5
    assert fastinit.info()["threads"] == fastinit.get_num_threads()


# ---- threads -----------------------------------------------------------------------------------


@pytest.fixture
def threads_restored():
    saved = fastinit.get_num_threads()
    yield saved
    fastinit.set_num_threads(saved)


@pytest.mark.parametrize(
    "n, exc, match",
    [
        (0, ValueError, r"\bn must be in \[1, 1024\], got 0"),
        (-1, ValueError, r"\bn must be in \[1, 1024\], got -1"),
        (np.int64(0), ValueError, r"\bn must be in \[1, 1024\]"),
        (1025, ValueError, r"\bn must be in \[1, 1024\], got 1025"),
        (2**40, ValueError, r"\bn must be in \[1, 1024\], got 1099511627776"),
        (1.5, TypeError, r"\bn must be an int, got float"),
        (2.0, TypeError, r"\bn must be an int, got float"),
        (True, TypeError, r"\bn must be an int, got bool"),
        (False, TypeError, r"\bn must be an int, got bool"),
        ("2", TypeError, r"\bn must be an int, got str"),
        (None, TypeError, r"\bn must be an int, got NoneType"),
    ],
    ids=repr,
)
def test_set_num_threads_errors(n, exc, match, threads_restored):
    fastinit.set_num_threads(3)
    with pytest.raises(exc, match=match):
        fastinit.set_num_threads(n)
    assert fastinit.get_num_threads() == 3, "a refused set_num_threads changed the count"


def test_set_num_threads_round_trip(threads_restored):
    for n in (1, 2, 3, 7, np.int64(4), threads_restored):
        assert fastinit.set_num_threads(n) is None
        assert fastinit.get_num_threads() == int(n)
        assert type(fastinit.get_num_threads()) is int
        assert fastinit.info()["threads"] == int(n)


def test_thread_count_does_not_change_values(threads_restored):
    results = []
    for n in (1, 4):
        fastinit.set_num_threads(n)
        results.append(fastinit.normal((300_001,), seed=5).tobytes())
    assert results[0] == results[1]


# ---- fans --------------------------------------------------------------------------------------

FAN_SHAPES = [(64, 32), (16, 3, 5), (16, 3, 5, 5), (8, 4, 3, 3, 3), (7, 1), (1, 7, 2, 2)]


def _torch_layout_fans(shape):
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _keras_layout_fans(shape):
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize("shape", FAN_SHAPES, ids=str)
def test_compute_fans_default_is_pytorch_layout(shape):
    assert fastinit.compute_fans(shape) == _torch_layout_fans(shape)
    assert fastinit.compute_fans(shape, 1, 0) == _torch_layout_fans(shape)


@pytest.mark.parametrize("shape", FAN_SHAPES, ids=str)
def test_compute_fans_keras_layout(shape):
    keras_shape = tuple(reversed(shape[2:])) + (shape[1], shape[0])
    assert (
        fastinit.compute_fans(keras_shape, in_axis=-2, out_axis=-1)
        == _keras_layout_fans(keras_shape)
        == _torch_layout_fans(shape)
    )


@pytest.mark.parametrize("shape", [(256, 128), (64, 32, 3, 3)], ids=str)
def test_fan_schemes_use_the_layout_axes(shape):
    """The same weight in the two layouts gets the same std."""
    keras_shape = tuple(shape[2:]) + (shape[1], shape[0])
    a = fastinit.kaiming_normal(shape, seed=0, dtype="float64")
    b = fastinit.kaiming_normal(keras_shape, in_axis=-2, out_axis=-1, seed=0, dtype="float64")
    fan_in = _torch_layout_fans(shape)[0]
    assert a.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)
    assert b.std() == pytest.approx(math.sqrt(2 / fan_in), rel=0.03)


# ---- gains and the Xavier / Kaiming formulas ---------------------------------------------------

NONLINEARITIES = [
    "linear",
    "conv1d",
    "conv2d",
    "conv3d",
    "conv_transpose1d",
    "conv_transpose2d",
    "conv_transpose3d",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "selu",
]
LEAKY_PARAMS = [None, 0, 0.0, 0.01, 0.2, 1, 3, -0.5, 1e-3, 100.0]


def _expected_gain(nl, param=None):
    if nl in ("tanh",):
        return 5.0 / 3
    if nl == "relu":
        return math.sqrt(2.0)
    if nl == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope**2))
    if nl == "selu":
        return 3.0 / 4
    return 1.0


GAIN_CASES = [(nl, None) for nl in NONLINEARITIES] + [("leaky_relu", p) for p in LEAKY_PARAMS]


@pytest.mark.parametrize("nl, param", GAIN_CASES, ids=str)
def test_calculate_gain_table(nl, param):
    g = fastinit.calculate_gain(nl, param)
    assert isinstance(g, float)
    assert g == pytest.approx(_expected_gain(nl, param), rel=1e-15)


# (scheme, shape, kwargs) -> "uniform" with bound / "normal" with std, from torch's formulas
FORMULA_CASES = [
    ("xavier_uniform", (512, 256), {}),
    ("xavier_uniform", (128, 64, 3, 3), {"gain": 2.5}),
    ("xavier_normal", (512, 256), {}),
    ("xavier_normal", (128, 64, 3, 3), {"gain": 0.5}),
    ("kaiming_uniform", (512, 256), {}),
    ("kaiming_uniform", (128, 64, 3, 3), {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_uniform", (256, 3, 5, 5), {"mode": "fan_in", "nonlinearity": "relu"}),
    ("kaiming_uniform", (512, 256), {"nonlinearity": "tanh"}),
    ("kaiming_normal", (512, 256), {}),
    ("kaiming_normal", (128, 64, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", (256, 3, 5, 5), {"a": 0.5, "nonlinearity": "leaky_relu"}),
    ("kaiming_normal", (512, 256), {"nonlinearity": "selu"}),
]
FORMULA_IDS = [f"{s}-{sh}-{kw}" for s, sh, kw in FORMULA_CASES]


def _formula(scheme, shape, kw):
    """('uniform', bound) or ('normal', std) as torch.nn.init documents them."""
    fan_in, fan_out = _torch_layout_fans(shape)
    if scheme.startswith("xavier"):
        gain = kw.get("gain", 1.0)
        if scheme.endswith("uniform"):
            return "uniform", gain * math.sqrt(6.0 / (fan_in + fan_out))
        return "normal", gain * math.sqrt(2.0 / (fan_in + fan_out))
    fan = fan_in if kw.get("mode", "fan_in") == "fan_in" else fan_out
    gain = _expected_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
    if scheme.endswith("uniform"):
        return "uniform", gain * math.sqrt(3.0 / fan)
    return "normal", gain / math.sqrt(fan)


def _check_stats(x: np.ndarray, kind: str, value: float, who: str):
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    if kind == "uniform":
        assert np.abs(x).max() <= value * (1 + 1e-12), f"{who}: |x| exceeds the bound {value}"
        assert np.abs(x).max() >= value * 0.99, f"{who}: max |x| far below the bound {value}"
        assert x.std() == pytest.approx(value / math.sqrt(3), rel=0.03), who
    else:
        assert x.std() == pytest.approx(value, rel=0.03), who
        assert abs(x.mean()) < 5 * value / math.sqrt(n), who
    assert abs(x.mean()) < 5 * x.std() / math.sqrt(n), f"{who}: mean not 0"


@pytest.mark.parametrize("scheme, shape, kw", FORMULA_CASES, ids=FORMULA_IDS)
def test_fastinit_matches_torch_formulas(scheme, shape, kw):
    kind, value = _formula(scheme, shape, kw)
    w = getattr(fastinit, scheme)(shape, seed=0, dtype="float64", **kw)
    _check_stats(w, kind, value, f"fastinit.{scheme}")


# ---- against torch itself ----------------------------------------------------------------------


@pytest.mark.parametrize("nl, param", GAIN_CASES, ids=str)
def test_calculate_gain_equals_torch(nl, param):
    torch = pytest.importorskip("torch")
    assert fastinit.calculate_gain(nl, param) == torch.nn.init.calculate_gain(nl, param)


@pytest.mark.parametrize("shape", FAN_SHAPES, ids=str)
def test_compute_fans_equals_torch(shape):
    torch = pytest.importorskip("torch")
    t = torch.empty(shape)
    assert fastinit.compute_fans(shape) == tuple(torch.nn.init._calculate_fan_in_and_fan_out(t))


@pytest.mark.parametrize("scheme, shape, kw", FORMULA_CASES, ids=FORMULA_IDS)
def test_torch_and_fastinit_agree_with_the_formula(scheme, shape, kw):
    torch = pytest.importorskip("torch")
    kind, value = _formula(scheme, shape, kw)
    torch_fn = getattr(torch.nn.init, scheme + "_")
    t = torch.empty(shape, dtype=torch.float64)
    gen = torch.Generator().manual_seed(0)
    try:
        torch_fn(t, generator=gen, **kw)
    except TypeError:  # torch < 2.1 has no generator= argument
        torch.manual_seed(0)
        torch_fn(t, **kw)
    _check_stats(t.numpy(), kind, value, f"torch.nn.init.{scheme}_")
    w = getattr(fastinit, scheme)(shape, seed=0, dtype="float64", **kw)
    _check_stats(w, kind, value, f"fastinit.{scheme}")
    # and the two agree with each other
    assert w.std() == pytest.approx(float(t.std()), rel=0.04)


def test_import_fastinit_does_not_import_ml_dtypes():
    """ml_dtypes (about 0.85 s to import here) is loaded when bfloat16 is first used."""
    code = (
        "import sys, numpy as np, fastinit\n"
        "assert 'ml_dtypes' not in sys.modules\n"
        "fastinit.normal(np.empty(8, np.float32), seed=0)\n"
        "assert 'ml_dtypes' not in sys.modules\n"
        "w = fastinit.normal((8,), dtype='bfloat16', seed=0)\n"
        "assert 'ml_dtypes' in sys.modules and w.dtype.name == 'bfloat16'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize(
    "seed, error, match",
    [
        ((-1, 5), ValueError, r"seed\[0\] must be in \[0, 2\*\*64\), got -1"),
        ((1, 2**32), ValueError, r"seed\[1\] must be in \[0, 2\*\*32\), got 4294967296"),
        ((1,), ValueError, r"seed as a tuple must be a \(seed, stream\) pair"),
        ((True, 1), TypeError, r"seed\[0\] must be an int, got bool"),
    ],
)
def test_a_seed_stream_pair_is_checked(seed, error, match):
    out = np.zeros(4, np.float32)
    with pytest.raises(error, match=match):
        fastinit.uniform(out, seed=seed)
    assert not out.any()
    assert np.array_equal(
        fastinit.uniform((4,), seed=(7, 3)), fastinit.uniform((4,), seed=fastinit.Generator(7, 3))
    )
