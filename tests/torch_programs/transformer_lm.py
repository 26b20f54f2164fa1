"""The transformer language model of pytorch/examples and the nn.Transformer tutorial.

nn.TransformerEncoder over character ids, a causal mask from generate_square_subsequent_mask,
and a PositionalEncoding module that keeps its table with register_buffer.
"""

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from _common import arguments, text, write_losses


class PositionalEncoding(nn.Module):
    def __init__(self, d_model, dropout=0.1, max_len=500):
        super().__init__()
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(max_len, d_model)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        pe = pe.unsqueeze(0).transpose(0, 1)
        self.register_buffer("pe", pe)

    def forward(self, x):
        x = x + self.pe[: x.size(0), :]
        return self.dropout(x)


class TransformerModel(nn.Module):
    def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.1):
        super().__init__()
        self.pos_encoder = PositionalEncoding(ninp, dropout)
        encoder_layers = nn.TransformerEncoderLayer(ninp, nhead, nhid, dropout)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.ninp = ninp
        self.decoder = nn.Linear(ninp, ntoken)
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, src, src_mask):
        src = self.encoder(src) * math.sqrt(self.ninp)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, src_mask)
        return F.log_softmax(self.decoder(output), dim=-1)


def main():
    args = arguments(epochs=5, bptt=24, batch_size=16, lr=3e-3, seed=1)
    torch.manual_seed(args.seed)
    corpus = text(3000)
    vocab = sorted(set(corpus))
    ids = torch.tensor(np.array([vocab.index(c) for c in corpus]), dtype=torch.long)
    nbatch = ids.size(0) // args.batch_size
    train_data = ids[: nbatch * args.batch_size].view(args.batch_size, -1).t().contiguous()
    ntokens = len(vocab)
    model = TransformerModel(ntokens, 32, 2, 64, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr)
    mask = nn.Transformer.generate_square_subsequent_mask(args.bptt)
    losses = []
    for epoch in range(args.epochs):
        model.train()
        for i in range(0, train_data.size(0) - 1 - args.bptt, args.bptt):
            data = train_data[i : i + args.bptt]
            targets = train_data[i + 1 : i + 1 + args.bptt].reshape(-1)
            optimizer.zero_grad()
            output = model(data, mask)
            loss = F.nll_loss(output.view(-1, ntokens), targets)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 0.5)
            optimizer.step()
            losses.append(loss.item())
    print(f"final loss {losses[-1]:.3f}")
    write_losses(args.out, losses)


if __name__ == "__main__":
    main()
