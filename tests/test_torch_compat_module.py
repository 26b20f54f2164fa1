"""Module attribute registration behaves as PyTorch's: the same class written against torch.nn
and glassnet.nn gives the same children, parameter, buffer and state_dict order, and the same
exception classes for assignments PyTorch refuses.

Each scenario is one function of ``(nn, lib)``, run once with ``(torch.nn, torch)`` and once
with ``(glassnet.nn, glassnet)``; PyTorch's observations are the oracle.
"""

import numpy as np
import pytest
import torch

import glassnet

FRAMEWORKS = {"torch": (torch.nn, torch), "glassnet": (glassnet.nn, glassnet)}


def outcome(fn, *args):
    """What ``fn(*args)`` did: ("ok", its value) or ("raises", the exception)."""
    try:
        return ("ok", fn(*args))
    except Exception as exc:  # noqa: BLE001 - the exception is the observation
        return ("raises", exc)


def keys(m):
    """Every order a user can observe on a module."""
    return {
        "children": [n for n, _ in m.named_children()],
        "modules": [n for n, _ in m.named_modules()],
        "parameters": [n for n, _ in m.named_parameters()],
        "buffers": [n for n, _ in m.named_buffers()],
        "state_dict": list(m.state_dict()),
        "_parameters": list(m._parameters),
        "_modules": list(m._modules),
        "_buffers": list(m._buffers),
    }


def assert_same_as_torch(scenario):
    want = outcome(scenario, *FRAMEWORKS["torch"])
    got = outcome(scenario, *FRAMEWORKS["glassnet"])
    if want[0] == "raises":
        assert got[0] == "raises", f"torch raised {want[1]!r}, glassnet returned {got[1]!r}"
        # glassnet's error may be more specific, but a user's `except` for torch's must catch it
        assert isinstance(got[1], type(want[1])), (got[1], want[1])
    else:
        assert got[0] == "ok", f"glassnet raised {got[1]!r}, torch returned {want[1]!r}"
        assert got[1] == want[1]


def base_classes(nn, lib):
    class Base(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Linear(4, 3)
            self.register_buffer("scale", lib.ones(3))
            self.register_buffer("cache", lib.zeros(2), persistent=False)
            self.gain = nn.Parameter(lib.ones(3))
            self.decoder = nn.Linear(3, 4)
            self.head = nn.Linear(4, 2)
            self.offset = nn.Parameter(lib.zeros(2))

        def forward(self, x):
            return self.head(self.decoder(self.encoder(x) * self.gain * self.scale)) + self.offset

    class Sub(Base):
        """Replaces, in a different order than Base made them, what Base registered."""

        def __init__(self):
            super().__init__()
            self.head = nn.Linear(5, 2)
            self.decoder = nn.Linear(3, 5)
            self.offset = nn.Parameter(lib.ones(2))
            self.gain = nn.Parameter(lib.ones(3) * 2)
            self.cache = lib.ones(2)  # a plain tensor re-assigned to a buffer stays one
            self.scale = lib.full((3,), 0.5)

        def forward(self, x):
            return self.head(self.decoder(self.encoder(x) * self.gain * self.scale)) + self.offset

    return Base, Sub


def test_reassigned_children_parameters_and_buffers_keep_their_place():
    def scenario(nn, lib):
        return keys(base_classes(nn, lib)[1]())

    assert_same_as_torch(scenario)
    got = keys(base_classes(glassnet.nn, glassnet)[1]())
    # Spelled out once, so the oracle itself is visibly PyTorch's documented rule.
    assert got["children"] == ["encoder", "decoder", "head"]
    assert got["state_dict"][:3] == ["gain", "offset", "scale"]


def test_non_persistent_buffer_stays_non_persistent_when_reassigned():
    def scenario(nn, lib):
        m = base_classes(nn, lib)[1]()
        return "cache" in m.state_dict(), [float(v) for v in m.cache]

    assert_same_as_torch(scenario)


def test_sequential_of_children_without_the_last_matches_torch():
    Base_t, Sub_t = base_classes(torch.nn, torch)
    Base_g, Sub_g = base_classes(glassnet.nn, glassnet)
    torch.manual_seed(0)
    tm = Sub_t()
    gm = Sub_g()
    gm.load_state_dict(tm.state_dict())  # the same names in the same order
    assert [type(c).__name__ for c in gm.children()] == [type(c).__name__ for c in tm.children()]
    trunk_t = torch.nn.Sequential(*list(tm.children())[:-1])
    trunk_g = glassnet.nn.Sequential(*list(gm.children())[:-1])
    assert list(trunk_g.state_dict()) == list(trunk_t.state_dict())
    x = np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32)
    with torch.no_grad():
        want = trunk_t(torch.from_numpy(x)).numpy()
    got = trunk_g(glassnet.tensor(x)).detach().numpy()
    assert got.shape == (6, 5)
    # Two float32 Linear layers of 4 and 3 terms: rounding below 1e-6 relative.
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    # And the whole model, whose forward reads the re-assigned parameters and buffers.
    with torch.no_grad():
        want = tm(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(gm(glassnet.tensor(x)).detach().numpy(), want, rtol=1e-5, atol=1e-6)


def test_weights_move_between_twins_in_order():
    # Weight exchange by position (zip of state_dict values), as conversion scripts do.
    tm = base_classes(torch.nn, torch)[1]()
    gm = base_classes(glassnet.nn, glassnet)[1]()
    for (tk, tv), (gk, gv) in zip(tm.state_dict().items(), gm.state_dict().items()):
        assert tk == gk and tuple(tv.shape) == tuple(gv.shape)


def test_assigning_none_keeps_the_name_registered():
    def scenario(nn, lib):
        m = base_classes(nn, lib)[0]()
        m.gain = None
        m.decoder = None
        m.scale = None
        out = keys(m)
        out["values"] = (m.gain, m.decoder, m.scale)
        m.gain = nn.Parameter(lib.zeros(1))  # the name comes back in its old place
        m.decoder = nn.Linear(1, 1)
        out["after"] = keys(m)
        return out

    assert_same_as_torch(scenario)


def test_del_removes_parameters_buffers_and_modules():
    def scenario(nn, lib):
        m = base_classes(nn, lib)[0]()
        del m.decoder, m.gain, m.scale, m.cache
        out = keys(m)
        out["hasattr"] = [hasattr(m, n) for n in ("decoder", "gain", "scale", "cache")]
        m.decoder = nn.Linear(3, 4)  # a deleted name registers anew, at the end
        out["after"] = keys(m)
        return out

    assert_same_as_torch(scenario)


def test_del_of_an_unknown_attribute_raises_attribute_error():
    def scenario(nn, lib):
        m = nn.Linear(2, 2)
        del m.no_such_thing

    assert_same_as_torch(scenario)


@pytest.mark.parametrize(
    "name, make",
    [
        ("decoder", lambda nn, lib: nn.Parameter(lib.ones(2))),  # module -> parameter: allowed
        ("gain", lambda nn, lib: nn.Linear(2, 2)),  # parameter -> module: allowed
        ("scale", lambda nn, lib: nn.Parameter(lib.ones(2))),  # buffer -> parameter
        ("scale", lambda nn, lib: nn.Linear(2, 2)),  # buffer -> module
        ("decoder", lambda nn, lib: lib.ones(2)),  # module -> tensor: TypeError
        ("gain", lambda nn, lib: lib.ones(3)),  # parameter -> plain tensor: TypeError
        ("gain", lambda nn, lib: 3.0),  # parameter -> number: TypeError
        ("decoder", lambda nn, lib: "linear"),  # module -> str: TypeError
        ("scale", lambda nn, lib: 1.0),  # buffer -> number: TypeError
        ("scale", lambda nn, lib: lib.zeros(5)),  # buffer -> tensor of another shape: allowed
        ("plain", lambda nn, lib: nn.Parameter(lib.ones(1))),  # plain attribute -> parameter
        ("plain", lambda nn, lib: nn.Linear(1, 1)),  # plain attribute -> module
        ("plain", lambda nn, lib: lib.ones(1)),  # plain attribute -> tensor: stays plain
    ],
)
def test_reassigning_a_name_with_another_kind_follows_torch(name, make):
    def scenario(nn, lib):
        m = base_classes(nn, lib)[0]()
        m.plain = 7
        setattr(m, name, make(nn, lib))
        out = keys(m)
        out["in_dict"] = name in m.__dict__
        return out

    assert_same_as_torch(scenario)


@pytest.mark.parametrize(
    "call",
    [
        lambda m, nn, lib: m.register_buffer("plain", lib.ones(1)),  # attribute exists
        lambda m, nn, lib: m.register_parameter("plain", nn.Parameter(lib.ones(1))),
        lambda m, nn, lib: m.add_module("plain", nn.Linear(1, 1)),
        lambda m, nn, lib: m.register_buffer("a.b", lib.ones(1)),
        lambda m, nn, lib: m.register_parameter("", nn.Parameter(lib.ones(1))),
        lambda m, nn, lib: m.register_parameter("w", lib.ones(1)),  # not a Parameter
        lambda m, nn, lib: m.register_buffer("b", [1.0]),  # not a tensor
        lambda m, nn, lib: m.add_module("x", 3),  # not a module
        lambda m, nn, lib: m.register_parameter(1, None),  # name not a string
        lambda m, nn, lib: m.register_buffer("gain", lib.ones(1)),  # a parameter's name
        lambda m, nn, lib: m.register_parameter("gain", None),  # its own name: fine
    ],
)
def test_register_calls_raise_as_torch(call):
    def scenario(nn, lib):
        m = base_classes(nn, lib)[0]()
        m.plain = 7
        call(m, nn, lib)
        return keys(m)

    assert_same_as_torch(scenario)


def test_assigning_before_super_init_raises_attribute_error():
    def scenario(nn, lib):
        class Early(nn.Module):
            def __init__(self):
                self.fc = nn.Linear(1, 1)
                super().__init__()

        Early()

    assert_same_as_torch(scenario)


def test_tied_weights_appear_once_in_parameters_and_twice_in_state_dict():
    def scenario(nn, lib):
        class Tied(nn.Module):
            def __init__(self):
                super().__init__()
                self.embed = nn.Embedding(5, 3)
                self.out = nn.Linear(3, 5, bias=False)
                self.out.weight = self.embed.weight

        m = Tied()
        return keys(m), m.out.weight is m.embed.weight

    assert_same_as_torch(scenario)


def test_shared_child_module_listed_once_but_saved_under_both_names():
    def scenario(nn, lib):
        shared = nn.Linear(2, 2)
        m = nn.Sequential(shared, nn.ReLU(), shared)
        return keys(m), len(list(m.parameters()))

    assert_same_as_torch(scenario)
