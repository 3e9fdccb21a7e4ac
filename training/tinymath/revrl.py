"""The revision model's policy-gradient training (group-relative, as in GRPO).

For a wrong attempt 1 of the shipped generator (and, a quarter of the time, the canonical
solution as a right attempt 1), sample `group` revisions from the current model with the revision
prompt; reward 1 when the final answer is right; advantage = reward - the group's mean. Revisions
that repeat attempt 1's slip and revisions that do not share their prefix, so the prefix's
gradients cancel and the slip gets the full push down of its failure, which cross-entropy on the
canonical target never gave it (training/README.md, "Learning from its own revisions").

Used by the pipeline's `rlsample` and `revrl` stages and by training/experiments/revision_rl.py.
"""
from __future__ import annotations

import random
import time
from typing import Callable

import torch
import torch.nn.functional as F

from . import evaluate
from . import tokenizer as tok
from .data import grade, lm_example, revision_prompt

BANNED = [tok.PAD_ID, tok.STOI[tok.PRM_TAG]]


def sample(model, prompts: list[str], seed: int, max_new: int = 260) -> list[str]:
    """T=1 samples that stop after the answer line (the evaluation's sampler and settings)."""
    return evaluate._sample(model, prompts, max_new, 1.0, seed)


def completion_logprobs(model, prompts: list[str], completions: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sum of log p over each completion's tokens (with the sampler's masks, <eos> where the
    sampler would have ended with one) and the token counts; differentiable."""
    seqs, starts, poss = [], [], []
    for p, c in zip(prompts, completions):
        ex = lm_example(p, c)  # the training examples' ids and positions, ending in <eos>
        lines = c.split("\n")
        stopped = c.endswith("\n") and len(lines) >= 2 and lines[-2].startswith("A:")
        n = len(ex.ids) - (1 if stopped else 0)
        seqs.append(ex.ids[:n])
        starts.append(ex.loss_from)
        poss.append(ex.positions[:n])
    N, T = len(seqs), max(len(s) for s in seqs)
    idx = torch.full((N, T), tok.PAD_ID, dtype=torch.long)
    pos = torch.zeros((N, T), dtype=torch.long)
    seg = torch.ones((N, T), dtype=torch.long)  # padding in a segment of its own
    acted = torch.zeros((N, T), dtype=torch.bool)
    first = torch.zeros((N, T), dtype=torch.bool)
    for b, (s, st, ps) in enumerate(zip(seqs, starts, poss)):
        idx[b, : len(s)] = torch.tensor(s)
        pos[b, : len(s)] = torch.tensor(ps)
        seg[b, : len(s)] = 0
        acted[b, st - 1 : len(s) - 1] = True
        first[b, st - 1] = True
    logits = model(idx, pos, seg)
    logits[..., BANNED] = float("-inf")
    no_eos = first.unsqueeze(-1) & (torch.arange(logits.shape[-1]) == tok.EOS_ID)
    logits = logits.masked_fill(no_eos, float("-inf"))
    lp = F.log_softmax(logits[:, :-1], -1).gather(-1, idx[:, 1:, None]).squeeze(-1)
    lp = torch.where(acted[:, :-1], lp, torch.zeros_like(lp))
    return lp.sum(1), acted[:, :-1].sum(1)


def first_wrong_line(problem: dict, attempt: str) -> int:
    verdicts = grade(problem, attempt)[1]
    return next((i + 1 for i, ok in enumerate(verdicts) if not ok), len(verdicts) + 1)


def wrong_attempts(problems: list[dict], texts: list[str], samples: int) -> list[dict]:
    """Distinct wrong samples per problem (texts holds `samples` per problem, in order)."""
    pairs = []
    for i, p in enumerate(problems):
        seen = set()
        for t in texts[i * samples : (i + 1) * samples]:
            if t not in seen and not grade(p, t)[0]:
                seen.add(t)
                pairs.append({"problem": p, "attempt": t, "k": first_wrong_line(p, t)})
    return pairs


class PolicyGradient:
    """One run of the revision training; its whole state (model, optimizer, batch RNG, step,
    rewards) is a dict, so a checkpointed run resumes where it stopped with the same batches."""

    def __init__(self, model, pairs: list[dict], hp: dict, seed: int):
        self.model, self.pairs, self.hp = model, pairs, hp
        self.opt = torch.optim.Adam(model.parameters(), lr=hp["lr"], betas=(0.9, 0.98))
        self.rng = random.Random(seed)
        self.seed = seed
        self.step = 0
        self.rewards: list[float] = []
        self.elapsed = 0.0

    def state(self) -> dict:
        return {
            "model": self.model.state_dict(), "opt": self.opt.state_dict(), "rng": self.rng.getstate(),
            "step": self.step, "rewards": self.rewards, "elapsed": self.elapsed,
        }

    def load_state(self, s: dict) -> None:
        self.model.load_state_dict(s["model"])
        self.opt.load_state_dict(s["opt"])
        self.rng.setstate(s["rng"])
        self.step, self.rewards, self.elapsed = s["step"], s["rewards"], s["elapsed"]

    def backward(self, seed: int) -> tuple[float, bool]:
        """Sample a batch's revisions (with `seed`) and add the policy gradient's loss gradient to
        the model's (the caller zeroes and steps the optimizer). Returns the mean reward and whether
        any revision carried a gradient."""
        hp, rng, model = self.hp, self.rng, self.model
        batch = []
        for _ in range(hp["prompts"]):
            q = rng.choice(self.pairs)
            right = rng.random() < hp["right_frac"]
            batch.append((q["problem"], q["problem"]["solution"] if right else q["attempt"]))
        G = hp["group"]
        prompts = [revision_prompt(p, [a]) for p, a in batch for _ in range(G)]
        model.eval()
        outs = sample(model, prompts, seed, hp.get("max_new", 260))
        r = torch.tensor([float(grade(batch[j // G][0], o)[0]) for j, o in enumerate(outs)])
        grouped = r.view(hp["prompts"], G)
        adv = (grouped - grouped.mean(1, keepdim=True)).view(-1)
        # Only completions whose group had both rewards carry a gradient; short ones first, so each
        # forward pass pads little.
        keep = sorted((adv != 0).nonzero().squeeze(1).tolist(), key=lambda i: len(prompts[i]) + len(outs[i]))
        model.train()
        for c in range(0, len(keep), 32):
            ch = keep[c : c + 32]
            lp, _ = completion_logprobs(model, [prompts[i] for i in ch], [outs[i] for i in ch])
            (-(adv[ch] * lp).sum() / len(keep)).backward()
        return float(r.mean()), bool(keep)

    def train_step(self) -> float:
        t0 = time.time()
        self.opt.zero_grad(set_to_none=True)
        reward, any_gradient = self.backward(self.seed * 1000 + 10_000 + self.step)
        if any_gradient:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
            self.opt.step()
        self.step += 1
        self.rewards.append(reward)
        self.elapsed += time.time() - t0
        return self.rewards[-1]


def run_steps(run, steps: int, log: Callable[[str], None], name: str, status: Callable[[], str],
              ckpt: Callable | None = None, ckpt_every: int = 25) -> None:
    """Call `run.train_step()` until `run.step` reaches `steps`, logging `status()` with the pace
    every 10 steps and checkpointing every `ckpt_every` (the revision stages' shared loop)."""
    t_run, s_run = time.time(), run.step
    while run.step < steps:
        run.train_step()
        if run.step % 10 == 0 or run.step == steps:
            per = (time.time() - t_run) / max(run.step - s_run, 1)
            log(f"{name} step {run.step}/{steps}: {status()}, {per:.1f} s/step ETA {(steps - run.step) * per / 60:.1f} min")
        if ckpt and (run.step % ckpt_every == 0 or run.step == steps):
            ckpt(run)


def train(pg: PolicyGradient, steps: int, log: Callable[[str], None], name: str,
          ckpt: Callable[[PolicyGradient], None] | None = None, ckpt_every: int = 25) -> None:
    """Run `pg` to `steps`, logging the mean reward every 10 steps and checkpointing."""

    def status() -> str:
        last = pg.rewards[-10:]
        return f"reward {sum(last) / len(last):.3f} (last {len(last)} steps)"

    run_steps(pg, steps, log, name, status, ckpt, ckpt_every)


def rounded(model):
    """The model with its weights rounded to float16 and back: what the export ships."""
    model.load_state_dict({k: v.half().float() if v.is_floating_point() else v for k, v in model.state_dict().items()})
    return model
