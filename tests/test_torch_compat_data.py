"""glassnet.utils.data behaves as torch.utils.data: the same batches, lengths and errors for the
same program, and random samplers with the properties PyTorch's have (the random streams
themselves differ: each framework has its own generator)."""

import collections
import threading

import numpy as np
import pytest
import torch
import torch.utils.data as tdata

import glassnet
import glassnet.utils.data as gdata

LIBS = [(torch, tdata), (glassnet, gdata)]


def plain(x):
    """Batches as nested Python lists/dicts, comparable across frameworks."""
    if isinstance(x, (torch.Tensor, glassnet.Tensor)):
        return ("tensor", x.tolist(), tuple(x.shape))
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [type(x).__name__, [plain(v) for v in x]]
    return x


def outcome(fn):
    try:
        return ("ok", fn())
    except Exception as exc:  # noqa: BLE001 - the exception is the observation
        return ("raises", exc)


def assert_same_as_torch(scenario):
    want = outcome(lambda: scenario(*LIBS[0]))
    got = outcome(lambda: scenario(*LIBS[1]))
    if want[0] == "raises":
        assert got[0] == "raises", f"torch raised {want[1]!r}, glassnet gave {got[1]!r}"
        assert isinstance(got[1], type(want[1])), (got[1], want[1])
    else:
        assert got[0] == "ok", f"glassnet raised {got[1]!r}, torch gave {want[1]!r}"
        assert got[1] == want[1]


def make_classes(lib, data):
    class Squares(data.Dataset):
        def __init__(self, n):
            self.n = n

        def __len__(self):
            return self.n

        def __getitem__(self, i):
            return {"x": np.full(2, i, dtype=np.int64), "y": i * i}

    class Stream(data.IterableDataset):
        """The sharding pattern of PyTorch's IterableDataset documentation."""

        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = data.get_worker_info()
            if info is None:
                lo, hi = self.start, self.end
            else:
                per = -(-(self.end - self.start) // info.num_workers)
                lo = self.start + info.id * per
                hi = min(lo + per, self.end)
            return iter(range(lo, hi))

    return Squares, Stream


@pytest.mark.parametrize("n", [0, 1, 7, 8])
@pytest.mark.parametrize("batch_size", [1, 3, 8, None])
@pytest.mark.parametrize("drop_last", [False, True])
def test_map_dataset_batches_and_lengths(n, batch_size, drop_last):
    def scenario(lib, data):
        Squares, _ = make_classes(lib, data)
        loader = data.DataLoader(Squares(n), batch_size=batch_size, drop_last=drop_last)
        return len(loader), [plain(b) for b in loader]

    assert_same_as_torch(scenario)


@pytest.mark.parametrize("batch_size", [None, 1, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_iterable_dataset_batches(batch_size, drop_last):
    def scenario(lib, data):
        _, Stream = make_classes(lib, data)
        return [plain(b) for b in data.DataLoader(Stream(3, 13), batch_size, drop_last=drop_last)]

    assert_same_as_torch(scenario)


def test_iterable_dataset_len_and_chain():
    def scenario(lib, data):
        _, Stream = make_classes(lib, data)
        chained = Stream(0, 3) + Stream(10, 12)
        loader = data.DataLoader(data.ChainDataset([Stream(0, 2), Stream(5, 6)]), batch_size=2)
        return list(chained), [plain(b) for b in loader], outcome(lambda: len(Stream(0, 3)))[0]

    assert_same_as_torch(scenario)


def test_worker_sharded_iterable_dataset_gives_every_sample_once():
    # PyTorch with num_workers=0 is the oracle: glassnet's workers are one thread, so the
    # documented sharding pattern sees one worker and yields everything once.
    _, TStream = make_classes(torch, tdata)
    _, GStream = make_classes(glassnet, gdata)
    want = sorted(int(v) for b in tdata.DataLoader(TStream(3, 20), batch_size=4) for v in b)
    loader = gdata.DataLoader(GStream(3, 20), batch_size=4, num_workers=3)
    assert sorted(int(v) for b in loader for v in b) == want


def test_dataset_classes():
    def scenario(lib, data):
        a = data.TensorDataset(lib.arange(6), lib.arange(6) * 10)
        b = data.TensorDataset(lib.arange(3) + 100, lib.arange(3))
        cat = data.ConcatDataset([a, b])
        sub = data.Subset(cat, [7, 0, 8])
        return (
            len(cat),
            plain(cat[7]),
            plain(cat[-1]),
            plain([sub[i] for i in range(len(sub))]),
            len(a + b),
            plain(next(iter(data.DataLoader(sub, batch_size=3)))),
            plain(data.StackDataset(a[:3][0], b[:][1])[2]),
            data.StackDataset(img=[1, 2, 3], label=[4, 5, 6])[2],
        )

    assert_same_as_torch(scenario)


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, data: data.StackDataset([1, 2], [1, 2, 3]),  # lengths differ
        lambda lib, data: data.StackDataset([1], label=[2]),  # tuple and dict at once
        lambda lib, data: data.StackDataset(),
        lambda lib, data: data.ConcatDataset([data.TensorDataset(lib.arange(2))])[5],
    ],
)
def test_dataset_errors_match_torch(make):
    assert_same_as_torch(make)


def test_default_collate_structures():
    def scenario(lib, data):
        Point = collections.namedtuple("Point", "x y")
        samples = [
            {"a": np.array([1, 2]), "b": (3, Point(4, np.int64(5))), "c": "s1", "d": True},
            {"a": np.array([6, 7]), "b": (8, Point(9, np.int64(10))), "c": "s2", "d": False},
        ]
        out = data.default_collate(samples)
        return plain(out), type(out["b"][1]).__name__, plain(data.default_convert(samples[0]))

    assert_same_as_torch(scenario)


def test_sequential_and_batch_samplers():
    def scenario(lib, data):
        seq = data.SequentialSampler(range(7))
        return (
            list(seq),
            len(seq),
            list(data.BatchSampler(seq, 3, drop_last=False)),
            list(data.BatchSampler(seq, 3, drop_last=True)),
            len(data.BatchSampler(seq, 3, drop_last=False)),
            len(data.BatchSampler(seq, 3, drop_last=True)),
        )

    assert_same_as_torch(scenario)


@pytest.mark.parametrize("n, num_samples", [(5, None), (5, 3), (5, 12), (1, 4)])
def test_random_sampler_without_replacement_is_permutations(n, num_samples):
    def scenario(lib, data):
        g = lib.Generator().manual_seed(0)
        s = data.RandomSampler(range(n), num_samples=num_samples, generator=g)
        draws = list(s)
        k = len(draws)
        # The structure PyTorch documents: whole permutations, then a part of one.
        blocks = [sorted(draws[i : i + n]) for i in range(0, k - k % n, n)]
        rest = draws[k - k % n :]
        return len(s), k, blocks, len(set(rest)) == len(rest), all(0 <= i < n for i in rest)

    assert_same_as_torch(scenario)


def test_random_sampler_with_replacement():
    g = glassnet.Generator().manual_seed(0)
    s = gdata.RandomSampler(range(4), replacement=True, num_samples=4000, generator=g)
    draws = list(s)
    assert len(s) == len(draws) == 4000 and set(draws) <= {0, 1, 2, 3}
    counts = np.bincount(draws, minlength=4)
    # Each count is Binomial(4000, 1/4): std 27.4, so 6 sigma is 165.
    assert np.all(np.abs(counts - 1000) < 165)
    # With replacement, repeats are expected: 4000 draws of 4 values
    assert len(set(draws[:10])) < 10


def test_random_samplers_repeat_with_a_seeded_generator_and_vary_by_epoch():
    for make in (
        lambda g: gdata.RandomSampler(range(50), generator=g),
        lambda g: gdata.SubsetRandomSampler(list(range(100, 150)), generator=g),
        lambda g: gdata.WeightedRandomSampler(np.ones(50), 50, generator=g),
    ):
        a = make(glassnet.Generator().manual_seed(3))
        b = make(glassnet.Generator().manual_seed(3))
        first, second = list(a), list(a)
        assert first == list(b)
        # Two epochs of 50 draws agreeing by chance: probability below 1e-60.
        assert first != second


def test_subset_random_sampler_is_a_permutation_of_its_indices():
    def scenario(lib, data):
        g = lib.Generator().manual_seed(0)
        s = data.SubsetRandomSampler([3, 9, 4, 7], generator=g)
        return len(s), sorted(s)

    assert_same_as_torch(scenario)


def test_weighted_random_sampler():
    def scenario(lib, data):
        g = lib.Generator().manual_seed(0)
        zero = data.WeightedRandomSampler([0.0, 2.0, 0.0, 1.0], 30, generator=g)
        distinct = data.WeightedRandomSampler([1, 1, 1, 5], 4, replacement=False, generator=g)
        return len(zero), set(zero) <= {1, 3}, sorted(distinct)

    assert_same_as_torch(scenario)
    g = glassnet.Generator().manual_seed(1)
    draws = list(gdata.WeightedRandomSampler(glassnet.tensor([1.0, 3.0]), 8000, generator=g))
    # P(1) = 3/4: count std sqrt(8000 * 3/16) = 38.7, 6 sigma is 232.
    assert abs(draws.count(1) - 6000) < 232


@pytest.mark.parametrize(
    "make",
    [
        lambda lib, data: data.RandomSampler(range(3), replacement=1),
        lambda lib, data: data.RandomSampler(range(3), num_samples=0),
        lambda lib, data: data.RandomSampler(range(3), num_samples=2.5),
        lambda lib, data: data.BatchSampler(range(3), 0, False),
        lambda lib, data: data.BatchSampler(range(3), True, False),
        lambda lib, data: data.BatchSampler(range(3), 2, drop_last="no"),
        lambda lib, data: data.WeightedRandomSampler([[1.0, 2.0]], 2),
        lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 0),
        lambda lib, data: data.WeightedRandomSampler([1.0, 2.0], 2, replacement=0),
        lambda lib, data: data.DataLoader(range(3), num_workers=-1),
        lambda lib, data: data.DataLoader(range(3), timeout=-1),
        lambda lib, data: data.DataLoader(range(3), prefetch_factor=2),
        lambda lib, data: data.DataLoader(range(3), persistent_workers=True),
        lambda lib, data: data.DataLoader(range(3), sampler=[0, 1], shuffle=True),
        lambda lib, data: data.DataLoader(range(3), batch_sampler=[[0]], batch_size=2),
        lambda lib, data: data.DataLoader(range(3), batch_sampler=[[0]], drop_last=True),
        lambda lib, data: data.DataLoader(range(3), batch_size=None, drop_last=True),
        lambda lib, data: data.DataLoader(make_classes(lib, data)[1](0, 3), shuffle=True),
        lambda lib, data: data.DataLoader(make_classes(lib, data)[1](0, 3), sampler=[0]),
        lambda lib, data: data.DataLoader(make_classes(lib, data)[1](0, 3), batch_sampler=[[0]]),
    ],
)
def test_bad_arguments_raise_as_torch(make):
    assert_same_as_torch(make)


def test_loader_accepts_torchs_worker_arguments_and_gives_the_same_batches():
    x = glassnet.arange(20).float().reshape(10, 2)
    y = glassnet.arange(10)
    ds = gdata.TensorDataset(x, y)
    calls = []

    def init(worker_id):
        calls.append((worker_id, threading.current_thread() is not threading.main_thread()))
        info = gdata.get_worker_info()
        calls.append((info.id, info.num_workers, info.dataset is ds))

    def run(**kwargs):
        g = glassnet.Generator().manual_seed(5)
        loader = gdata.DataLoader(ds, 3, True, generator=g, drop_last=True, **kwargs)
        return len(loader), [(a.tolist(), b.tolist()) for a, b in loader]

    plain_run = run()
    threaded = run(
        num_workers=4,
        pin_memory=True,
        persistent_workers=True,
        prefetch_factor=3,
        worker_init_fn=init,
        timeout=5,
        multiprocessing_context="spawn",
        pin_memory_device="",
        in_order=True,
    )
    assert threaded == plain_run and plain_run[0] == 3 and len(plain_run[1]) == 3
    assert calls == [(0, True), (0, 1, True)]  # once per epoch, in the loading thread
    assert gdata.get_worker_info() is None  # and not outside it
    seen = sorted(i for _, b in plain_run[1] for i in b)
    assert len(set(seen)) == 9  # drop_last dropped one of 10 shuffled samples


def test_loader_errors_in_the_loading_thread_reach_the_caller():
    class Broken(gdata.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            if i == 2:
                raise KeyError("sample 2 is broken")
            return i

    with pytest.raises(KeyError, match="sample 2"):
        list(gdata.DataLoader(Broken(), batch_size=1, num_workers=2))


def test_breaking_out_of_a_threaded_loader_stops_its_thread():
    ds = gdata.TensorDataset(glassnet.arange(1000))
    before = threading.active_count()
    for _ in gdata.DataLoader(ds, batch_size=1, num_workers=1, prefetch_factor=1):
        break
    assert threading.active_count() == before


def test_random_split_and_its_fractions_match_torchs_sizes():
    def scenario(lib, data):
        g = lib.Generator().manual_seed(0)
        parts = data.random_split(range(10), [0.7, 0.2, 0.1], generator=g)
        whole = sorted(i for p in parts for i in p)
        return [len(p) for p in parts], whole

    assert_same_as_torch(scenario)
