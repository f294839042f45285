"""A tiny character-level transformer trained on a bundled text (examples/data/verses.txt).

    python examples/char_transformer.py                    # minitorch_nn
    python examples/char_transformer.py --backend torch    # the same code under PyTorch

Next-character prediction with one or two pre-norm transformer blocks (causal self-attention
via nn.MultiheadAttention, an MLP with GELU), then a short greedy sample.
"""
from __future__ import annotations

import argparse
import importlib
import pathlib
import time

TEXT = (pathlib.Path(__file__).parent / "data" / "verses.txt").read_text(encoding="utf-8")


def build(torch, vocab: int, dim: int, heads: int, layers: int, context: int):
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
            self.attn = nn.MultiheadAttention(dim, heads, batch_first=True)
            self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))

        def forward(self, x, mask):
            h = self.ln1(x)
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class CharTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(vocab, dim)
            self.pos = nn.Parameter(torch.zeros(context, dim))
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln = nn.LayerNorm(dim)
            self.head = nn.Linear(dim, vocab)

        def forward(self, idx):
            t = idx.shape[1]
            mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1) \
                if hasattr(torch, "triu") else torch.ones(t, t).tril().logical_not()
            x = self.tok(idx) + self.pos[:t]
            for block in self.blocks:
                x = block(x, mask)
            return self.head(self.ln(x))

    return CharTransformer()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backend", choices=["minitorch_nn", "torch"], default="minitorch_nn")
    p.add_argument("--steps", type=int, default=300)
    p.add_argument("--context", type=int, default=32)
    p.add_argument("--dim", type=int, default=64)
    args = p.parse_args()
    torch = importlib.import_module(args.backend)
    torch.manual_seed(0)
    chars = sorted(set(TEXT))
    stoi = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in TEXT])
    model = build(torch, len(chars), args.dim, heads=4, layers=2, context=args.context)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        ix = torch.randint(0, len(data) - args.context - 1, (16,))
        xb = torch.stack([data[i:i + args.context] for i in ix.tolist()])
        yb = torch.stack([data[i + 1:i + 1 + args.context] for i in ix.tolist()])
        logits = model(xb)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, len(chars)), yb.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 50 == 0 or step == 1:
            print(f"step {step:4d}  loss {loss.item():.3f}")
    model.eval()
    idx = data[: args.context].unsqueeze(0)
    with torch.no_grad():
        for _ in range(120):
            nxt = model(idx[:, -args.context:])[0, -1].argmax()
            idx = torch.cat([idx, nxt.reshape(1, 1)], dim=1)
    print("sample:", "".join(chars[i] for i in idx[0].tolist()))
    print(f"{args.backend}: {args.steps} steps in {time.perf_counter() - start:.1f} s, "
          f"final loss {loss.item():.3f}")


if __name__ == "__main__":
    main()
