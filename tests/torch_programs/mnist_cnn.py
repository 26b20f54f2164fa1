"""The pytorch/examples MNIST convnet, shrunk to scikit-learn's 8x8 digits.

Conv2d, max_pool2d, Dropout, log_softmax and nll_loss; Adadelta with a StepLR schedule.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from _common import arguments, digits, write_losses
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 2 * 2, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = self.dropout2(x)
        return F.log_softmax(self.fc2(x), dim=1)


def main():
    args = arguments(epochs=8, batch_size=64, lr=1.0, gamma=0.9, seed=1)
    torch.manual_seed(args.seed)
    images, labels = digits()
    data, target = torch.from_numpy(images[:1024]), torch.from_numpy(labels[:1024])
    model = Net()
    optimizer = torch.optim.Adadelta(model.parameters(), lr=args.lr)
    scheduler = StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses = []
    for epoch in range(args.epochs):
        model.train()
        for start in range(0, len(data), args.batch_size):
            x, y = data[start : start + args.batch_size], target[start : start + args.batch_size]
            optimizer.zero_grad()
            loss = F.nll_loss(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        scheduler.step()
    model.eval()
    with torch.no_grad():
        test_x, test_y = torch.from_numpy(images[1024:]), torch.from_numpy(labels[1024:])
        pred = model(test_x).argmax(dim=1, keepdim=True)
        accuracy = pred.eq(test_y.view_as(pred)).sum().item() / len(test_y)
    print(f"final loss {losses[-1]:.4f} test accuracy {accuracy:.3f}")
    write_losses(args.out, losses, accuracy=accuracy)


if __name__ == "__main__":
    main()
