"""How Python values travel in a safetensors file without pickle: arrays plus a JSON structure.

Every array becomes one tensor of the file; everything else becomes JSON, kept as one string in
the metadata entry ``"glassnet"``, with small marker objects for what JSON lacks:

- ``{"__tensor__": name}``: a glassnet Tensor (``"requires_grad": true`` is kept)
- ``{"__ndarray__": name}``: a NumPy array
- ``{"__numpy__": "F32", "value": 1.5}``: a NumPy scalar
- ``{"__tuple__": [...]}``: a tuple
- ``{"__dict__": [[key, value], ...]}``: a dict with keys that are not all strings, or that
  look like a marker (keys keep their type: ``1``, ``1.5``, ``True``, ``None``, tuples)
- ``{"__odict__": [[key, value], ...]}``: an OrderedDict (what ``state_dict()`` returns)

Files written before checksums (format 1) used ``{"__intkeys__": {...}}`` for int keys and
``"__tensor__"`` for every array; they still load.

>>> import numpy as np
>>> packer = Packer("f")
>>> packer.pack({"w": np.ones(2), "step": (1, 2)})
{'w': {'__ndarray__': 'w'}, 'step': {'__tuple__': [1, 2]}}
>>> list(packer.arrays)
['w']
"""

from __future__ import annotations

import re
from collections import OrderedDict

import numpy as np

from glassnet import backend
from glassnet.serialization.errors import CheckpointError, short
from glassnet.serialization.safetensors_format import DTYPES, dtype_code, little_endian
from glassnet.tensor import Tensor

MAX_DEPTH = 300  # levels of JSON nesting; far below Python's recursion limit
_MARKERS = frozenset(
    {"__tensor__", "__ndarray__", "__numpy__", "__tuple__", "__dict__", "__odict__", "__intkeys__"}
)
_INT = re.compile(r"-?[0-9]{1,100}")
_FIELDS = {
    "__tensor__": {"__tensor__", "requires_grad"},
    "__ndarray__": {"__ndarray__"},
    "__numpy__": {"__numpy__", "value"},
    "__tuple__": {"__tuple__"},
    "__dict__": {"__dict__"},
    "__odict__": {"__odict__"},
}


def array_of(tensor):
    """A Tensor's array."""
    return tensor._data


def _encodable(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates: other readers reject such JSON keys
        return False
    return True


# ---- saving ------------------------------------------------------------------------------------
class Packer:
    """Turns an object into a JSON structure; collects its arrays in ``arrays`` (name -> array).

    Tensors are named by their path (``"model.fc.weight"``), so a state_dict keeps PyTorch's
    keys and other safetensors readers find them.
    """

    def __init__(self, target: str):
        self.target = target
        self.arrays = {}

    def _add(self, path, array) -> str:
        base = ".".join(path) or "tensor"
        if not _encodable(base):
            base = "tensor"
        name, i = base, 0
        while name in self.arrays or name == "__metadata__":
            i += 1
            name = f"{base}#{i}"
        self.arrays[name] = little_endian(array, name)
        return name

    def pack(self, obj, path=(), depth=0):
        where = ".".join(path)
        if depth > MAX_DEPTH:
            raise ValueError(
                f"glassnet.save: the object is nested too deeply at '{where[:80]}' (more than "
                f"{MAX_DEPTH} levels), or it contains itself"
            )
        if isinstance(obj, Tensor):
            node = {"__tensor__": self._add(path, backend.to_numpy(array_of(obj)))}
            if obj.requires_grad:
                node["requires_grad"] = True
            return node
        if isinstance(obj, np.ndarray) or backend.is_cuda_array(obj):
            return {"__ndarray__": self._add(path, backend.to_numpy(obj))}
        if isinstance(obj, np.generic):
            return {"__numpy__": dtype_code(np.asarray(obj), where), "value": obj.item()}
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        if isinstance(obj, dict):
            return self._pack_dict(obj, path, depth)
        if isinstance(obj, list):
            return [self.pack(v, (*path, str(i)), depth + 1) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {
                "__tuple__": [self.pack(v, (*path, str(i)), depth + 2) for i, v in enumerate(obj)]
            }
        raise TypeError(refusal(obj, path, self.target))

    def _pack_dict(self, obj, path, depth):
        plain = not isinstance(obj, OrderedDict) and all(
            isinstance(k, str) and k not in _MARKERS for k in obj
        )
        if plain:
            return {k: self.pack(v, (*path, k), depth + 1) for k, v in obj.items()}
        pairs = [
            [_pack_key(k, path, depth + 3), self.pack(v, (*path, str(k)), depth + 3)]
            for k, v in obj.items()
        ]
        return {"__odict__" if isinstance(obj, OrderedDict) else "__dict__": pairs}


def _pack_key(key, path, depth):
    if key is None or isinstance(key, (bool, int, float, str)):
        return key.item() if isinstance(key, np.generic) else key
    if isinstance(key, tuple) and depth < MAX_DEPTH:
        return {"__tuple__": [_pack_key(k, path, depth + 2) for k in key]}
    raise TypeError(
        f"glassnet.save: the dict at '{'.'.join(path)}' has the key {short(key)} of type "
        f"{type(key).__name__}; keys must be str, int, float, bool, None or tuples of these"
    )


def refusal(obj, path: tuple, target: str) -> str:
    """The error for an object that only pickle could store, with the line to write instead."""
    kind = type(obj).__name__
    bases = {c.__name__ for c in type(obj).__mro__}
    where = ".".join(path)
    at = f" (at '{where}')" if where else ""
    var = next(
        (
            v
            for names, v in (
                ({"Module"}, "model"),
                ({"Optimizer"}, "optimizer"),
                ({"LRScheduler", "_LRScheduler"}, "scheduler"),
            )
            if names & bases
        ),
        "obj" if callable(getattr(obj, "state_dict", None)) else None,
    )
    never = "glassnet never pickles objects (loading a pickle can run any code)"
    if var is None:
        return (
            f"glassnet.save: cannot store a value of type {kind}{at}; only tensors, NumPy "
            "arrays, numbers, strings, None, lists, tuples and dicts are saved: "
            f"{never}. Convert it to those first."
        )
    index = "".join(f"[{int(k) if k.isdigit() else k!r}]" for k in path)
    save_line = (
        f"glassnet.save({var}.state_dict(), {target})"
        if not path
        else f"store {var}.state_dict() at '{where}' in place of the {kind}"
    )
    return (
        f"glassnet.save: cannot store a whole {kind}{at}: {never}. Save its state_dict() "
        f"instead:\n    {save_line}\nand load it into a freshly built {kind} with\n    "
        f"{var}.load_state_dict(glassnet.load({target}){index})"
    )


# ---- loading -----------------------------------------------------------------------------------
class Unpacker:
    """Rebuilds the saved object from the JSON structure and the file's arrays, checking every
    node; ``make_tensor(array, requires_grad)`` wraps an array as a Tensor on the chosen device.
    ``legacy``: the file predates format 2 (its markers are read as that version wrote them)."""

    def __init__(self, arrays, make_tensor, label, legacy):
        self.arrays, self.make_tensor, self.label, self.legacy = arrays, make_tensor, label, legacy

    def fail(self, where, what):
        raise CheckpointError(
            f"{self.label}: the saved structure is malformed at '{where[:80]}': {what}; the file "
            "was edited or damaged"
        )

    def array(self, name, where):
        if not isinstance(name, str) or name not in self.arrays:
            self.fail(where, f"it refers to a missing tensor {short(name)}")
        return self.arrays[name]

    def node(self, node, where="", depth=0):
        if depth > MAX_DEPTH:
            self.fail(where, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, list):
            out = []
            for i, v in enumerate(node):
                out.append(self.node(v, f"{where}.{i}" if where else str(i), depth + 1))
            return out
        if isinstance(node, dict):
            markers = _MARKERS.intersection(node)
            if self.legacy:
                return self._legacy(node, markers, where, depth)
            if not markers:
                return self._mapping(node.items(), {}, where, depth + 1)
            (marker,) = markers if len(markers) == 1 else (None,)
            if marker not in _FIELDS or not set(node) <= _FIELDS[marker]:
                self.fail(where, f"an object mixes marker keys {sorted(node)[:6]}")
            return self._marked(marker, node, where, depth)
        return node  # str, int, float, bool, None: what JSON gives

    def _mapping(self, items, out, where, depth):
        for k, v in items:
            if k in out:
                self.fail(where, f"the key {short(k)} appears twice")
            out[k] = self.node(v, f"{where}.{k}" if where else str(k), depth)
        return out

    def _marked(self, marker, node, where, depth):
        value = node[marker]
        if marker == "__tensor__":
            requires_grad = node.get("requires_grad", False)
            if not isinstance(requires_grad, bool):
                self.fail(where, f"requires_grad is {short(requires_grad)}, not true/false")
            array = self.array(value, where)
            if requires_grad and array.dtype.kind != "f":
                self.fail(where, f"a {array.dtype} tensor cannot require gradients")
            return self.make_tensor(array, requires_grad)
        if marker == "__ndarray__":
            return self.array(value, where)
        if marker == "__numpy__":
            return self._numpy_scalar(value, node.get("value"), where)
        if not isinstance(value, list):
            self.fail(where, f"{marker} holds {type(value).__name__}, not a list")
        if marker == "__tuple__":
            return tuple(self.node(value, where, depth + 1))
        pairs = []
        for pair in value:
            if not (isinstance(pair, list) and len(pair) == 2):
                self.fail(where, f"a dict entry is {short(pair)}, not a [key, value] pair")
            pairs.append((self._key(pair[0], where, depth + 3), pair[1]))
        return self._mapping(
            pairs, OrderedDict() if marker == "__odict__" else {}, where, depth + 3
        )

    def _key(self, key, where, depth):
        if depth > MAX_DEPTH:
            self.fail(where, f"a key is nested more than {MAX_DEPTH} levels deep")
        if (
            isinstance(key, dict)
            and set(key) == {"__tuple__"}
            and isinstance(key["__tuple__"], list)
        ):
            return tuple(self._key(k, where, depth + 2) for k in key["__tuple__"])
        if key is None or isinstance(key, (bool, int, float, str)):
            return key
        self.fail(where, f"the dict key {short(key)} is not a str, number, None or tuple")

    def _numpy_scalar(self, code, value, where):
        if not isinstance(code, str) or code not in DTYPES:
            self.fail(where, f"unknown NumPy scalar dtype {short(code)}")
        dtype = DTYPES[code]
        kinds = {"b": (bool,), "i": (int,), "u": (int,), "f": (int, float)}[dtype.kind]
        if not isinstance(value, kinds) or (dtype.kind != "b" and isinstance(value, bool)):
            self.fail(where, f"the {code} scalar holds {short(value)}")
        try:
            with np.errstate(all="ignore"):
                scalar = dtype.type(value)
        except (OverflowError, ValueError):
            scalar = None
        if scalar is None or not (scalar.item() == value or (value != value and scalar != scalar)):
            self.fail(where, f"the value {short(value)} does not fit a {code} scalar")
        return scalar

    def _legacy(self, node, markers, where, depth):
        """Format 1: a one-key object with a marker was that marker; any other object a dict."""
        if len(node) == 1 and markers:
            (marker,) = markers
            value = node[marker]
            if marker == "__tensor__":
                return self.make_tensor(self.array(value, where), False)
            if marker == "__tuple__" and isinstance(value, list):
                return tuple(self.node(value, where, depth + 1))
            if marker == "__intkeys__" and isinstance(value, dict):
                items = [(_maybe_int(k), v) for k, v in value.items()]
                return self._mapping(items, {}, where, depth + 2)
        return self._mapping(node.items(), {}, where, depth + 1)


def _maybe_int(key):
    return int(key) if _INT.fullmatch(key) else key
