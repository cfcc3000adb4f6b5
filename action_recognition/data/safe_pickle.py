"""Loading pickled data without running code from the file.

A pickle names functions to call while it is read; `pickle.load` imports and calls whatever the
file asks for (`os.system`, `builtins.exec`, ...), so opening a data set from someone else could run
their code before any check sees the content. PYSKL's data sets are pickles, so the format cannot be
avoided: this unpickler resolves only the globals plain data needs (numpy arrays, dtypes and scalars,
a few builtin containers) and refuses everything else with an error naming what was asked for.
"""

from __future__ import annotations

import io
import pickle
from typing import IO, Any

# (module, name) a data set of dicts, lists, strings, numbers and numpy arrays may reference. numpy 1
# writes `numpy.core.*`, numpy 2 `numpy._core.*`; mmcv (PYSKL) writes protocol 2, where bytes
# (an array's raw data) go through `_codecs.encode`.
_NUMPY_CORE = ("numpy.core", "numpy._core")
ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    [(core + ".multiarray", name) for core in _NUMPY_CORE for name in ("_reconstruct", "scalar")]
    + [(core + ".numeric", "_frombuffer") for core in _NUMPY_CORE]
    + [("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"), ("collections", "OrderedDict")]
    + [("builtins", name) for name in ("set", "frozenset", "complex", "bytearray", "slice", "range")]
)

UNSAFE_HINT = "pickles can run code when loaded"


class UnsafePickleError(pickle.UnpicklingError):
    """The file asks for a global outside ALLOWED_GLOBALS; nothing it names has been called."""


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"refused to load: the file asks for {module}.{name}, which plain data never needs "
                f"({UNSAFE_HINT})"
            )
        return super().find_class(module, name)


def load(file: IO[bytes], unsafe: bool = False) -> Any:
    """Unpickle `file` allowing only plain data; `unsafe=True` is `pickle.load` (trusted files only)."""
    if unsafe:
        return pickle.load(file)
    return RestrictedUnpickler(file).load()


def loads(data: bytes, unsafe: bool = False) -> Any:
    return load(io.BytesIO(data), unsafe=unsafe)
