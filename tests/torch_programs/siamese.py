"""A siamese network on pairs of digits (same class or not), as in pytorch/examples.

One small CNN embeds both images; the pair's similarity goes through a Linear head to one
logit, trained with BCEWithLogitsLoss. A distance-based variant is printed for comparison.
"""

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from _common import arguments, digits, write_losses


class SiameseNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.cnn = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((2, 2)),
        )
        self.fc = nn.Sequential(nn.Linear(64, 32), nn.ReLU(inplace=True), nn.Linear(32, 16))
        self.head = nn.Linear(16, 1)

    def forward_once(self, x):
        return self.fc(torch.flatten(self.cnn(x), 1))

    def forward(self, input1, input2):
        output1, output2 = self.forward_once(input1), self.forward_once(input2)
        return self.head(torch.abs(output1 - output2)).squeeze(1), output1, output2


def make_pairs(images, labels, n, rng):
    first = rng.integers(len(images), size=n)
    same = rng.random(n) < 0.5
    second = np.empty(n, dtype=np.int64)
    for k in range(n):
        pool = np.flatnonzero((labels == labels[first[k]]) == same[k])
        second[k] = pool[rng.integers(len(pool))]
    return images[first], images[second], same.astype(np.float32)


def main():
    args = arguments(steps=100, batch_size=64, lr=3e-3, seed=1)
    torch.manual_seed(args.seed)
    images, labels = digits()
    rng = np.random.default_rng(0)
    model = SiameseNetwork()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    criterion = nn.BCEWithLogitsLoss()
    losses = []
    for step in range(args.steps):
        a, b, y = (torch.from_numpy(v) for v in make_pairs(images, labels, args.batch_size, rng))
        optimizer.zero_grad()
        logits, _, _ = model(a, b)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    with torch.no_grad():
        a, b, y = (torch.from_numpy(v) for v in make_pairs(images, labels, 200, rng))
        logits, e1, e2 = model(a, b)
        accuracy = ((logits > 0).float() == y).float().mean().item()
        cosine = F.cosine_similarity(e1, e2)
        distance = F.pairwise_distance(e1, e2)
    print(f"final loss {losses[-1]:.4f} pair accuracy {accuracy:.3f}")
    print(
        f"mean cosine same {cosine[y == 1].mean().item():.3f} other {cosine[y == 0].mean().item():.3f}"
    )
    print(f"mean distance same {distance[y == 1].mean().item():.3f}")
    write_losses(args.out, losses, accuracy=accuracy)


if __name__ == "__main__":
    main()
