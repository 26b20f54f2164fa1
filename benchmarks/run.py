"""The benchmark suite: full training steps of glassnet against PyTorch, NumPy and tinygrad.

Every workload (``benchmarks/workloads/``) builds the same model in each framework from the same
initial weights (PyTorch's ``state_dict`` copied into glassnet) and the same data. The peers run
in one process, interleaved (A B C A B C ...) after a warm-up, so a busy machine slows all of
them alike; each round times enough steps to last ``--round-s`` seconds, and the median over the
rounds is reported. Peak memory is measured per peer in a fresh subprocess: the growth of the
peak resident set (VmHWM, reset after set-up through /proc/self/clear_refs) over a few steps;
glassnet's compiled kernels are loaded in the set-up (``glassnet.kernels.preload``), as
PyTorch's libraries are by its import.

Threads: BLAS (OpenBLAS/MKL via threadpoolctl, and the *_NUM_THREADS variables set before NumPy
is imported) and PyTorch (``torch.set_num_threads``) both use ``--threads`` (2 by default).

Run: ``python -m benchmarks.run`` (everything), ``--quick`` (short), ``--only lenet,mlp``,
``--no-scaling``, ``--no-memory``, ``--repeat 3`` (three whole runs, interleaved across the
workloads: each row gets the median and min-max spread of the runs). Results go to
``benchmarks/results/<machine>.json`` (the thread count and clock join the name when not the
defaults), with the BLAS kernel that ran.
"""

from __future__ import annotations

import argparse
import os
import sys


def _threads_from_argv(argv):
    for i, a in enumerate(argv):
        if a == "--threads" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return "2"


# Before NumPy is imported: BLAS reads these once, at load.
_THREADS = _threads_from_argv(sys.argv)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _THREADS

# glassnet's commands keep freed memory for reuse (glassnet.backend.keep_freed_memory); the
# benchmark measures what a user of those commands gets, unless --glibc-defaults asks for the
# plain allocator (to measure what the setting buys). Set here so the memory probes inherit it.
os.environ["GLASSNET_KEEP_FREED_MEMORY"] = "0" if "--glibc-defaults" in sys.argv else "1"

import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from benchmarks.workloads import WORKLOADS, load  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")
TARGETS = {  # the most glassnet/PyTorch may be, per workload
    "xor": 0.10,
    "mlp": 0.85,
    "lenet": 1.0,
    "resnet": 1.3,
    "resnet_cl": 1.3,
    "lstm": 1.0,
    "gpt": 1.0,
    "mlp_infer": 0.5,
    "lenet_infer": 0.5,
}
PEERS = ("glassnet", "PyTorch", "NumPy", "tinygrad")
SCALING = {"mlp": (32, 64, 128, 256), "lenet": (16, 32, 64, 128)}
DEPTHS = (1, 2, 4)


def have_tinygrad():
    """None if tinygrad can run here, else the reason it is skipped."""
    import shutil

    try:
        import tinygrad  # noqa: F401
    except ImportError:
        return "tinygrad is not installed (pip install -r benchmarks/requirements.txt)"
    if shutil.which("clang") is None:
        return "tinygrad's CPU backend needs clang, which is not on PATH"
    return None


def machine():
    """What the numbers were measured on: CPU, cores, BLAS, library versions."""
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import torch

    import glassnet

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
        "glassnet": getattr(glassnet, "__version__", "dev"),
        "blas": blas_kernels(),
        "torch_blas": torch_blas(torch),
        "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
        "threads": int(_THREADS),
    }


def blas_kernels():
    """The BLAS libraries loaded in this process and the kernel each picked, from threadpoolctl:
    ``architecture`` is OpenBLAS's core name (the kernel set it chose for this CPU, or the one
    ``OPENBLAS_CORETYPE`` forced), which moves the matrix-product rows by several percent."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keys = ("internal_api", "version", "num_threads", "architecture", "threading_layer")
    out = []
    for d in threadpool_info():
        if d.get("user_api") == "blas":
            row = {k: d.get(k) for k in keys}
            row["library"] = os.path.basename(d.get("filepath") or "")
            out.append(row)
    return out


def torch_blas(torch):
    """PyTorch's own BLAS (linked into libtorch, so threadpoolctl does not list it)."""
    config = torch.__config__.show()
    for part in config.replace(",", "\n").splitlines():
        if part.strip().startswith("BLAS_INFO="):
            return part.strip().split("=", 1)[1]
    return "mkl" if torch.backends.mkl.is_available() else None


def machine_slug(info, clock="wall"):
    """The results file's name: the CPU and its cores, plus the thread count and clock when
    they are not the defaults (2 threads, wall clock), so different settings never merge."""
    words = "".join(c if c.isalnum() else "-" for c in info["cpu"].lower()).split("-")
    slug = "-".join(w for w in words if w) + f"-{info['cores']}cpu"
    if info["threads"] != 2:
        slug += f"-{info['threads']}thread"
    if clock != "wall":
        slug += f"-{clock}clock"
    return slug


def limit_threads(n):
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(n)
    except ImportError:
        pass
    import torch

    torch.set_num_threads(n)


CLOCK = time.perf_counter  # --clock cpu: time.process_time


def time_steps(step, n):
    start = CLOCK()
    for _ in range(n):
        step()
    return (CLOCK() - start) / n


def measure(peers, rounds, round_s, warmup_s):
    """Median seconds per step of each peer, interleaved over ``rounds``."""
    counts = {}
    for p in peers:  # warm up, and size each round to last about round_s
        time_steps(p.step, 2)
        n, spent = 1, 0.0
        while spent < warmup_s:
            t = time_steps(p.step, n)
            spent += t * n
            n = max(1, min(n * 2, int(warmup_s / max(t, 1e-9))))
        counts[p.name] = max(1, int(round_s / max(t, 1e-9)))
    times = {p.name: [] for p in peers}
    for _ in range(rounds):
        for p in peers:
            times[p.name].append(time_steps(p.step, counts[p.name]))
    return {name: statistics.median(ts) for name, ts in times.items()}


def summarize(runs):
    """Median and min-max spread over runs (each a dict peer -> median seconds of one run):
    the seconds per peer, and glassnet's ratio to PyTorch and NumPy, taken run by run (the two
    sides of a ratio always come from the same run, so shared slowdowns cancel)."""
    peers = list(runs[0])
    out = {
        "median_s": {p: statistics.median(r[p] for r in runs) for p in peers},
        "spread_s": {p: [min(r[p] for r in runs), max(r[p] for r in runs)] for p in peers},
        "runs_s": runs,
        "repeat": len(runs),
    }
    for peer in ("PyTorch", "NumPy"):
        if "glassnet" in peers and peer in peers:
            ratios = [r["glassnet"] / r[peer] for r in runs]
            out[f"ratio_{peer}"] = {
                "median": statistics.median(ratios),
                "min": min(ratios),
                "max": max(ratios),
            }
    return out


def fmt_spread(ratio):
    """``0.93 (0.90-0.97)``, or ``-`` where there is no ratio."""
    if ratio is None:
        return "-"
    if ratio["min"] == ratio["max"]:
        return f"{ratio['median']:.2f}"
    return f"{ratio['median']:.2f} ({ratio['min']:.2f}-{ratio['max']:.2f})"


def _rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def memory_probe(workload, peer, steps):
    """Run in a subprocess: peak RSS growth (MiB) over ``steps`` steps of one peer, from the
    moment its model is built (so gradients, optimizer state and activations count)."""
    peers = load(workload).build(peers=(peer,))
    p = peers[0]
    if peer == "glassnet":  # numba's one-time start, like PyTorch's import, is not the step's
        import glassnet.kernels

        glassnet.kernels.preload()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset VmHWM to the current RSS
    except OSError:
        pass
    before = _rss_kb("VmRSS:")
    for _ in range(steps):
        p.step()
    peak = _rss_kb("VmHWM:")
    print(json.dumps({"peak_growth_mib": (peak - before) / 1024}))


def peak_memory(workload, peer, steps):
    cmd = [sys.executable, "-m", "benchmarks.run", "--threads", _THREADS, "--memory-probe"]
    cmd += [workload, peer, str(steps)]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=root, timeout=600)
        return json.loads(out.stdout.strip().splitlines()[-1])["peak_growth_mib"]
    except Exception:  # noqa: BLE001 - a failed probe is reported as missing, not fatal
        return None


def fit_exponent(sizes, seconds):
    """The slope of log(time) against log(size): 1.0 means time grows linearly."""
    x, y = np.log(np.asarray(sizes, float)), np.log(np.asarray(seconds, float))
    return float(np.polyfit(x, y, 1)[0])


def fmt_ms(s):
    return "-" if s is None else (f"{s * 1e3:.3f}" if s < 0.01 else f"{s * 1e3:.2f}")


def fmt_ratio(a, b):
    return "-" if a is None or b is None else f"{a / b:.2f}"


def main_table(results):
    lines = [
        "| workload | glassnet ms | PyTorch ms | NumPy ms | tinygrad ms | glassnet/PyTorch "
        "| target | glassnet/NumPy | peak MiB (g / pt / np / tg) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, r in results.items():
        t, m = r["median_s"], r.get("peak_growth_mib", {})
        g, pt, npy, tg = (t.get(k) for k in PEERS)
        ratio = None if g is None or pt is None else g / pt
        target = TARGETS.get(name)
        verdict = "" if ratio is None else (" ok" if ratio <= target else " MISSED")
        mem = " / ".join("-" if m.get(k) is None else f"{m[k]:.0f}" for k in PEERS)
        if "ratio_PyTorch" in r:  # several runs: the median of the runs' ratios, and spread
            ratio = r["ratio_PyTorch"]["median"]
            verdict = " ok" if ratio <= target else " MISSED"
        lines.append(
            f"| {r['title']} | {fmt_ms(g)} | {fmt_ms(pt)} | {fmt_ms(npy)} | {fmt_ms(tg)} | "
            f"{fmt_spread(r.get('ratio_PyTorch')) if 'ratio_PyTorch' in r else fmt_ratio(g, pt)}"
            f" | <= {target}{verdict} | "
            f"{fmt_spread(r.get('ratio_NumPy')) if 'ratio_NumPy' in r else fmt_ratio(g, npy)}"
            f" | {mem} |"
        )
    return "\n".join(lines)


def readme_table(results):
    """The README's table: glassnet's ratios to PyTorch and NumPy (median of the runs, min-max
    spread) and the peak memory growth of glassnet and PyTorch."""
    lines = [
        "| workload | glassnet / PyTorch | glassnet / NumPy | peak MiB, glassnet / PyTorch |",
        "|---|---:|---:|---:|",
    ]
    for r in results.values():
        m = r.get("peak_growth_mib", {})
        mem = " / ".join("-" if m.get(k) is None else f"{m[k]:.0f}" for k in PEERS[:2])
        numpy = fmt_spread(r["ratio_NumPy"]) if "ratio_NumPy" in r else ""
        lines.append(f"| {r['title']} | {fmt_spread(r.get('ratio_PyTorch'))} | {numpy} | {mem} |")
    return "\n".join(lines)


def scaling_table(scaling):
    lines = [
        "| model | varied | points | glassnet ms | PyTorch ms | exponent glassnet | exponent "
        "PyTorch |",
        "|---|---|---|---|---|---:|---:|",
    ]
    for s in scaling.values():
        g, pt = s["glassnet"], s["PyTorch"]
        lines.append(
            f"| {s['workload']} | {s['varied']} | {', '.join(map(str, s['points']))} | "
            f"{', '.join(fmt_ms(v) for v in g)} | {', '.join(fmt_ms(v) for v in pt)} | "
            f"{fit_exponent(s['points'], g):.2f} | {fit_exponent(s['points'], pt):.2f} |"
        )
    return "\n".join(lines)


def run_scaling(names, rounds, round_s, warmup_s):
    out = {}
    for name in names:
        if name not in SCALING:
            continue
        module = load(name)
        for varied, points in (("batch", SCALING[name]), ("depth", DEPTHS)):
            series = {"glassnet": [], "PyTorch": []}
            for v in points:
                kw = {"batch": v} if varied == "batch" else {"depth": v}
                peers = module.build(peers=("glassnet", "PyTorch"), **kw)
                med = measure(peers, rounds, round_s, warmup_s)
                for k in series:
                    series[k].append(med[k])
                print(
                    f"  scaling {name} {varied}={v}: "
                    + ", ".join(f"{k} {fmt_ms(med[k])} ms" for k in series),
                    flush=True,
                )
            out[f"{name}-{varied}"] = {
                "workload": name,
                "varied": varied,
                "points": list(points),
                **series,
            }
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few short rounds")
    parser.add_argument(
        "--only", default="", help="comma-separated workloads: " + ",".join(WORKLOADS)
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run the interleaved rounds of every workload K times (K runs, interleaved across "
        "workloads) and report the median and the min-max spread of the K runs",
    )
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: process CPU time, robust on a busy machine (use with --threads 1: with more "
        "threads it also counts BLAS/OpenMP threads spinning)",
    )
    parser.add_argument(
        "--glibc-defaults",
        action="store_true",
        help="leave glibc's allocator settings alone (glassnet.backend.keep_freed_memory off)",
    )
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--no-tinygrad", action="store_true")
    parser.add_argument("--output", default=None, help="JSON path (default results/<machine>.json)")
    parser.add_argument(
        "--memory-probe", nargs=3, metavar=("WORKLOAD", "PEER", "STEPS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    limit_threads(args.threads)
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.memory_probe:
        w, p, n = args.memory_probe
        memory_probe(w, p, int(n))
        return
    names = [n for n in args.only.split(",") if n] or list(WORKLOADS)
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {unknown}; choose from {list(WORKLOADS)}")
    rounds = args.rounds or (3 if args.quick else 9)
    round_s, warmup_s = (0.15, 0.3) if args.quick else (0.5, 1.0)
    skip_tg = "skipped (--no-tinygrad)" if args.no_tinygrad else have_tinygrad()
    if skip_tg:
        print(f"tinygrad: {skip_tg}")
    info = machine()
    print(
        f"machine: {info['cpu']}, {info['cores']} cores, {args.threads} threads, "
        f"BLAS {[(b.get('internal_api'), b.get('architecture')) for b in info['blas']]} "
        f"(OPENBLAS_CORETYPE={info['openblas_coretype']}), PyTorch BLAS {info['torch_blas']}",
        flush=True,
    )
    allowed = tuple(p for p in PEERS if not (p == "tinygrad" and skip_tg))
    runs = {name: [] for name in names}
    # Repeats are interleaved across workloads (all rows once, then all rows again), with the
    # peers rebuilt each time, so a burst of load on the machine hits one run of many rows
    # rather than every run of one row.
    for rep in range(args.repeat):
        for name in names:
            peers = load(name).build(peers=allowed)
            med = measure(peers, rounds, round_s, warmup_s)
            runs[name].append(med)
            tag = f" (run {rep + 1}/{args.repeat})" if args.repeat > 1 else ""
            print(
                f"{name}{tag}: " + ", ".join(f"{k} {fmt_ms(v)} ms" for k, v in med.items()),
                flush=True,
            )
            del peers
    results = {}
    for name in names:
        module = load(name)
        r = {"title": module.TITLE, **summarize(runs[name]), "rounds": rounds}
        if not args.no_memory:
            steps = 2 if args.quick else 5
            r["peak_growth_mib"] = {p: peak_memory(name, p, steps) for p in runs[name][0]}
        results[name] = r
    scaling = {}
    if not args.no_scaling:
        scaling = run_scaling(names, max(3, rounds // 2), round_s / 2, warmup_s / 2)
    print("\nMedian time per training step (inference: per forward), same process, interleaved\n")
    print(main_table(results))
    print("\nFor the README (ratio: median of the runs' ratios, min-max in brackets)\n")
    print(readme_table(results))
    if scaling:
        print(
            "\nScaling: step time as batch size and depth double; exponent = fitted slope of "
            "log(time) on log(size)\n"
        )
        print(scaling_table(scaling))
    path = args.output or os.path.join(RESULTS, machine_slug(info, args.clock) + ".json")
    old = {}
    if os.path.exists(path):
        with open(path) as f:
            old = json.load(f)
        previous = old.get("machine", {})
        if (previous.get("cpu"), previous.get("threads"), old.get("clock")) != (
            info["cpu"],
            info["threads"],
            args.clock,
        ):
            old = {}  # never mix machines or settings
    old.setdefault("results", {}).update(results)
    old.setdefault("scaling", {}).update(scaling)
    old["machine"] = info
    old["quick"] = args.quick
    old["clock"] = args.clock
    old["time"] = time.strftime("%Y-%m-%d %H:%M:%S")
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = path + ".partial"  # written whole, then renamed: never a half-written file
    with open(partial, "w") as f:
        json.dump(old, f, indent=1)
    os.replace(partial, path)
    print(f"\nwrote {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
