"""One browser tab's session: its run, its own random state, and the pictures the page draws.

Sessions share one process and glassnet has one global random generator, so a session keeps
its own generator state and swaps it in around every piece of work (``_own_rng``): two tabs
never disturb each other's dropout masks or initial weights.

>>> s = Session()
>>> s.configure({"dataset": "xor", "hidden": [3]})
>>> s.train(4)
>>> p = s.update()
>>> p["step"], len(p["heatmap"]["values"]), p["grid"]
(4, 1600, 40)
"""

from __future__ import annotations

import contextlib
import math
import time

import numpy as np

import glassnet
from glassnet import nn
from glassnet.playground.recipe import ACTIVATIONS, VIEW, PlaygroundRun, features
from glassnet.playground.settings import SettingsError, grid_size, parse_csv, validate

NEURON_GRID = 16  # each neuron's small heat map
DOCTOR_EVERY = 100  # steps between two doctor checks
# A hidden layer's output is read after its activation module.
_ACTIVATION_TYPES = tuple(ACTIVATIONS.values())


def _grid_points(n):
    # Row-major from the top-left corner of the view (x1 grows to the right, x2 upwards).
    c = (np.arange(n) + 0.5) / n * 2 * VIEW - VIEW
    x1, x2 = np.meshgrid(c, c[::-1])
    return np.stack([x1.ravel(), x2.ravel()], 1).astype(np.float32)


def _round(a, digits=3):
    return np.round(np.asarray(a, dtype=np.float64), digits).tolist()


class _LayerOutputs:
    """``model``'s output and each hidden layer's activations (after its activation module)."""

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        hidden = []
        for m in self.model:
            x = m(x)
            if isinstance(m, _ACTIVATION_TYPES):
                hidden.append(x)
        return x, tuple(hidden)


class Session:
    """The state behind one WebSocket: settings, run, play flag, loss history, findings."""

    def __init__(self):
        self.run = None
        self.playing = False
        self.grid = 40
        self.points = None  # the last CSV uploaded
        self.findings = []
        self.history = []
        self._rng_state = None
        self._last_doctor = 0
        self._infer = None  # (run, CompiledInference of its layers' outputs)

    @contextlib.contextmanager
    def _own_rng(self):
        outer = glassnet.get_rng_state()
        if self._rng_state is not None:
            glassnet.set_rng_state(self._rng_state)
        try:
            yield
        finally:
            self._rng_state = glassnet.get_rng_state()
            glassnet.set_rng_state(outer)

    # ------------------------------------------------------------------ settings and data
    def configure(self, cfg: dict):
        """Build a fresh run from the page's settings (raises SettingsError, keeps the old run)."""
        if not isinstance(cfg, dict):
            raise SettingsError("config must be an object of settings")
        settings = validate(cfg, self.points)
        grid = grid_size(cfg)
        self._rng_state = None
        with self._own_rng():
            run = PlaygroundRun(settings)
        self.run, self.grid, self.playing = run, grid, False
        self.history, self.findings, self._last_doctor = [], [], 0
        self.history.append((0, *run.losses()))

    def reset(self):
        if self.run is None:
            raise SettingsError("nothing to reset yet: send the settings first")
        cfg = dict(self.run.settings, grid=self.grid)
        cfg.pop("points")  # a CSV's points come back from self.points
        self.configure(cfg)

    def upload_csv(self, text: str, problem: str):
        self.points = parse_csv(text, problem)
        return len(self.points)

    # ------------------------------------------------------------------ training
    def train(self, n: int, budget_s: float | None = None):
        """``n`` steps (fewer when ``budget_s`` seconds run out); stops playing on NaN and
        raises a SettingsError that says what to change."""
        if self.run is None:
            raise SettingsError("send the settings before training")
        start = time.perf_counter()
        # Overflow warnings from a blown-up run are reported below, in words, not in the log.
        with self._own_rng(), np.errstate(all="ignore"):
            for _ in range(n):
                self.run.step()
                if budget_s is not None and time.perf_counter() - start > budget_s:
                    break
        train, test = self.run.losses()
        self.history.append((self.run.step_count, train, test))
        if not math.isfinite(train):
            self.playing = False
            lr = self.run.settings["learning_rate"]
            raise SettingsError(
                f"the training loss became {train} at step {self.run.step_count}: the weights "
                f"blew up. The learning rate {lr:g} is far too large for "
                f"{self.run.settings['optimizer']}; lower it (0.03 is a good start) and press reset"
            )
        if self.run.step_count - self._last_doctor >= DOCTOR_EVERY:
            self._last_doctor = self.run.step_count
            self.findings = self.doctor()

    def doctor(self) -> list:
        """The doctor's findings on a copy of the model trained a few steps from here."""
        from glassnet.doctor import check

        r = self.run
        outer = glassnet.get_rng_state()
        try:
            report = check(
                r.model,
                r.loss_fn,
                (r.x_train, r.y_train),
                r.optimizer,
                steps=10,
                batch_size=r.settings["batch_size"],
            )
        except Exception as e:  # the doctor must never stop a session
            return [{"code": "doctor_failed", "title": "doctor could not run", "seen": str(e)}]
        finally:
            glassnet.set_rng_state(outer)
        keep = ("code", "title", "seen", "remedy", "layer")
        return [{k: f.to_dict()[k] for k in keep} for f in report.findings]

    # ------------------------------------------------------------------ pictures
    def data(self) -> dict:
        """The points (view coordinates), sent once per reset."""
        x_tr, y_tr, x_te, y_te = self.run.points
        return {
            "type": "data",
            "train": [[*_round(p, 3), float(v)] for p, v in zip(x_tr, y_tr)],
            "test": [[*_round(p, 3), float(v)] for p, v in zip(x_te, y_te)],
            "classification": self.run.classification,
            "view": VIEW,
        }

    def _layer_outputs(self, pts):
        """The network's output and each hidden layer's activations at ``pts``."""
        r = self.run
        if self._infer is None or self._infer[0] is not r:
            # compiled inference: the heat-map grid and the neurons' grid are recorded once
            # each and replayed on every redraw (eager, with the reason logged, if it can't be)
            from glassnet.serve.compiled import CompiledInference

            self._infer = (r, CompiledInference(_LayerOutputs(r.model), "playground network"))
        r.model.eval()
        out, hidden = self._infer[1](glassnet.tensor(features(pts, r.settings["features"])))
        return out.numpy(), [h.numpy() for h in hidden]

    def update(self) -> dict:
        """What the page redraws: losses, heat maps, neurons, weights, gradient norms."""
        r = self.run
        out, _ = self._layer_outputs(_grid_points(self.grid))
        if r.classification:
            z = out - out.max(1, keepdims=True)
            p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
            heat = {"kind": "binary", "values": _round(p[:, 1] * 2 - 1, 3)}
            if p.shape[1] > 2:
                heat = {
                    "kind": "classes",
                    "values": p.argmax(1).tolist(),
                    "confidence": _round(p.max(1), 2),
                }
        else:
            heat = {"kind": "regression", "values": _round(out[:, 0], 3)}
        small = _grid_points(NEURON_GRID)
        _, hidden = self._layer_outputs(small)
        inputs = features(small, r.settings["features"])
        linears = [m for m in r.model if isinstance(m, nn.Linear)]
        grads = []
        for i, m in enumerate(linears):
            g = m.weight.grad
            grads.append(
                {
                    "layer": f"Linear {i + 1}",
                    "norm": float(np.linalg.norm(g.numpy())) if g is not None else 0.0,
                }
            )
        step, train, test = self.history[-1]
        return {
            "type": "update",
            "step": step,
            "train_loss": train,
            "test_loss": test,
            "grid": self.grid,
            "heatmap": heat,
            "neuron_grid": NEURON_GRID,
            "inputs": [_round(inputs[:, j], 3) for j in range(inputs.shape[1])],
            "neurons": [[_round(h[:, j], 3) for j in range(h.shape[1])] for h in hidden],
            "weights": [_round(m.weight.detach().numpy(), 4) for m in linears],
            "grad_norms": grads,
            "findings": self.findings,
            "doctor_step": self._last_doctor,
            "playing": self.playing,
        }
