"""Experiment: three more ways to make the distilled revision model learn the rule it falls short of
(training/README.md, "Three more tries at the rule"), and the measurement that says whether it did.

    /usr/bin/python3 training/experiments/revision_variants.py train --variant aligned --steps 300 --lr 6e-4
    /usr/bin/python3 training/experiments/revision_variants.py train --variant grow --steps 150 --lr 1e-3
    /usr/bin/python3 training/experiments/revision_variants.py train --variant pg --steps 300 --lr 1e-4
    /usr/bin/python3 training/experiments/revision_variants.py slip --model <out>/<name>/step100.pt [--variant aligned]
    /usr/bin/python3 training/experiments/revision_variants.py layouts

All read the pipeline's wrong attempts (training/out/full/rlsample and slipsample, pairs.json) and
the committed export; nothing under public/ changes. Checkpoints go to <out>/<name>/step<N>.pt every
50 steps; `revision_distill.py eval --model <that file> --levels 1,2` measures one with the
evaluation stage's revision protocol (4-layer models only).

- `aligned`: the revision prompt's earlier attempt at the positions the new attempt will take (the
  question's length + j for its character j) instead of from 320, so that the character the rule is
  about sits at a fixed offset from the new attempt's. Trained from the generator by the pipeline's
  distillation, with the rate cosine-decayed from --lr to 1e-4 over 500 steps.
- `grow`: the shipped revision model with 2 more blocks on top (their output projections start at
  zero, so it starts as the shipped model), only those and the final LayerNorm trained, by the same
  distillation: fresh capacity for the look-up and the gate.
- `pg`: the distilled revision model, trained by the policy gradient of tinymath/revrl.py on levels
  1-2 (16 attempts x 8 revisions a step, a quarter right attempts) with the distillation on every
  level (16 attempts a step) as an anchor, weight --anchor, in one update (revdistill.DistillPG):
  the run that became the pipeline's `revpg` stage.

`slip` prints, on 300 training and the held-out wrong attempts of levels 1-2 (the evaluation
stage's first samples, eval_cache under --eval-out), the model's probability of attempt 1's slip at
the characters where the rule forbids it, after the revision prompt with attempt 1 as the new
attempt's prefix, against the generator's after the plain prompt, and the KL to the distillation
target there and elsewhere. `layouts` measures how far the generator is from itself when the
question comes first in the revision prompt (so that its own confidence in attempt 1's characters
is the plain prompt's), at two position layouts.
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
from dataclasses import replace

import torch
import torch.nn.functional as F
from common import GENERATOR, ROOT, distinct_attempts, log

from tinymath import data, revdistill, revrl, sample
from tinymath import tokenizer as tok
from tinymath.data import ATTEMPT_SEPARATOR, grade, lm_example, load_jsonl
from tinymath.export import load
from tinymath.model import TinyGPT
from tinymath.revrl import rounded

FULL = os.path.join(ROOT, "training/out/full")


def distilled() -> TinyGPT:
    """The pipeline's `revdistill` model, rounded as its export shipped it (before `revpg`)."""
    m = load(GENERATOR)
    m.load_state_dict(torch.load(os.path.join(FULL, "revdistill", "model.pt")))
    return rounded(m)


def _separator_end(ids: list[int]) -> tuple[int, list[int]]:
    """data.prompt_positions' scan: the index past the last separator line, and every attempt's start."""
    dash, nl = tok.STOI["-"], tok.STOI["\n"]
    starts, last = [0], 0
    for i in range(len(ids) - 1):
        if ids[i] == dash and ids[i + 1] == nl and (i == 0 or ids[i - 1] == nl):
            last = i + 2
            starts.append(last)
    return last, starts[:-1] if last else []


def aligned_positions(ids: list[int], n_positions: int = 1024) -> list[int]:
    """Each earlier attempt's character j at the question's length + j: where the new attempt's j goes."""
    last, starts = _separator_end(ids)
    q = len(ids) - last
    pos = []
    for k in range(last):
        s = max(x for x in starts if x <= k)
        pos.append(min(q + k - s, n_positions - 1))
    return pos + list(range(q))


def question_first_prompt(problem: dict, attempts: list[str]) -> str:
    a = attempts[-1] if attempts[-1].endswith("\n") else attempts[-1] + "\n"
    return problem["prompt"] + a + ATTEMPT_SEPARATOR + problem["prompt"]


def question_first_positions(base: int):
    def positions(ids: list[int], n_positions: int = 1024) -> list[int]:
        last, _ = _separator_end(ids)
        return list(range(base, base + last)) + list(range(len(ids) - last))

    return positions


def use_layout(positions=None, prompt=None) -> None:
    """Swap the revision prompt's positions (and text) everywhere the pipeline's code reads them."""
    if positions:
        data.prompt_positions = positions
        sample.prompt_positions = positions
    if prompt:
        data.revision_prompt = prompt
        revdistill.revision_prompt = prompt
        revrl.revision_prompt = prompt


def wrong_attempt_pairs() -> list[dict]:
    pairs = []
    for stage in ("rlsample", "slipsample"):
        with open(os.path.join(FULL, stage, "pairs.json")) as f:
            pairs += json.load(f)
    return pairs


HP = dict(attempts=32, warmup=20, tau=0.5, copy_tau=0.5, chunk_tokens=8192,
          level_weights={1: 1.0, 2: 1.0, 3: 1.0, 4: 0.25, 5: 0.25, 6: 0.25, 7: 0.25})


class CosineDistill(revdistill.Distill):
    def lr(self) -> float:
        hp = self.hp
        if self.step < hp["warmup"]:
            return hp["lr"] * (self.step + 1) / hp["warmup"]
        t = min(1.0, (self.step - hp["warmup"]) / (500 - hp["warmup"]))
        return 1e-4 + (hp["lr"] - 1e-4) * 0.5 * (1 + math.cos(math.pi * t))


def grown(model: TinyGPT, extra: int) -> TinyGPT:
    m = TinyGPT(replace(model.cfg, n_layer=model.cfg.n_layer + extra))
    m.load_state_dict(model.state_dict(), strict=False)
    n = model.cfg.n_layer
    for b in m.transformer.h[n:]:
        for proj in (b.attn.c_proj, b.mlp.c_proj):
            torch.nn.init.zeros_(proj.weight)
            torch.nn.init.zeros_(proj.bias)
    for name, p in m.named_parameters():
        p.requires_grad = name.startswith("transformer.ln_f.") or any(name.startswith(f"transformer.h.{i}.") for i in range(n, n + extra))
    return m


def cmd_train(args) -> None:
    if args.variant == "aligned":
        use_layout(aligned_positions)
    pairs = wrong_attempt_pairs()
    teacher = rounded(load(GENERATOR))
    teacher.eval()
    out = os.path.join(args.out, args.name or args.variant)
    os.makedirs(out, exist_ok=True)

    def save(model, step):
        if step % 50 == 0:
            torch.save(copy.deepcopy(model).state_dict(), os.path.join(out, f"step{step}.pt"))

    if args.variant == "pg":
        # The run that became the pipeline's `revpg` stage (same seeds: the pipeline reproduces it).
        student = distilled()
        hp = dict(HP, lr=args.lr, warmup=10, attempts=16, prompts=16, group=8, right_frac=0.25, pg_levels=[1, 2], anchor=args.anchor)
        d = revdistill.DistillPG(student, teacher, pairs, hp, 1234 + 21, 1234 * 1000 + 10_000)
        revdistill.train(d, args.steps, log, "pg", lambda r: save(student, r.step), 50)
        return
    if args.variant == "aligned":
        student = rounded(load(GENERATOR))
        torch.manual_seed(1234 + 14)
        d = CosineDistill(student, teacher, pairs, dict(HP, lr=args.lr), 1234 + 14)
    else:
        base = distilled()
        torch.manual_seed(1234 + 17)  # the new blocks' initial weights
        student = grown(base, 2)
        d = revdistill.Distill(student, teacher, pairs, dict(HP, lr=args.lr), 1234 + 17)
    revdistill.train(d, args.steps, log, args.variant, lambda r: save(student, r.step), 50)


def _load_any(path: str) -> TinyGPT:
    if path == "generator":
        return rounded(load(GENERATOR)).eval()
    if path == "distilled":
        return distilled().eval()
    state = torch.load(path)
    state = state["model"] if "opt" in state else state
    n = 1 + max(int(k.split(".")[2]) for k in state if k.startswith("transformer.h."))
    m = TinyGPT(replace(load(GENERATOR).cfg, n_layer=n))
    m.load_state_dict(state)
    return rounded(m).eval()


def _held_out_attempts(eval_out: str) -> list[dict]:
    problems = load_jsonl(os.path.join(ROOT, "training/out/data/eval.jsonl"))
    out = []
    for level in (1, 2):
        with open(os.path.join(eval_out, "eval_cache", f"L{level}_samples.json")) as f:
            samples = json.load(f)
        ps = [p for p in problems if p["level"] == level][:100]
        wrong, _ = distinct_attempts(samples, [grade(ps[i // 64], t)[0] for i, t in enumerate(samples)], 64, 2, 0)
        out += [{"problem": ps[pi], "attempt": t} for pi, t in wrong]
    return out


@torch.no_grad()
def cmd_slip(args) -> None:
    if args.variant == "aligned":
        use_layout(aligned_positions)
    gen = rounded(load(GENERATOR)).eval()
    model = _load_any(args.model)
    rng = random.Random(0)
    train = [q for q in wrong_attempt_pairs() if q["problem"]["level"] <= 2]
    for name, ps in (("training", rng.sample(train, 300)), ("held-out", _held_out_attempts(args.eval_out))):
        items = [(q["problem"], q["attempt"], q["attempt"]) for q in ps]
        conts = [c for *_, c in items]
        tgt, _, rule = revdistill.targets(gen, items, 0.5, 0.5, with_rows=True)
        plain = F.softmax(revdistill._continuation_logits(gen, [p["prompt"] for p, _, _ in items], conts), -1)
        rev = F.softmax(revdistill._continuation_logits(model, [data.revision_prompt(p, [a]) for p, a, _ in items], conts), -1)
        slip = torch.tensor([t for c in conts for t in tok.encode(c)])
        r = rule.nonzero().squeeze(1)
        kl = (tgt * (tgt.clamp_min(1e-12).log() - rev.clamp_min(1e-12).log())).sum(-1)
        log(
            f"{name}: {len(ps)} attempts, {len(r)} characters where the rule forbids the slip | generator, plain "
            f"prompt: p(slip) {plain[r, slip[r]].mean():.3f} | model: p(slip) {rev[r, slip[r]].mean():.3f}, KL there "
            f"{kl[r].mean():.3f}, KL elsewhere {kl[~rule].mean():.4f}"
        )


@torch.no_grad()
def cmd_layouts(args) -> None:
    gen = rounded(load(GENERATOR)).eval()
    ps = random.Random(0).sample([q for q in wrong_attempt_pairs() if q["problem"]["level"] <= 2], 300)
    items = [(q["problem"], q["attempt"], q["attempt"]) for q in ps]
    conts = [c for *_, c in items]
    tgt, _ = revdistill.targets(gen, items, 0.0)
    for base in (0, 320):
        use_layout(question_first_positions(base), question_first_prompt)
        rev = F.softmax(revdistill._continuation_logits(gen, [data.revision_prompt(p, [a]) for p, a, _ in items], conts), -1)
        kl = (tgt * (tgt.clamp_min(1e-12).log() - rev.clamp_min(1e-12).log())).sum(-1)
        # The generator's confidence in attempt 1's characters where the question and attempt 1 start at `base`.
        exs = [lm_example(p["prompt"], a) for p, a, _ in items]
        hit = []
        for (p, a, _), e in zip(items, exs):
            pr = F.softmax(gen(torch.tensor([e.ids]), torch.tensor([[base + i for i in range(len(e.ids))]]))[0], -1)
            s = len(p["prompt"]) - 1
            hit.append(pr[s : s + len(a)].gather(1, torch.tensor(tok.encode(a))[:, None]).squeeze(1))
        conf = torch.cat(hit)
        log(
            f"question first, first part from {base}: KL of the new attempt to the plain prompt's {kl.mean():.3f}; "
            f"the generator's mean probability of attempt 1's characters there {conf.mean():.3f}"
        )


def main() -> None:
    torch.set_num_threads(int(os.environ.get("TINYMATH_THREADS", "2")))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["train", "slip", "layouts"])
    ap.add_argument("--variant", choices=["aligned", "grow", "pg"], default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "training/out/experiments/revision_variants"))
    ap.add_argument("--name", default=None)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--anchor", type=float, default=20.0, help="pg: weight of the distillation KL")
    ap.add_argument("--model", default="distilled", help="slip: a step<N>.pt, or generator / distilled (revdistill's model)")
    ap.add_argument("--eval-out", default=os.path.join(ROOT, "training/out/experiments/revision_rl"),
                    help="slip: where revision_distill.py eval cached the evaluation's first samples")
    args = ap.parse_args()
    {"train": cmd_train, "slip": cmd_slip, "layouts": cmd_layouts}[args.cmd](args)


if __name__ == "__main__":
    main()
