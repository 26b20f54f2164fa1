"""What glassnet.load may read (regular files only, never more than the header declares) and
the stale temporary files killed writes leave, which the next save removes (and only those)."""

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import tracemalloc

import numpy as np
import pytest

import glassnet
from glassnet.serialization import STALE_AFTER_S, CheckpointError, remove_stale_temp_files
from tests.roundtrip import assert_same, handmade, saved_bytes

posix_only = pytest.mark.skipif(os.name != "posix", reason="needs POSIX file types")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- only regular files are read ---------------------------------------------------------------
@posix_only
def test_link_to_an_endless_device_is_refused_before_reading(tmp_path):
    link = tmp_path / "model.safetensors"
    os.symlink("/dev/zero", link)
    tracemalloc.start()
    try:
        with pytest.raises(CheckpointError, match=r"model\.safetensors: is a character device"):
            glassnet.load(link)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # nothing was read: a read of /dev/zero would fill any buffer given
    with open("/dev/zero", "rb") as f, pytest.raises(CheckpointError, match="character device"):
        glassnet.load(f)
    with pytest.raises(CheckpointError, match="character device"):
        glassnet.load("/dev/null")


@posix_only
def test_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    # Opening a FIFO for reading blocks until a writer comes; load must not even open it.
    with pytest.raises(CheckpointError, match=r"pipe\.safetensors: is a named pipe \(FIFO\)"):
        glassnet.load(fifo)


@posix_only
def test_socket_and_directory_are_refused(tmp_path, monkeypatch):
    with pytest.raises(CheckpointError, match="is a directory.*inside it"):
        glassnet.load(tmp_path)
    monkeypatch.chdir(tmp_path)  # a relative name: socket paths are limited to ~100 characters
    path = "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(path)
        with pytest.raises(CheckpointError, match="is a socket"):
            glassnet.load(path)
    finally:
        server.close()


class CountingReader(io.RawIOBase):
    """A seekable binary file that counts the bytes handed out."""

    def __init__(self, blob):
        self.inner, self.handed_out = io.BytesIO(blob), 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        return self.inner.seek(offset, whence)

    def tell(self):
        return self.inner.tell()

    def readinto(self, buffer):
        n = self.inner.readinto(buffer)
        self.handed_out += n
        return n


def test_reads_exactly_what_the_header_declares():
    blob = saved_bytes({"w": glassnet.ones(1000)})
    trailing = b"\0" * (8 * 2**20)  # another 8 MiB after the file in the same stream
    reader = CountingReader(blob + trailing)
    assert_same(glassnet.load(reader), {"w": glassnet.ones(1000)})
    assert reader.handed_out == len(blob) and reader.tell() == len(blob)


def test_a_lying_header_reads_only_a_bounded_slack():
    """A header claiming far more data than there is: refused after the 8 + n header bytes
    (and at most 64 KiB read to recognise a foreign format), whatever the file's size."""
    header = {"w": {"dtype": "F64", "shape": [2**40], "data_offsets": [0, 8 * 2**40]}}
    blob = handmade(header, b"\0" * (4 * 2**20))
    reader = CountingReader(blob)
    with pytest.raises(CheckpointError, match="truncated"):
        glassnet.load(reader)
    assert reader.handed_out <= len(blob) - 4 * 2**20
    reader = CountingReader(b"\xff" * 8 + b"\0" * (4 * 2**20))  # header length 2**64 - 1
    with pytest.raises(CheckpointError, match="over the 100000000-byte limit"):
        glassnet.load(reader)
    assert reader.handed_out <= 8 + 64 * 1024


def test_a_path_must_end_with_its_last_tensor(tmp_path):
    path = tmp_path / "w.safetensors"
    path.write_bytes(saved_bytes({"w": glassnet.ones(2)}) + b"extra")
    with pytest.raises(CheckpointError, match="5 bytes follow the last tensor"):
        glassnet.load(path)


# ---- stale temporary files ---------------------------------------------------------------------
def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_next_save_removes_stale_temporary_files_and_nothing_else(tmp_path):
    stale = [".tmp-glassnet-abcd1234", ".tmp-x7_k2m9q"]  # this version's name, the older one's
    fresh = ".tmp-glassnet-fresh123"
    foreign = [".tmp-something-else", ".tmp-abcdefghi", "x.tmp-abcdefgh", ".tmp-ABCDEFGH"]
    for name in [*stale, fresh, *foreign]:
        (tmp_path / name).write_bytes(b"partial")
    for name in [*stale, *foreign]:
        _age(tmp_path / name, 3600)
    (tmp_path / "keep.txt").write_text("mine")
    _age(tmp_path / "keep.txt", 3600)
    os.mkdir(tmp_path / ".tmp-dir12345")
    if os.name == "posix":
        os.symlink(tmp_path / "keep.txt", tmp_path / ".tmp-link1234")

    glassnet.save({"w": glassnet.ones(2)}, tmp_path / "model.safetensors")
    left = sorted(os.listdir(tmp_path))
    assert not set(stale) & set(left)
    assert {fresh, *foreign, "keep.txt", ".tmp-dir12345", "model.safetensors"} <= set(left)
    if os.name == "posix":
        assert ".tmp-link1234" in left and (tmp_path / "keep.txt").read_text() == "mine"
    # "Stale" is older than STALE_AFTER_S: just younger stays, just older goes.
    _age(tmp_path / fresh, STALE_AFTER_S - 5)
    assert remove_stale_temp_files(tmp_path) == []
    _age(tmp_path / fresh, STALE_AFTER_S + 5)
    assert remove_stale_temp_files(tmp_path) == [fresh]


WRITER = textwrap.dedent(
    """
    import sys
    import glassnet.serialization as s

    def chunks():
        yield b"first part "
        print("writing", flush=True)
        sys.stdin.readline()  # wait, holding the temporary file open, until told or killed
        yield b"second part"

    s.atomic_write(sys.argv[1], chunks())
    print("done", flush=True)
    """
)


def _start_writer(target):
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stdout.readline().strip() == "writing"
    return proc


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_a_file_being_written_is_never_removed_and_a_killed_writes_file_is(tmp_path):
    target = tmp_path / "notes.txt"
    proc = _start_writer(target)
    try:
        (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-glassnet-")]
        _age(temp, 3600)  # old by its time stamp, but its writer is alive and holds the lock
        glassnet.save({"w": glassnet.ones(1)}, tmp_path / "other.safetensors")
        assert temp.exists()
        proc.stdin.write("go\n")  # the writer carries on unharmed
        proc.stdin.flush()
        assert proc.stdout.readline().strip() == "done" and proc.wait(timeout=30) == 0
    finally:
        proc.kill()
    assert target.read_bytes() == b"first part second part" and not temp.exists()

    proc = _start_writer(target)  # kill -9 in the middle of a write leaves the temporary file
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    (temp,) = [p for p in tmp_path.iterdir() if p.name.startswith(".tmp-glassnet-")]
    glassnet.save({"w": glassnet.ones(1)}, tmp_path / "other.safetensors")
    assert temp.exists()  # younger than STALE_AFTER_S: its writer might only be slow
    _age(temp, STALE_AFTER_S + 1)
    glassnet.save({"w": glassnet.ones(1)}, tmp_path / "other.safetensors")
    assert not temp.exists()
    assert target.read_bytes() == b"first part second part"  # the last good file is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "other.safetensors"]
    np.testing.assert_array_equal(glassnet.load(tmp_path / "other.safetensors")["w"].numpy(), [1])
