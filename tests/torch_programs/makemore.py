"""The makemore MLP (Bengio et al. 2003) from the well-known tutorial, on the synthetic text.

Parameters are plain tensors drawn from torch.Generator().manual_seed(...); an embedding
table indexed as C[X], F.cross_entropy, and updates written by hand as p.data += -lr * p.grad.
"""

import numpy as np
import torch
import torch.nn.functional as F
from _common import arguments, text, write_losses


def main():
    args = arguments(steps=300, batch_size=64, block_size=3, lr=0.1, seed=2147483647)
    corpus = text(4000)
    chars = sorted(set(corpus))
    stoi = {s: i for i, s in enumerate(chars)}
    ids = [stoi[c] for c in corpus]
    X, Y = [], []
    for i in range(len(ids) - args.block_size):
        X.append(ids[i : i + args.block_size])
        Y.append(ids[i + args.block_size])
    X, Y = torch.tensor(np.array(X)), torch.tensor(np.array(Y))
    vocab = len(chars)

    g = torch.Generator().manual_seed(args.seed)
    C = torch.randn((vocab, 10), generator=g)
    W1 = torch.randn((args.block_size * 10, 100), generator=g) * 0.2
    b1 = torch.randn(100, generator=g) * 0.01
    W2 = torch.randn((100, vocab), generator=g) * 0.01
    b2 = torch.randn(vocab, generator=g) * 0
    parameters = [C, W1, b1, W2, b2]
    for p in parameters:
        p.requires_grad = True
    print(sum(p.nelement() for p in parameters), "parameters")

    losses = []
    for i in range(args.steps):
        ix = torch.randint(0, X.shape[0], (args.batch_size,), generator=g)
        emb = C[X[ix]]
        h = torch.tanh(emb.view(-1, args.block_size * 10) @ W1 + b1)
        logits = h @ W2 + b2
        loss = F.cross_entropy(logits, Y[ix])
        for p in parameters:
            p.grad = None
        loss.backward()
        lr = args.lr if i < 200 else args.lr / 10
        for p in parameters:
            p.data += -lr * p.grad
        losses.append(loss.item())
    with torch.no_grad():
        emb = C[X]
        h = torch.tanh(emb.view(-1, args.block_size * 10) @ W1 + b1)
        full = F.cross_entropy(h @ W2 + b2, Y).item()
    print(f"final batch loss {losses[-1]:.3f} full loss {full:.3f}")
    write_losses(args.out, losses, full=full)


if __name__ == "__main__":
    main()
