import numpy as np, torch, time, glassnet
from glassnet import nn
import glassnet.nn.functional as F
torch.set_num_threads(2)
def build(m):
    return m.Sequential(m.Conv2d(1, 6, 5, padding=2), m.ReLU(), m.MaxPool2d(2),
                        m.Conv2d(6, 16, 5), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                        m.Linear(400, 120), m.ReLU(), m.Linear(120, 84), m.ReLU(), m.Linear(84, 10))
rng=np.random.default_rng(0)
x=rng.standard_normal((64,1,28,28)).astype(np.float32); y=rng.integers(0,10,64)
tm=build(torch.nn); gm=build(nn)
tx,ty=torch.tensor(x),torch.tensor(y); gx,gy=glassnet.tensor(x),glassnet.tensor(y)
def tstep():
    tm.zero_grad(); loss=torch.nn.functional.cross_entropy(tm(tx),ty); loss.backward()
def gstep():
    gm.zero_grad(); loss=F.cross_entropy(gm(gx),gy); loss.backward()
def bench(f,n=30):
    for _ in range(3): f()
    ts=[]
    for _ in range(n):
        t=time.perf_counter(); f(); ts.append(time.perf_counter()-t)
    return min(ts)*1e3, np.median(ts)*1e3
for _ in range(2):
    a=bench(tstep); b=bench(gstep)
    print("torch %.2f/%.2f  glassnet %.2f/%.2f  ratio(min) %.2f"%(a+b+(b[0]/a[0],)))
import sys
from glassnet.ops.convolution import Convolution
for (N,C,H,W,O,k,p,s) in [(64,32,14,14,64,3,1,1),(64,32,28,28,64,3,1,1),(64,32,28,28,64,3,1,2),(64,1,28,28,6,5,2,1),(64,6,14,14,16,5,0,1)]:
    x=rng.standard_normal((N,C,H,W)).astype(np.float32); w=rng.standard_normal((O,C,k,k)).astype(np.float32); b=np.zeros(O,np.float32)
    tx_,tw,tb=[torch.tensor(a,requires_grad=True) for a in (x,w,b)]
    gx_,gw,gb=[glassnet.tensor(a,requires_grad=True) for a in (x,w,b)]
    G=np.ones(torch.nn.functional.conv2d(tx_,tw,tb,s,p).shape,np.float32)
    TG=torch.tensor(G); GG=glassnet.tensor(G)
    def ts():
        y=torch.nn.functional.conv2d(tx_,tw,tb,s,p); y.backward(TG)
    def gs():
        y=F.conv2d(gx_,gw,gb,s,p); y.backward(GG)
    a=bench(ts,10)[0]; b_=bench(gs,10)[0]
    print((N,C,H,W,O,k,p,s), "conv fwd+bwd torch %.2f ours %.2f ratio %.2f"%(a,b_,b_/a))
if "prof" in sys.argv:
    import cProfile, pstats
    cProfile.run("for _ in range(20): gstep()", "/tmp/prof")
    p=pstats.Stats("/tmp/prof"); p.sort_stats("tottime").print_stats(22)
