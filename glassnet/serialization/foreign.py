"""Recognise files that are not safetensors (a pickle, a PyTorch .pt, NumPy, HDF5) by their
first bytes, to say what the file is and how to convert it safely. Nothing is ever unpickled:
only the magic bytes and, for a zip, the names of its members are read.

>>> import pickle
>>> print(message("w.pt", pickle.dumps([1, 2], protocol=2))[:37])
w.pt: is a Python pickle (protocol 2)
"""

from __future__ import annotations

import zipfile

_CONVERT_TORCH = (
    "glassnet never unpickles files, since unpickling can run any code the file's author chose. "
    "Convert it once, in PyTorch, where you trust the file: "
    "state = torch.load(path, map_location='cpu', weights_only=True); "
    "from safetensors.torch import save_file; save_file(state, 'model.safetensors') "
    "(save_file takes a flat dict of tensors: for a whole checkpoint pass state['model'] or "
    "the state_dict inside it); then glassnet.load('model.safetensors')"
)
_ADVICE = {
    "pickle": _CONVERT_TORCH,
    "torch": _CONVERT_TORCH,
    "npz": "load it with numpy.load(path, allow_pickle=False) and wrap the arrays with "
    "glassnet.tensor, then save them with glassnet.save",
    "npy": "load it with numpy.load(path, allow_pickle=False) and wrap it with glassnet.tensor",
    "hdf5": "read it with h5py, and save the arrays with glassnet.save",
    "gguf": "glassnet reads safetensors only; export the weights to safetensors first",
    "zip": "glassnet reads safetensors files only",
}


def _zip_names(head: bytes, file) -> list[str]:
    names = []
    if len(head) >= 30:  # the first local header's file name needs no central directory
        n = int.from_bytes(head[26:28], "little")
        names.append(head[30 : 30 + n].decode("utf-8", "replace"))
    if file is not None:
        try:
            names += zipfile.ZipFile(file).namelist()[:10_000]
        except Exception:  # a damaged zip: the first name is all we get
            pass
    return names


def kind(head: bytes, file=None) -> str | None:
    """'pickle', 'torch', 'npz', 'zip', 'npy', 'hdf5', 'gguf' or None from the first bytes
    (``file``, positioned anywhere, lets a zip's member names be listed)."""
    if head[:1] == b"\x80" and head[1:2] and 2 <= head[1] <= 5:
        return "pickle"
    if head[:4] == b"PK\x03\x04":
        names = _zip_names(head, file)
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            return "torch"
        if names and all(n.endswith(".npy") for n in names):
            return "npz"
        return "zip"
    if head[:6] == b"\x93NUMPY":
        return "npy"
    if head[:8] == b"\x89HDF\r\n\x1a\n":
        return "hdf5"
    if head[:4] == b"GGUF":
        return "gguf"
    return None


_NAMES = {
    "torch": "a PyTorch checkpoint (torch.save's zip format, a .pt/.pth file)",
    "npz": "a NumPy .npz archive",
    "zip": "a zip archive",
    "npy": "a NumPy .npy file",
    "hdf5": "an HDF5 file (such as a Keras .h5 model)",
    "gguf": "a GGUF file (llama.cpp)",
}


def describe(found: str | None, head: bytes) -> str | None:
    """What a file of that kind is, in words, or None."""
    if found == "pickle":
        return f"a Python pickle (protocol {head[1]})"
    return _NAMES.get(found)


def message(label: str, head: bytes, file=None) -> str | None:
    """The full error message for a foreign file, or None if its first bytes say nothing."""
    found = kind(head, file)
    if found is None:
        return None
    note = (
        " (what torch.save wrote before PyTorch 1.6, or pickle.dump)" if found == "pickle" else ""
    )
    return f"{label}: is {describe(found, head)}{note}, not a safetensors file. {_ADVICE[found]}."


def read_head(file, start: int, size: int) -> tuple[bytes, object]:
    """The first bytes of the file (at most 64 KiB) and a seekable file for zipfile."""
    file.seek(start)
    head = file.read(min(size, 64 * 1024)) or b""
    # A zip inside a larger stream: the first member's name (in the head) is enough.
    return head, (file if start == 0 else None)
