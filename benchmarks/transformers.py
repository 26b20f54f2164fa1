"""Transformers against PyTorch + Hugging Face transformers, same weights, same inputs:

- BERT-mini training step: BertForSequenceClassification, 4 layers, d 256, 4 heads, FFN 1024,
  BERT's 30522-token vocabulary, sequence 128, batch 8, AdamW (dropout off so both compute the
  same thing); target: glassnet <= 1.0x PyTorch.
- GPT batch-1 greedy generation with the KV cache: GPT2LMHeadModel, 4 layers, d 256, 4 heads,
  vocab 8000, a 16-token prompt and 64 new tokens; target: glassnet <= 0.7x PyTorch per token.
  The generated tokens are checked to be identical.

The peers run interleaved (A B A B ...) after a warm-up and the medians are compared, so a busy
machine slows both alike; ``--clock cpu`` times process CPU time (fair on a shared machine with
``--threads 1``). Run: ``python -m benchmarks.transformers [--rounds 5] [--threads 1]``.
"""

from __future__ import annotations

import argparse
import statistics
import time


def _import_torch():
    import torch

    real = torch.library.register_fake  # see tests/conftest.py: torchvision beside CPU torch
    torch.library.register_fake = lambda *a, **k: lambda fn=None, /, *aa, **kk: fn
    try:
        import torchvision  # noqa: F401
    except ImportError:
        pass
    finally:
        torch.library.register_fake = real
    import transformers

    return torch, transformers


BERT_MINI = dict(vocab_size=30522, hidden_size=256, num_hidden_layers=4, num_attention_heads=4,
                 intermediate_size=1024, max_position_embeddings=512, hidden_dropout_prob=0.0,
                 attention_probs_dropout_prob=0.0)  # fmt: skip
GPT = dict(vocab_size=8000, n_embd=256, n_layer=4, n_head=4, n_positions=128, resid_pdrop=0.0,
           embd_pdrop=0.0, attn_pdrop=0.0, bos_token_id=0, eos_token_id=0)  # fmt: skip


def bert_twins(torch, transformers, seq=128, batch=8):
    """glassnet's and Hugging Face's BERT-mini with the same weights, in train mode, and a
    batch ``(ids, mask, labels)`` whose last 7/32 of every sequence is padding."""
    import numpy as np

    from glassnet.models import BertForSequenceClassification

    torch.manual_seed(0)
    twin = transformers.BertForSequenceClassification(
        transformers.BertConfig(**BERT_MINI, attn_implementation="sdpa")
    ).train()
    ours = BertForSequenceClassification(**BERT_MINI).train()
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    rng = np.random.default_rng(0)
    ids = rng.integers(1, BERT_MINI["vocab_size"], (batch, seq))
    mask = np.ones_like(ids)
    mask[:, seq - seq * 7 // 32 :] = 0
    return ours, twin, (ids, mask, rng.integers(0, 2, batch))


def bert_peers(torch, transformers):
    import glassnet

    ours, twin, (ids, mask, y) = bert_twins(torch, transformers)
    t_in = [torch.from_numpy(a) for a in (ids, mask, y)]
    g_in = [glassnet.tensor(a) for a in (ids, mask, y)]
    t_opt = torch.optim.AdamW(twin.parameters(), lr=1e-4)
    g_opt = glassnet.optim.AdamW(ours.parameters(), lr=1e-4)

    def torch_step():
        t_opt.zero_grad()
        twin(input_ids=t_in[0], attention_mask=t_in[1], labels=t_in[2]).loss.backward()
        t_opt.step()

    def glassnet_step():
        g_opt.zero_grad()
        ours(input_ids=g_in[0], attention_mask=g_in[1], labels=g_in[2]).loss.backward()
        g_opt.step()

    return glassnet_step, torch_step


def gpt_peers(torch, transformers, new_tokens=64):
    import numpy as np

    import glassnet
    from glassnet.models import GPT2LMHeadModel

    torch.manual_seed(0)
    twin = transformers.GPT2LMHeadModel(
        transformers.GPT2Config(**GPT, attn_implementation="sdpa")
    ).eval()
    ours = GPT2LMHeadModel(**GPT).eval()
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    prompt = np.random.default_rng(0).integers(1, 8000, (1, 16))
    t_prompt, g_prompt = torch.from_numpy(prompt), glassnet.tensor(prompt)
    kw = dict(max_new_tokens=new_tokens, eos_token_id=None, pad_token_id=0)
    out = {}

    def torch_gen():
        with torch.no_grad():
            out["torch"] = twin.generate(t_prompt, do_sample=False, min_new_tokens=new_tokens, **kw)

    def glassnet_gen():
        out["glassnet"] = ours.generate(g_prompt, **kw)

    return glassnet_gen, torch_gen, out


def measure(pair, rounds, clock):
    now = time.process_time if clock == "cpu" else time.perf_counter
    for f in pair:  # warm-up
        f()
    times = [[], []]
    for _ in range(rounds):
        for i, f in enumerate(pair):
            t = now()
            f()
            times[i].append(now() - t)
    return [statistics.median(t) for t in times]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=("wall", "cpu"), default="cpu")
    args = parser.parse_args(argv)
    torch, transformers = _import_torch()
    torch.set_num_threads(args.threads)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.threads)
    except ImportError:
        pass
    print(f"threads {args.threads}, clock {args.clock}, {args.rounds} rounds (medians)")
    g, t = measure(bert_peers(torch, transformers), args.rounds, args.clock)
    print(f"BERT-mini train step (batch 8, seq 128): glassnet {g * 1e3:.1f} ms, "
          f"PyTorch {t * 1e3:.1f} ms, ratio {g / t:.2f}x (target <= 1.0x)")  # fmt: skip
    g_gen, t_gen, out = gpt_peers(torch, transformers)
    g, t = measure((g_gen, t_gen), args.rounds, args.clock)
    same = out["glassnet"].numpy().tolist() == out["torch"].numpy().tolist()
    print(f"GPT batch-1 cached greedy generation, 64 tokens: glassnet {g / 64 * 1e3:.2f} ms/token, "
          f"PyTorch {t / 64 * 1e3:.2f} ms/token, ratio {g / t:.2f}x (target <= 0.7x); "
          f"same tokens: {same}")  # fmt: skip


if __name__ == "__main__":
    main()
