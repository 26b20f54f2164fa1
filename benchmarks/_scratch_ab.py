# temporary scratch for a device measurement; deleted afterwards
import sys, time
import glassnet
if sys.argv[1] == 'patched':
    exec(open('benchmarks/_scratch_patch.py').read())
from benchmarks import overhead as o
w = o.initial_weights()
m = o.GlassnetMLP(w)
def best(m, r=15, n=300):
    ts = []
    for _ in range(r):
        m.reset(w)
        s = time.perf_counter()
        for _ in range(n): m.step()
        ts.append((time.perf_counter() - s) / n * 1e6)
    ts.sort()
    return f"min {ts[0]:.1f} med {ts[len(ts)//2]:.1f}"
for _ in range(300): m.step()
print(sys.argv[1], 'glassnet', best(m), 'numpy', best(o.NumpyMLP(w)))
if len(sys.argv) > 2:
    import cProfile, pstats
    pr = cProfile.Profile(); pr.runcall(o.time_steps, m, 3000)
    pstats.Stats(pr).sort_stats('tottime').print_stats(22)
