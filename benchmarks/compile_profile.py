"""Where a compiled replay spends its time: each plan step of the ``benchmarks.compile`` rows.

For each row the compiled function is recorded, then its plan's steps are run in order many
times with the process CPU clock read around each one; the table shows the median µs of every
step beside the whole call, the replay's steps alone, and the hand-written NumPy row (the same
array calls with no framework around them: the floor of what the steps' array math costs).
``whole call - steps`` is the wrapper (signature key, slot list, output Tensor).

Run: ``python -m benchmarks.compile_profile`` (``--calls 500``).
"""

from __future__ import annotations

import argparse
import statistics
import time

import glassnet
from benchmarks import compile as bench


def _compiled_of(impl):
    """The Compiled object behind a row's "glassnet compiled" implementation, and its args."""
    if hasattr(impl, "_step"):
        return impl._step, [impl.x, impl.y], True
    return impl.fn.__closure__[0].cell_contents, [impl.x], False


def _per_call(fn, calls):
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e6


def profile(make, calls):
    impls = make()
    compiled_impl, numpy_impl = impls[1], impls[3]
    compiled, args, grad = _compiled_of(compiled_impl)
    for _ in range(20):
        compiled_impl.call()
    plan = compiled.last_plan
    clock = time.process_time
    per_step = [[] for _ in plan.steps]
    with glassnet.enable_grad() if grad else glassnet.no_grad():
        for _ in range(5):
            env = [None] * plan.n_slots
            for slot, t in zip(plan.input_slots, args):
                env[slot] = t._data
            totals = [0.0] * len(plan.steps)
            step_runs = [step.runs for step in plan.steps]  # a lowered step: its calls
            for _ in range(calls):
                if plan.template is not None:
                    env = plan.template.copy()
                    for slot, t in zip(plan.input_slots, args):
                        env[slot] = t._data
                for slot, t in plan.externals:
                    env[slot] = t._data
                for i, runs in enumerate(step_runs):
                    start = clock()
                    for run in runs:
                        run(env, args)
                    totals[i] += clock() - start
            for i, total in enumerate(totals):
                per_step[i].append(total / calls * 1e6)
    whole = statistics.median(_per_call(compiled_impl.call, calls) for _ in range(5))
    floor = statistics.median(_per_call(numpy_impl.call, calls) for _ in range(5))
    medians = [statistics.median(ts) for ts in per_step]
    steps = sum(medians)
    print(f"\n{plan.explain().splitlines()[0]}")
    print(f"whole call {whole:.1f} µs, its steps {steps:.1f} µs, NumPy by hand {floor:.1f} µs")
    print("(the clock read around each step adds about 0.3 µs to each)\n")
    print("| µs | % of steps | step |")
    print("|---:|---:|---|")
    for us, step in zip(medians, plan.steps):
        text = step.text.split("\n")
        calls = " ; ".join(line.split("| ", 1)[1] for line in text[1:])
        line = text[0][:90] + (f" => {calls}" if calls else "")
        print(f"| {us:.2f} | {100 * us / steps:.0f} | {line[:220]} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args(argv)
    from benchmarks.mlp import set_threads

    print(set_threads(1))
    for make in (bench.xor_row, bench.mlp_row, bench.lenet_row):
        profile(make, args.calls)


if __name__ == "__main__":
    main()
