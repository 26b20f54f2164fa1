"""Train a 2-8-1 network on XOR with glassnet and print the loss falling and the predictions.

A single linear layer cannot separate XOR; one hidden layer with a non-linearity can.
Run: python examples/xor.py
"""

import glassnet
from glassnet import nn, optim


def main(epochs: int = 500, seed: int = 0) -> float:
    glassnet.manual_seed(seed)
    x = glassnet.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = glassnet.tensor([[0.0], [1.0], [1.0], [0.0]])
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    optimizer = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.BCEWithLogitsLoss()
    for epoch in range(epochs + 1):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            print(f"epoch {epoch:4d}  loss {loss.item():.4f}")
    with glassnet.no_grad():
        probs = model(x).sigmoid()
    for inputs, p in zip(x.tolist(), probs.tolist()):
        print(f"{inputs[0]:.0f} xor {inputs[1]:.0f} -> {p[0]:.3f}")
    return loss.item()


if __name__ == "__main__":
    main()
