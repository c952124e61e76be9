"""Put this folder on PYTHONPATH to make ``import fastinit._core`` fail, as it does where the
compiled core did not build: .ci/run uses it to test the Numba fallback for real."""

import sys
from importlib.abc import MetaPathFinder


class _BlockCore(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "fastinit._core":
            raise ModuleNotFoundError("fastinit._core is blocked by .ci/nocore/sitecustomize.py",
                                      name=name)
        return None


sys.meta_path.insert(0, _BlockCore())
