"""TinyMath: a small GPT-2-style decoder, laid out exactly like Hugging Face's GPT2LMHeadModel.

Parameter names and shapes match transformers' GPT-2 (Conv1D weights are [in, out], so y = x @ W + b),
so an export loads with `GPT2LMHeadModel.from_pretrained(dir)`. The TypeScript runtime
(src/runtime/tinymath) implements the same maths: pre-LayerNorm blocks, learned positions,
tanh-approximated GELU ("gelu_new"), tied input/output embeddings.

A PRM may also read its base's confidence (`confidence_after` > 0, docs/model-format.md,
"Generator confidence"): after that many blocks, the model computes the next-token distribution
those blocks predict (through its own LayerNorm `ln_conf` and the tied embedding), and adds to
each position a learned projection (`conf`) of two numbers read from the previous position's
distribution: the log-probability of the token actually at this position, and the largest
log-probability. The blocks after it see, for every character, how surprising it was. With
`confidence_sum` (format version 4) a third number is the running sum of the first over the
solution so far: the generator's log-probability of everything written after the question line,
leaving out the PRM's tags, scaled by SUM_SCALE.
Transformers' GPT-2 classes do not know these tensors.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class TinyConfig:
    vocab_size: int
    n_positions: int = 512
    n_embd: int = 128
    n_layer: int = 4
    n_head: int = 4
    layer_norm_epsilon: float = 1e-5
    # Blocks before the generator-confidence input (0: none; see the module docstring).
    confidence_after: int = 0
    # With the confidence input, also the running sum of log p (format version 4; see above).
    confidence_sum: bool = False
    # A PRM that reads solutions as written and judges at each step's newline, instead of at a
    # "?" after each step (data.prm_text; format version 4).
    prm_newline: bool = False

    def to_dict(self):
        return asdict(self)


def gelu_new(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """GPT-2's linear layer: weight is [in, out]."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(n_in, n_out) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out))

    def forward(self, x):
        return torch.addmm(self.bias, x.reshape(-1, x.shape[-1]), self.weight).reshape(*x.shape[:-1], -1)


class Attention(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.n_head = cfg.n_head
        self.c_attn = Conv1D(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = Conv1D(cfg.n_embd, cfg.n_embd)

    def forward(self, x, mask):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        hd = C // self.n_head
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)
        # Scaling q (T x hd) is cheaper than scaling the T x T scores; an additive float mask, built
        # once per forward, saves a masked_fill over the scores in every layer (attention dominates
        # the cost of these small models on CPU).
        att = (q * (1.0 / math.sqrt(hd))) @ k.transpose(-2, -1)
        if mask.dtype == torch.bool:
            att = att.masked_fill(~mask, float("-inf"))
        else:
            att = att + mask
        att = F.softmax(att, dim=-1)
        y = (att @ v).transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.c_fc = Conv1D(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = Conv1D(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(gelu_new(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.attn = Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        self.mlp = MLP(cfg)

    def forward(self, x, mask):
        x = x + self.attn(self.ln_1(x), mask)
        return x + self.mlp(self.ln_2(x))


# The confidence input: log p(this token) and max log p, from the previous position, floored;
# with `confidence_sum`, also SUM_SCALE x the running sum of the first over the positions after the
# sequence's first SUM_AFTER token (the question line's end), leaving out SUM_SKIP (the PRM's tag).
CONFIDENCE_FEATURES = 2
CONFIDENCE_FLOOR = -12.0
SUM_AFTER = "\n"
SUM_SKIP = "?"
SUM_SCALE = 0.1


def _per_segment_cumsum(v: torch.Tensor, starts: torch.Tensor) -> torch.Tensor:
    """Cumulative sums of v [B, T] along T that restart where `starts` [B, T] (bool) is true."""
    c = v.cumsum(1)
    T = v.shape[1]
    at = torch.where(starts, torch.arange(T, device=v.device).expand_as(starts), torch.zeros_like(starts, dtype=torch.long))
    first = at.cummax(1).values  # each position's segment start
    before = torch.cat([torch.zeros_like(c[:, :1]), c[:, :-1]], 1)  # c[t - 1]
    return c - before.gather(1, first)


def confidence_features(
    logits: torch.Tensor, idx: torch.Tensor, segments: torch.Tensor | None, running_sum: tuple[int, int] | None = None
) -> torch.Tensor:
    """[B, T, 2] (or 3 with `running_sum`): at position t, from the distribution `logits` predicts
    at t-1, the log-probability of idx[t] and the largest log-probability, each floored at
    CONFIDENCE_FLOOR; 0 at a sequence's first position (t = 0, or the first position of a packed
    segment). `running_sum` = (after, skip) token ids adds SUM_SCALE x the sum of the first feature
    over the sequence's positions up to t that come after its first `after` token and are not `skip`."""
    B, T, _ = logits.shape
    logp = F.log_softmax(logits[:, :-1].float(), dim=-1)
    tok_lp = logp.gather(-1, idx[:, 1:, None]).squeeze(-1).clamp(min=CONFIDENCE_FLOOR)
    top_lp = logp.max(-1).values.clamp(min=CONFIDENCE_FLOOR)
    f = torch.zeros(B, T, CONFIDENCE_FEATURES + (running_sum is not None), dtype=logits.dtype, device=logits.device)
    same = segments[:, 1:] == segments[:, :-1] if segments is not None else torch.ones_like(tok_lp, dtype=torch.bool)
    f[:, 1:, 0] = torch.where(same, tok_lp, torch.zeros_like(tok_lp))
    f[:, 1:, 1] = torch.where(same, top_lp, torch.zeros_like(top_lp))
    if running_sum is not None:
        after, skip = running_sum
        starts = torch.ones(B, T, dtype=torch.bool, device=idx.device)
        starts[:, 1:] = ~same
        # Newlines strictly before t in t's sequence.
        seen = _per_segment_cumsum((idx == after).long(), starts) - (idx == after).long() > 0
        counted = seen & (idx != skip)
        f[:, :, 2] = SUM_SCALE * _per_segment_cumsum(torch.where(counted, f[:, :, 0], torch.zeros_like(f[:, :, 0])), starts)
    return f


class Transformer(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.wte = nn.Embedding(cfg.vocab_size, cfg.n_embd)
        self.wpe = nn.Embedding(cfg.n_positions, cfg.n_embd)
        self.h = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
        if cfg.confidence_after:
            self.ln_conf = nn.LayerNorm(cfg.n_embd, eps=cfg.layer_norm_epsilon)
            self.conf = Conv1D(CONFIDENCE_FEATURES + cfg.confidence_sum, cfg.n_embd)
        nn.init.normal_(self.wte.weight, std=0.02)
        nn.init.normal_(self.wpe.weight, std=0.01)


class TinyGPT(nn.Module):
    def __init__(self, cfg: TinyConfig):
        super().__init__()
        self.cfg = cfg
        self.transformer = Transformer(cfg)

    def _sum_tokens(self) -> tuple[int, int] | None:
        from .tokenizer import STOI

        return (STOI[SUM_AFTER], STOI[SUM_SKIP]) if self.cfg.confidence_sum else None

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx, positions=None, segments=None):
        """Logits [B, T, V].

        positions: [B, T] position ids (default 0..T-1). With packing, each problem restarts at 0.
        segments: [B, T] segment ids; attention is causal AND block-diagonal over segments
        (each packed problem only sees itself). Padding gets its own segment so it attends to itself
        and never produces NaNs.
        """
        B, T = idx.shape
        if positions is None:
            positions = torch.arange(T, device=idx.device).unsqueeze(0).expand(B, T)
        causal = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        mask = causal.unsqueeze(0)
        if segments is not None:
            mask = mask & (segments.unsqueeze(2) == segments.unsqueeze(1))
        mask = mask.unsqueeze(1)  # [B or 1, 1, T, T]
        mask = torch.zeros(mask.shape, dtype=torch.float32, device=idx.device).masked_fill_(~mask, float("-inf"))
        t = self.transformer
        x = t.wte(idx) + t.wpe(positions)
        for i, block in enumerate(t.h):
            if i == self.cfg.confidence_after and i > 0:
                with torch.no_grad():
                    f = confidence_features(t.ln_conf(x) @ t.wte.weight.T, idx, segments, self._sum_tokens())
                x = x + t.conf(f)
            x = block(x, mask)
        x = t.ln_f(x)
        return x @ t.wte.weight.T  # tied output embedding
