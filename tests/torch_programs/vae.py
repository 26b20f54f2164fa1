"""The pytorch/examples variational autoencoder (an MLP), on 8x8 digits.

Reparameterisation trick, binary cross-entropy summed plus the KL divergence.
"""

import torch
import torch.nn.functional as F
from _common import arguments, digits, write_losses
from torch import nn, optim


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    bce = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return bce + kld


def main():
    args = arguments(epochs=5, batch_size=128, lr=1e-2, seed=1)
    torch.manual_seed(args.seed)
    images, _ = digits()
    data = torch.from_numpy(images)
    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    losses = []
    for epoch in range(args.epochs):
        model.train()
        for start in range(0, len(data), args.batch_size):
            x = data[start : start + args.batch_size]
            optimizer.zero_grad()
            recon, mu, logvar = model(x)
            loss = loss_function(recon, x, mu, logvar)
            loss.backward()
            optimizer.step()
            losses.append(loss.item() / len(x))
    with torch.no_grad():
        sample = model.decode(torch.randn(16, 4)).view(16, 1, 8, 8)
    print(f"final loss per image {losses[-1]:.3f}, samples {tuple(sample.shape)}")
    write_losses(args.out, losses)


if __name__ == "__main__":
    main()
