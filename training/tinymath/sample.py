"""Batched sampling with a KV cache, and batched PRM scoring.

Prompts of different lengths are left-padded so that every row's next token sits in the same
column. Two details matter (the prototype's NaNs came from the first):
  * a padding position must be allowed to attend to itself, otherwise its softmax row is all -inf;
  * real tokens must never attend to padding, and positions count from each row's first real token
    (`prompt_positions`: in a revision prompt the question counts from 0, the earlier attempts from 320).
Finished rows are dropped from the batch as they finish, so long tails do not pay for short rows.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from .data import prm_tag_positions, prompt_positions
from .model import TinyGPT, gelu_new
from . import tokenizer as tok


def _attend(q, k, v, mask):
    att = (q * (1.0 / math.sqrt(q.shape[-1]))) @ k.transpose(-2, -1)  # as in model.Attention
    att = att.masked_fill(~mask, float("-inf"))
    return F.softmax(att, dim=-1) @ v


class KVCache:
    """Preallocated keys/values [B, H, capacity, hd] per layer, filled left to right.

    Appending writes in place; concatenating instead would copy the whole cache on every token.
    """

    def __init__(self, model: TinyGPT, batch: int, capacity: int):
        H, hd = model.cfg.n_head, model.cfg.n_embd // model.cfg.n_head
        self.k = [torch.zeros(batch, H, capacity, hd) for _ in model.transformer.h]
        self.v = [torch.zeros(batch, H, capacity, hd) for _ in model.transformer.h]
        self.real = torch.zeros(batch, capacity, dtype=torch.bool)
        self.length = 0

    def keep(self, rows: torch.Tensor) -> None:
        """Keep only these batch rows (finished sequences leave the batch)."""
        S = self.length
        self.k = [k[rows, :, :].contiguous() for k in self.k]
        self.v = [v[rows, :, :].contiguous() for v in self.v]
        self.real = self.real[rows]
        self.length = S


def cached_forward(model: TinyGPT, idx, pos, cache: KVCache, real, mask):
    """Run `idx` [B, T] through the model, appending its keys/values to `cache`.

    real: [B, T] bool, which new positions are real tokens (left padding is not).
    mask: [B, 1, T, S + T] bool attention mask of the new queries over cached + new keys.
    Returns logits [B, T, V].
    """
    if model.cfg.confidence_after:
        # The PRM's confidence input (model.py) is not implemented on this cached path; it scores
        # with the full forward (prm_scores) and never samples.
        raise ValueError("cached_forward: a model with a confidence input cannot sample")
    t = model.transformer
    B, T = idx.shape
    H = model.cfg.n_head
    C = model.cfg.n_embd
    S = cache.length
    x = t.wte(idx) + t.wpe(pos)
    cache.real[:, S : S + T] = real
    for layer, block in enumerate(t.h):
        h = block.ln_1(x)
        q, k, v = block.attn.c_attn(h).split(C, dim=2)
        q = q.view(B, T, H, C // H).transpose(1, 2)
        cache.k[layer][:, :, S : S + T] = k.view(B, T, H, C // H).transpose(1, 2)
        cache.v[layer][:, :, S : S + T] = v.view(B, T, H, C // H).transpose(1, 2)
        y = _attend(q, cache.k[layer][:, :, : S + T], cache.v[layer][:, :, : S + T], mask)
        x = x + block.attn.c_proj(y.transpose(1, 2).reshape(B, T, C))
        x = x + block.mlp.c_proj(gelu_new(block.mlp.c_fc(block.ln_2(x))))
    cache.length = S + T
    x = t.ln_f(x)
    return x @ t.wte.weight.T


@torch.no_grad()
def generate(
    model: TinyGPT,
    prompts: list[list[int]],
    max_new: int,
    temperature: float = 1.0,
    generator: torch.Generator | None = None,
    stop_at_newline: bool = False,
    stop_at_answer: bool = False,
    no_empty: bool = False,
) -> list[list[int]]:
    """Continue each prompt (token ids) until <eos> or `max_new` tokens. Temperature 0 is greedy.
    stop_at_newline: also stop after the first newline (one step).
    stop_at_answer: also stop after the first complete `A:` line, the task's final step (a
    generator fine-tuned on revisions has seen attempts follow `A:` lines, and sometimes writes
    another attempt after its own answer instead of <eos>).
    no_empty: never end with an empty completion (<eos> is masked for the first token). After a
    revision prompt, which ends in an earlier attempt's `A:` line, a plain "end here" and "write a
    new attempt" look the same to the model; the caller always wants a new attempt.
    Returns the new tokens per prompt, <eos> excluded, a stopping newline included."""
    model.eval()
    B = len(prompts)
    if B == 0:
        return []
    L = max(len(p) for p in prompts)
    max_new = min(max_new, model.cfg.n_positions - L)
    if max_new <= 0:
        return [[] for _ in prompts]
    idx = torch.full((B, L), tok.PAD_ID, dtype=torch.long)
    real = torch.zeros((B, L), dtype=torch.bool)
    pos = torch.zeros((B, L), dtype=torch.long)
    next_pos = torch.zeros(B, dtype=torch.long)
    for b, p in enumerate(prompts):
        idx[b, L - len(p) :] = torch.tensor(p, dtype=torch.long)
        real[b, L - len(p) :] = True
        pp = prompt_positions(p, model.cfg.n_positions)
        pos[b, L - len(p) :] = torch.tensor(pp, dtype=torch.long)
        next_pos[b] = pp[-1] + 1 if pp else 0
    causal = torch.ones(L, L, dtype=torch.bool).tril()
    eye = torch.eye(L, dtype=torch.bool)
    mask = (causal.unsqueeze(0) & real.unsqueeze(1)) | eye.unsqueeze(0)
    cache = KVCache(model, B, L + max_new)
    # The generator never writes padding or the PRM's "?" tag (neither is ever a training target);
    # masking them keeps an under-trained model's samples valid PRM inputs.
    banned = torch.tensor([tok.PAD_ID, tok.STOI[tok.PRM_TAG]])
    logits = cached_forward(model, idx, pos, cache, real, mask.unsqueeze(1))[:, -1]
    rows = torch.arange(B)  # original index of each row still in the batch
    alive = torch.ones(B, dtype=torch.bool)
    out: list[list[int]] = [[] for _ in range(B)]
    nl = tok.STOI["\n"]
    answer_tag = [tok.STOI["A"], tok.STOI[":"]]
    line_start = [0] * B  # where each row's current line starts in its output
    for step in range(max_new):
        logits[:, banned] = float("-inf")
        if no_empty and step == 0:
            logits[:, tok.EOS_ID] = float("-inf")
        if temperature <= 0:
            nxt = logits.argmax(-1)
        else:
            probs = F.softmax(logits / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        answered = []
        for r, t, a in zip(rows.tolist(), nxt.tolist(), alive.tolist()):
            if a and t != tok.EOS_ID:
                out[r].append(t)
            if stop_at_answer:
                answered.append(bool(a and t == nl and out[r][line_start[r] : line_start[r] + 2] == answer_tag))
                if t == nl:
                    line_start[r] = len(out[r])
        done = nxt == tok.EOS_ID
        if stop_at_newline:
            done = done | (nxt == nl)
        if stop_at_answer:
            done = done | torch.tensor(answered, dtype=torch.bool)
        alive = alive & ~done
        if step == max_new - 1 or not bool(alive.any()):
            break
        # Dropping finished rows copies the whole cache, so it is done only once a quarter of the
        # batch has finished; until then finished rows ride along and their tokens are ignored.
        if int(alive.sum()) < 0.75 * len(rows):
            keep = alive.nonzero().squeeze(1)
            rows, nxt, next_pos, alive = rows[keep], nxt[keep], next_pos[keep], alive[keep]
            cache.keep(keep)
        n = len(rows)
        S = cache.length
        m = cache.real[:, : S + 1].clone()
        m[:, S] = True
        ones = torch.ones(n, 1, dtype=torch.bool)
        logits = cached_forward(model, nxt.unsqueeze(1), next_pos.unsqueeze(1), cache, ones, m.view(n, 1, 1, S + 1))[:, -1]
        next_pos = next_pos + 1
    return out


@torch.no_grad()
def generate_batched(model, prompts, max_new, temperature, generator, batch_size=256, **kw):
    """`generate` over many prompts, in batches of similar length (sorted), results in order."""
    order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
    res: list[list[int] | None] = [None] * len(prompts)
    for s in range(0, len(order), batch_size):
        chunk = order[s : s + batch_size]
        outs = generate(model, [prompts[i] for i in chunk], max_new, temperature, generator, **kw)
        for i, o in zip(chunk, outs):
            res[i] = o
    return res  # type: ignore[return-value]


@torch.no_grad()
def prm_scores(model: TinyGPT, texts: list[str], batch_size: int = 128) -> list[list[float]]:
    """Step scores p("+") / (p("+") + p("-")) at every tag of each PRM input text (data.prm_text,
    with `newline` as the model's `prm_newline`)."""
    model.eval()
    good, bad = tok.STOI[tok.PRM_GOOD], tok.STOI[tok.PRM_BAD]
    encoded = [tok.encode(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    res: list[list[float]] = [[] for _ in texts]
    for s in range(0, len(order), batch_size):
        chunk = order[s : s + batch_size]
        T = max(len(encoded[i]) for i in chunk)
        idx = torch.full((len(chunk), T), tok.PAD_ID, dtype=torch.long)
        seg = torch.ones((len(chunk), T), dtype=torch.long)
        for b, i in enumerate(chunk):
            idx[b, : len(encoded[i])] = torch.tensor(encoded[i])
            seg[b, : len(encoded[i])] = 0
        logits = model(idx, None, seg)
        score = torch.sigmoid(logits[..., good] - logits[..., bad])
        for b, i in enumerate(chunk):
            where = prm_tag_positions(encoded[i], model.cfg.prm_newline)
            res[i] = score[b, where].tolist()
    return res
