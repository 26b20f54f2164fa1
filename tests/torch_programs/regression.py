"""The pytorch/examples polynomial regression: fit a degree-4 polynomial with a Linear layer.

Features are built with torch.cat, and the update is written by hand through param.data.
"""

import numpy as np
import torch
import torch.nn.functional as F
from _common import arguments, write_losses

POLY_DEGREE = 4
rng = np.random.default_rng(0)
W_target = torch.from_numpy(rng.standard_normal((POLY_DEGREE, 1)).astype(np.float32) * 5)
b_target = torch.from_numpy(rng.standard_normal(1).astype(np.float32) * 5)


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    return x.mm(W_target) + b_target.item()


def get_batch(batch_size=32):
    random = torch.from_numpy(rng.standard_normal(batch_size).astype(np.float32))
    x = make_features(random)
    return x, f(x)


def main():
    args = arguments(steps=300, lr=0.05, seed=1)
    torch.manual_seed(args.seed)
    fc = torch.nn.Linear(W_target.size(0), 1)
    losses = []
    for batch_idx in range(args.steps):
        batch_x, batch_y = get_batch()
        fc.zero_grad()
        output = F.smooth_l1_loss(fc(batch_x), batch_y)
        loss = output.item()
        output.backward()
        for param in fc.parameters():
            param.data.add_(-args.lr * param.grad)
        losses.append(loss)
    print(f"Loss: {loss:.6f} after {batch_idx + 1} batches")
    print("learned:", fc.weight.view(-1).tolist(), fc.bias.item())
    write_losses(args.out, losses)


if __name__ == "__main__":
    main()
