"""A revision model distilled from the generator's own plain-prompt distribution, minus the slip.

The revision model reads the revision prompt (attempt 1, the `-` line, the question). Its target at
every character of the new attempt is the generator's distribution after the *plain* prompt (the
question alone) with the same characters so far, with one change: while the new attempt is still
attempt 1 character for character, attempt 1's next character is forbidden wherever the generator
gave it less than `tau` (and the rest renormalised). That is the decoding rule that beat a fresh
sample in training/README.md ("A decoding rule from the generator's own confidence"): a wrong
attempt's slip is usually a character the generator thought unlikely. The revision model learns it
as a model (no rule at inference), and learns to read the question as a fresh sample would in spite
of attempt 1 in front of it, which cross-entropy on the canonical solution never taught it.

The loss is the KL divergence from that target to the revision model, at every character of a
teacher-forced continuation: attempt 1 itself (the path where the rule bites) and the canonical
solution (the path a right revision takes). It needs no sampling in the loop, so long problems cost
only their length, and every level can be trained.
"""
from __future__ import annotations

import random
import time
from typing import Callable

import torch
import torch.nn.functional as F

from . import revrl
from . import tokenizer as tok
from .data import grade, lm_example, revision_prompt
from .revrl import first_wrong_line, run_steps
from .sample import generate_batched

BANNED = [tok.PAD_ID, tok.STOI[tok.PRM_TAG]]


def _continuation_logits(model, prompts: list[str], conts: list[str]) -> torch.Tensor:
    """[sum of continuation lengths, V]: the logits with which `model` predicts each character of
    each continuation after its prompt (one padded forward pass), with the sampler's masks (banned
    tokens; no <eos> as the first character)."""
    exs = [lm_example(p, c) for p, c in zip(prompts, conts)]
    N, T = len(exs), max(len(e.ids) for e in exs)
    idx = torch.full((N, T), tok.PAD_ID, dtype=torch.long)
    pos = torch.zeros((N, T), dtype=torch.long)
    seg = torch.ones((N, T), dtype=torch.long)
    for b, e in enumerate(exs):
        idx[b, : len(e.ids)] = torch.tensor(e.ids)
        pos[b, : len(e.ids)] = torch.tensor(e.positions)
        seg[b, : len(e.ids)] = 0
    logits = model(idx, pos, seg)
    rows = []
    for b, (e, c) in enumerate(zip(exs, conts)):
        s = e.loss_from - 1  # the position that predicts the continuation's first character
        x = logits[b, s : s + len(c)].clone()
        x[:, BANNED] = float("-inf")
        x[0, tok.EOS_ID] = float("-inf")
        rows.append(x)
    return torch.cat(rows)


def targets(teacher, items: list[tuple[dict, str, str]], tau: float, copy_tau: float | None = None,
            with_rows: bool = False):
    """The target distributions [sum of continuation lengths, V] for (problem, attempt 1,
    continuation) items, and how many characters the rule forbade. With `copy_tau`, attempt 1's
    next character, where the generator gave it at least that much, is the whole target: keep what
    the generator was sure of, change what it was not. With `with_rows`, also a bool [sum of
    continuation lengths]: the characters where the rule forbade attempt 1's next one."""
    with torch.no_grad():
        probs = F.softmax(_continuation_logits(teacher, [p["prompt"] for p, _, _ in items], [c for _, _, c in items]), -1)
    forbid = torch.zeros_like(probs, dtype=torch.bool)
    copy = torch.zeros(probs.shape[0], dtype=torch.bool)
    row = 0
    for _, a, c in items:
        ca, cc = tok.encode(a), tok.encode(c)
        for i in range(len(cc)):
            if i >= len(ca):
                break
            if probs[row + i, ca[i]] < tau:
                forbid[row + i, ca[i]] = True
            elif copy_tau is not None and probs[row + i, ca[i]] >= copy_tau:
                copy[row + i] = True
                forbid[row + i] = True
                forbid[row + i, ca[i]] = False
            if cc[i] != ca[i]:
                break  # the continuation has left attempt 1: the rule no longer applies
        row += len(cc)
    n_forbidden = int(forbid[~copy].sum())
    probs = probs.masked_fill(forbid, 0.0)
    probs = probs / probs.sum(-1, keepdim=True)
    if with_rows:
        return probs, n_forbidden, forbid.any(-1) & ~copy
    return probs, n_forbidden


def kl_loss(student, items: list[tuple[dict, str, str]], target: torch.Tensor, plain: bool = False,
            weight: torch.Tensor | None = None) -> torch.Tensor:
    """Mean over characters of KL(target || student after the revision prompt, or after the plain
    prompt when `plain`), each character weighted by `weight` [characters] when given."""
    prompts = [p["prompt"] if plain else revision_prompt(p, [a]) for p, a, _ in items]
    logp = F.log_softmax(_continuation_logits(student, prompts, [c for _, _, c in items]), -1)
    t = target
    ce = -(t * torch.where(t > 0, logp, torch.zeros_like(logp))).sum(-1)
    ent = -(t * torch.where(t > 0, t.log(), torch.zeros_like(t))).sum(-1)
    kl = ce - ent
    return kl.mean() if weight is None else (kl * weight).mean()


def _chunks(items: list[tuple[dict, str, str]], budget: int) -> list[list[tuple[dict, str, str]]]:
    """Consecutive runs of the (length-sorted) items whose padded revision sequences fit `budget`
    tokens, so that one long problem does not pad a whole chunk of short ones."""
    out: list[list[tuple[dict, str, str]]] = []
    cur: list[tuple[dict, str, str]] = []
    longest = 0
    for it in items:
        n = len(revision_prompt(it[0], [it[1]])) + len(it[2]) + 1
        if cur and max(longest, n) * (len(cur) + 1) > budget:
            out.append(cur)
            cur, longest = [], 0
        cur.append(it)
        longest = max(longest, n)
    if cur:
        out.append(cur)
    return out


@torch.no_grad()
def departures(model, problems: list[dict]) -> list[tuple[str, torch.Tensor]]:
    """Per problem, its canonical solution s and the weights [len(s), V] of a sample's first
    departure from it: p_0(s_0) ... p_{i-1}(s_{i-1}) p_i(c) at (i, c != s_i), <eos> excluded
    (unnormalised: their sum is the chance that a sample leaves the canonical solution)."""
    model.eval()
    sols = [p["solution"] for p in problems]
    probs = F.softmax(_continuation_logits(model, [p["prompt"] for p in problems], sols), -1)
    out, row = [], 0
    for sol in sols:
        ids = torch.tensor(tok.encode(sol))
        pr = probs[row : row + len(sol)]
        row += len(sol)
        on = pr.gather(1, ids.unsqueeze(1)).squeeze(1)  # p_i(s_i)
        reach = torch.cat([torch.ones(1), torch.cumprod(on, 0)[:-1]])  # the canonical prefix's chance
        w = pr * reach.unsqueeze(1)
        w[torch.arange(len(sol)), ids] = 0.0
        w[:, tok.EOS_ID] = 0.0
        out.append((sol, w))
    return out


@torch.no_grad()
def slip_attempts(model, problems: list[dict], max_new: int, generator: torch.Generator, batch: int = 256) -> list[dict]:
    """Wrong attempts of `model` at temperature 1 without the rejection sampling: one per problem.

    A sample at temperature 1 that is not the canonical solution leaves it at a first character.
    With p_i(c) the model's probability of character c at position i of the canonical solution (the
    sampler's masks applied), that first departure is at (i, c) with probability proportional to
    p_0(s_0) ... p_{i-1}(s_{i-1}) p_i(c), c != s_i. So one teacher-forced pass gives every problem's
    departures; one is drawn, and the model writes the rest of the attempt from there, as a sample
    would. On level 1, where 2% of samples are wrong, this costs one sample per wrong attempt instead
    of fifty. Attempts that still reach the right final answer are dropped; a departure to <eos> (an
    attempt cut short) is never drawn. Returns {"problem", "attempt", "k"} as revrl.wrong_attempts.
    """
    prefixes: list[str] = []
    for s in range(0, len(problems), batch):
        for sol, w in departures(model, problems[s : s + batch]):
            j = int(torch.multinomial(w.flatten(), 1, generator=generator))
            i, c = divmod(j, w.shape[1])
            prefixes.append(sol[:i] + tok.VOCAB[c])
    # The departure may close the answer line ("A:5" then a newline): the sample ends there.
    todo = [k for k, x in enumerate(prefixes) if not (x.endswith("\n") and x[:-1].split("\n")[-1].startswith("A:"))]
    outs = generate_batched(
        model, [tok.encode(problems[k]["prompt"] + prefixes[k]) for k in todo], max_new, 1.0, generator, stop_at_answer=True
    )
    attempts = list(prefixes)
    for k, o in zip(todo, outs):
        attempts[k] = prefixes[k] + tok.decode(o)
    return [
        {"problem": p, "attempt": a, "k": first_wrong_line(p, a)}
        for p, a in zip(problems, attempts)
        if not grade(p, a)[0]
    ]


class Distill:
    """One run; its state (model, optimizer, batch RNG, step, losses) is a dict, so a checkpointed
    run resumes with the same batches."""

    def __init__(self, student, teacher, pairs: list[dict], hp: dict, seed: int):
        self.student, self.teacher, self.pairs, self.hp = student, teacher, pairs, hp
        # Each draw picks a level (uniformly, or by `level_weights`), then one of its attempts: the
        # easy levels, where wrong attempts are rare, get as many draws as the long hard ones.
        self.by_level: dict[int, list[dict]] = {}
        for q in pairs:
            self.by_level.setdefault(q["problem"].get("level", 0), []).append(q)
        self.levels = sorted(self.by_level)
        lw = hp.get("level_weights") or {}
        self.weights = [float(lw.get(lv, lw.get(str(lv), 1.0))) for lv in self.levels]
        self.opt = torch.optim.Adam(student.parameters(), lr=hp["lr"], betas=(0.9, 0.98))
        self.rng = random.Random(seed)
        self.step = 0
        self.losses: list[float] = []
        self.forbidden: list[int] = []
        self.elapsed = 0.0

    def state(self) -> dict:
        return {
            "model": self.student.state_dict(), "opt": self.opt.state_dict(), "rng": self.rng.getstate(),
            "step": self.step, "losses": self.losses, "forbidden": self.forbidden, "elapsed": self.elapsed,
        }

    def load_state(self, s: dict) -> None:
        self.student.load_state_dict(s["model"])
        self.opt.load_state_dict(s["opt"])
        self.rng.setstate(s["rng"])
        self.step, self.losses, self.forbidden, self.elapsed = s["step"], s["losses"], s["forbidden"], s["elapsed"]

    def lr(self) -> float:
        hp = self.hp
        w = hp.get("warmup", 0)
        if self.step < w:
            return hp["lr"] * (self.step + 1) / w
        return hp["lr"]

    def draw(self, n: int) -> list[tuple[dict, str, str]]:
        """`n` attempts, each a level drawn by `level_weights` and then one of its attempts, as
        (problem, attempt 1, continuation) items with both continuations (attempt 1 itself and the
        canonical solution), similar lengths together so that a forward pass pads little."""
        items = []
        for _ in range(n):
            q = self.rng.choice(self.by_level[self.rng.choices(self.levels, self.weights)[0]])
            items.append((q["problem"], q["attempt"], q["attempt"]))
            items.append((q["problem"], q["attempt"], q["problem"]["solution"]))
        items.sort(key=lambda it: len(revision_prompt(it[0], [it[1]])) + len(it[2]))
        return items

    def backward(self, items: list[tuple[dict, str, str]], scale: float = 1.0) -> tuple[float, int]:
        """Add `scale` x the gradient of the mean KL over `items`' characters to the student's;
        returns that KL and how many characters the rule forbade."""
        hp = self.hp
        total, forbidden = 0.0, 0
        n_chars = sum(len(c) for _, _, c in items)
        for part in _chunks(items, hp.get("chunk_tokens", 8192)):
            tgt, nf, rule = targets(self.teacher, part, hp["tau"], hp.get("copy_tau"), with_rows=True)
            # `rule_weight`: the characters where the rule forbids attempt 1's slip are a few in a
            # thousand; weights of 10 and 30 were tried and did not teach the rule (training/README.md,
            # "More wrong attempts"), so the pipeline leaves it at 1.
            rw = float(hp.get("rule_weight", 1.0))
            loss = kl_loss(self.student, part, tgt, weight=None if rw == 1.0 else 1.0 + (rw - 1.0) * rule.float())
            if hp.get("plain", 0) > 0:
                # The student is the generator itself: keep its first attempts where they were.
                loss = loss + hp["plain"] * kl_loss(self.student, part, targets(self.teacher, part, 0.0)[0], plain=True)
            w = sum(len(x[2]) for x in part) / n_chars
            (scale * loss * w).backward()
            total += float(loss) * w
            forbidden += nf
        return total, forbidden

    def extra_backward(self) -> float:
        """A subclass's own gradient, added before the distillation's in the same update; returns
        the distillation's weight in that update."""
        return 1.0

    def train_step(self) -> float:
        t0 = time.time()
        items = self.draw(self.hp["attempts"])
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        self.student.train()
        self.opt.zero_grad(set_to_none=True)
        total, forbidden = self.backward(items, self.extra_backward())
        torch.nn.utils.clip_grad_norm_(self.student.parameters(), 1.0)
        self.opt.step()
        self.step += 1
        self.losses.append(total)
        self.forbidden.append(forbidden)
        self.elapsed += time.time() - t0
        return total


class DistillPG(Distill):
    """The distillation as an anchor under revrl's policy gradient, in one update a step.

    Each step samples `group` revisions of each of `prompts` attempts of the levels `pg_levels` (a
    `right_frac` share of them the canonical solution, a right attempt 1) from the current model,
    rewards a right final answer, and weights each revision's log-probability by its reward minus
    its group's mean (revrl.PolicyGradient); to that gradient it adds `anchor` x the distillation
    KL on `attempts` attempts of every level (Distill), so that the levels without a policy
    gradient keep what the distillation gave them. Starting from the distilled model, the policy
    gradient rewards whatever makes its own revisions right, which the distillation could only
    approximate (training/README.md, "A policy gradient on the distilled model").
    """

    def __init__(self, student, teacher, pairs: list[dict], hp: dict, seed: int, sample_seed: int):
        super().__init__(student, teacher, pairs, hp, seed)
        # Its batch RNG and `backward`; the update is Distill's (one optimizer for both terms).
        self.pg = revrl.PolicyGradient(student, [q for q in pairs if q["problem"].get("level", 0) in hp["pg_levels"]], hp, seed + 1)
        self.sample_seed = sample_seed  # step k samples its revisions with seed sample_seed + k
        self.rewards: list[float] = []

    def state(self) -> dict:
        return {**super().state(), "pg_rng": self.pg.rng.getstate(), "rewards": self.rewards}

    def load_state(self, s: dict) -> None:
        super().load_state(s)
        self.pg.rng.setstate(s["pg_rng"])
        self.rewards = s["rewards"]

    def extra_backward(self) -> float:
        reward, _ = self.pg.backward(self.sample_seed + self.step)
        self.rewards.append(reward)
        return self.hp["anchor"]


def train(d: Distill, steps: int, log: Callable[[str], None], name: str,
          ckpt: Callable[[Distill], None] | None = None, ckpt_every: int = 25) -> None:
    """Run `d` to `steps`, logging the mean KL (and, for DistillPG, the mean reward) every 10 steps
    and checkpointing."""

    def status() -> str:
        last = d.losses[-10:]
        reward = getattr(d, "rewards", None)
        return (
            (f"reward {sum(reward[-10:]) / len(reward[-10:]):.3f}, " if reward else "")
            + f"KL {sum(last) / len(last):.4f} (last {len(last)} steps), "
            f"{d.forbidden[-1]} characters forbidden in the last batch"
        )

    run_steps(d, steps, log, name, status, ckpt, ckpt_every)
