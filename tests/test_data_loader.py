"""Dataset, DataLoader, samplers and random_split: batching, shuffling, seeding, collation."""

import numpy as np
import pytest

import glassnet
from glassnet.data import (
    ConcatDataset,
    DataLoader,
    Dataset,
    Subset,
    TensorDataset,
    default_collate,
    random_split,
)


def _dataset(n=10):
    x = glassnet.arange(n * 2).float().reshape(n, 2)
    return TensorDataset(x, glassnet.arange(n))


def test_batches_cover_the_data_in_order():
    batches = list(DataLoader(_dataset(), batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert glassnet.cat([y for _, y in batches]).tolist() == list(range(10))
    assert len(DataLoader(_dataset(), batch_size=4)) == 3
    assert len(DataLoader(_dataset(), batch_size=4, drop_last=True)) == 2
    assert [len(y) for _, y in DataLoader(_dataset(), batch_size=4, drop_last=True)] == [4, 4]


def test_shuffle_is_a_permutation_and_repeats_under_manual_seed():
    def order(seed):
        glassnet.manual_seed(seed)
        loader = DataLoader(_dataset(), batch_size=3, shuffle=True)
        return [glassnet.cat([y for _, y in loader]).tolist() for _ in range(2)]

    first = order(1)
    assert sorted(first[0]) == list(range(10))
    assert first[0] != first[1], "each epoch draws a new order"
    assert first == order(1)
    assert first != order(2)


def test_rows_stay_paired_with_labels_when_shuffled():
    for x, y in DataLoader(_dataset(), batch_size=4, shuffle=True):
        np.testing.assert_array_equal(x.numpy()[:, 0], 2 * y.numpy())


class _Pairs(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"image": np.full((2, 2), i, dtype=np.float32), "label": i, "name": f"s{i}"}


def test_collate_dicts_arrays_numbers_and_strings():
    batch = next(iter(DataLoader(_Pairs(), batch_size=3)))
    assert batch["image"].shape == (3, 2, 2) and batch["image"].dtype == glassnet.float32
    assert batch["label"].tolist() == [0, 1, 2] and batch["label"].dtype == glassnet.int64
    assert batch["name"] == ["s0", "s1", "s2"]
    pair = default_collate([(1.5, glassnet.ones(2)), (2.5, glassnet.zeros(2))])
    assert pair[0].tolist() == [1.5, 2.5] and pair[1].shape == (2, 2)


def test_prefetch_gives_the_same_batches_and_passes_errors():
    plain = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=3)]
    fetched = [y.tolist() for _, y in DataLoader(_dataset(), batch_size=3, prefetch=True)]
    assert plain == fetched

    class Broken(_Pairs):
        def __getitem__(self, i):
            if i == 3:
                raise RuntimeError("bad sample 3")
            return super().__getitem__(i)

    with pytest.raises(RuntimeError, match="bad sample 3"):
        list(DataLoader(Broken(), batch_size=2, prefetch=True))


def test_random_split_subsets_and_concat():
    glassnet.manual_seed(0)
    a, b = random_split(_dataset(), [0.7, 0.3])
    assert (len(a), len(b)) == (7, 3)
    ids = sorted([s[1].item() for s in a] + [s[1].item() for s in b])
    assert ids == list(range(10))
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(_dataset(), [5, 4])
    sub = Subset(_dataset(), [4, 2])
    assert [s[1].item() for s in sub] == [4, 2]
    both = ConcatDataset([sub, _dataset(3)])
    assert len(both) == 5 and both[3][1].item() == 1


def test_tensor_dataset_checks_lengths():
    with pytest.raises(ValueError, match="tensor 1 has 3"):
        TensorDataset(glassnet.zeros(4), glassnet.zeros(3))
