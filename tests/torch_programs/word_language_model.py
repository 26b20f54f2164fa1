"""The pytorch/examples word language model (character level here): Embedding, LSTM, Linear.

Truncated backpropagation through time: the hidden state is detached between batches, the
gradient norm is clipped, and the update is plain SGD written by hand on p.data.
"""

import numpy as np
import torch
import torch.nn as nn
from _common import arguments, text, write_losses


class RNNModel(nn.Module):
    def __init__(self, ntoken, ninp, nhid, nlayers, dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid, nlayers, dropout=dropout)
        self.decoder = nn.Linear(nhid, ntoken)
        self.nhid, self.nlayers = nhid, nlayers
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        return self.decoder(output), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (
            weight.new_zeros(self.nlayers, bsz, self.nhid),
            weight.new_zeros(self.nlayers, bsz, self.nhid),
        )


def batchify(data, bsz):
    nbatch = data.size(0) // bsz
    data = data.narrow(0, 0, nbatch * bsz)
    return data.view(bsz, -1).t().contiguous()


def repackage_hidden(h):
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


def main():
    args = arguments(epochs=8, bptt=20, batch_size=16, lr=10.0, clip=0.5, seed=1)
    torch.manual_seed(args.seed)
    corpus = text(3000)
    vocab = sorted(set(corpus))
    ids = torch.tensor(np.array([vocab.index(c) for c in corpus]), dtype=torch.long)
    train_data = batchify(ids, args.batch_size)
    ntokens = len(vocab)
    model = RNNModel(ntokens, 16, 32, 2)
    criterion = nn.CrossEntropyLoss()
    losses = []
    for epoch in range(args.epochs):
        model.train()
        hidden = model.init_hidden(args.batch_size)
        for i in range(0, train_data.size(0) - 1, args.bptt):
            seq_len = min(args.bptt, len(train_data) - 1 - i)
            data, targets = train_data[i : i + seq_len], train_data[i + 1 : i + 1 + seq_len]
            targets = targets.reshape(-1)
            model.zero_grad()
            hidden = repackage_hidden(hidden)
            output, hidden = model(data, hidden)
            loss = criterion(output.view(-1, ntokens), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            for p in model.parameters():
                p.data.add_(p.grad, alpha=-args.lr)
            losses.append(loss.item())
    print(f"final loss {losses[-1]:.3f} ppl {np.exp(losses[-1]):.2f}")
    write_losses(args.out, losses)


if __name__ == "__main__":
    main()
