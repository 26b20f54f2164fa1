"""An RNN classifier over image rows, as in the recurrent MNIST tutorials: GRU, batch_first."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from _common import arguments, digits, write_losses


class Net(nn.Module):
    def __init__(self, kind="GRU"):
        super().__init__()
        cell = getattr(nn, kind)
        self.rnn = cell(input_size=8, hidden_size=32, num_layers=1, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = x.squeeze(1)  # (batch, rows, columns): one row per time step
        output, hidden = self.rnn(x)
        return F.log_softmax(self.fc(output[:, -1, :]), dim=1)


def main():
    args = arguments(epochs=4, batch_size=64, lr=1e-2, seed=1, kind="GRU")
    torch.manual_seed(args.seed)
    images, labels = digits()
    data, target = torch.from_numpy(images), torch.from_numpy(labels)
    model = Net(args.kind)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for epoch in range(args.epochs):
        perm = torch.from_numpy(
            __import__("numpy").random.default_rng(epoch).permutation(len(data))
        )
        for start in range(0, len(data), args.batch_size):
            idx = perm[start : start + args.batch_size]
            optimizer.zero_grad()
            loss = F.nll_loss(model(data[idx]), target[idx])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        correct = (model(data).argmax(1) == target).float().mean().item()
    print(f"final loss {losses[-1]:.4f} train accuracy {correct:.3f}")
    write_losses(args.out, losses, accuracy=correct)


if __name__ == "__main__":
    main()
