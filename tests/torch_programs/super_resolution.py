"""The pytorch/examples super-resolution network (ESPCN): convolutions and nn.PixelShuffle.

Upscales 4x4 digits (2x2 average-pooled) back to 8x8, trained with MSE.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.init as init
from _common import arguments, digits, write_losses


class Net(nn.Module):
    def __init__(self, upscale_factor):
        super().__init__()
        self.relu = nn.ReLU()
        self.conv1 = nn.Conv2d(1, 32, (5, 5), (1, 1), (2, 2))
        self.conv2 = nn.Conv2d(32, 32, (3, 3), (1, 1), (1, 1))
        self.conv3 = nn.Conv2d(32, 16, (3, 3), (1, 1), (1, 1))
        self.conv4 = nn.Conv2d(16, upscale_factor**2, (3, 3), (1, 1), (1, 1))
        self.pixel_shuffle = nn.PixelShuffle(upscale_factor)
        self._initialize_weights()

    def forward(self, x):
        x = self.relu(self.conv1(x))
        x = self.relu(self.conv2(x))
        x = self.relu(self.conv3(x))
        return self.pixel_shuffle(self.conv4(x))

    def _initialize_weights(self):
        init.orthogonal_(self.conv1.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv2.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv3.weight, init.calculate_gain("relu"))
        init.orthogonal_(self.conv4.weight)


def main():
    args = arguments(epochs=3, batch_size=64, lr=3e-3, seed=1)
    torch.manual_seed(args.seed)
    images, _ = digits()
    target = torch.from_numpy(images[:1024])
    source = F.avg_pool2d(target, 2)
    model = Net(upscale_factor=2)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for epoch in range(args.epochs):
        for start in range(0, len(target), args.batch_size):
            x, y = source[start : start + args.batch_size], target[start : start + args.batch_size]
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
    with torch.no_grad():
        nearest = F.interpolate(source, scale_factor=2, mode="nearest")
        baseline = criterion(nearest, target).item()
        mse = criterion(model(source), target).item()
    psnr = 10 * torch.log10(torch.tensor(1.0 / mse)).item()
    print(f"final loss {losses[-1]:.5f} mse {mse:.5f} nearest {baseline:.5f} psnr {psnr:.2f} dB")
    write_losses(args.out, losses, nearest=baseline)


if __name__ == "__main__":
    main()
