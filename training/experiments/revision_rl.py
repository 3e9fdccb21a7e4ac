"""Experiment: teach revisions with a policy gradient on the model's own
revisions, and measure attempt 2 against a fresh sample. training/README.md, "Rewriting from the
first wrong line, and learning from its own revisions", has what it found.

    /usr/bin/python3 training/experiments/revision_rl.py data     # wrong attempts of the shipped generator
    /usr/bin/python3 training/experiments/revision_rl.py train --steps 400 --lr 2e-4 --name rl2
    /usr/bin/python3 training/experiments/revision_rl.py eval --name rl2 --levels 1,2,3

The pipeline's `rlsample` and `revrl` stages grew out of this (tinymath/revrl.py, which this script
shares); this script keeps the variants that were tried (the cross-entropy anchor) and the
evaluation protocol of the tables in training/README.md: `eval --rev
training/out/revmodel/models/tinymath-rev` measures the `revmodel` preset's revision model with it.

`data` reads the exported training problems (`npx tsx scripts/export-arith-data.ts --out
training/out/data`, which `npm run train` also writes) and samples the generator 6 times per problem
(about 12 minutes on 2 cores). `train` starts from the shipped generator and writes
`<out>/<name>/model.pt`; nothing under public/ changes. Each step samples `group` revisions for each
of `prompts` attempts (the shipped revision prompt, a quarter of them with the canonical solution as
a right attempt 1), rewards a right final answer with 1, and weights each revision's
log-probability by its reward minus its group's mean (group-relative, as in GRPO; one update per
batch, so no clipping). `--ce W` adds W x cross-entropy on canonical solutions after plain and
revision prompts. `eval` follows training/README.md's revision protocol (100 held-out problems per
level, 16 first samples, up to 2 distinct wrong attempts per problem, 8 samples each; the same
seeds as the tables there).
"""
from __future__ import annotations

import argparse
import json
import os
import random

import torch
from common import GENERATOR, ROOT, distinct_attempts, log

from tinymath.data import grade, load_jsonl, revision_prompt
from tinymath.export import load
from tinymath.revrl import completion_logprobs, sample, wrong_attempts

def cmd_data(args) -> None:
    train = load_jsonl(os.path.join(args.data, "train.jsonl"))
    rng = random.Random(77)
    model = load(GENERATOR)
    model.eval()
    pairs = []
    for level, n in zip(range(1, 8), [int(x) for x in args.per_level.split(",")]):
        problems = rng.sample([p for p in train if p["level"] == level], n)
        outs = []
        for c in range(0, len(problems), 500):
            chunk = problems[c : c + 500]
            outs += sample(model, [p["prompt"] for p in chunk for _ in range(args.samples)], 500 + 13 * level + c)
        before = len(pairs)
        pairs += wrong_attempts(problems, outs, args.samples)
        log(f"level {level}: {len(problems)} problems, {len(pairs) - before} distinct wrong attempts")
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "pairs.json"), "w") as f:
        json.dump(pairs, f)


def cmd_train(args) -> None:
    with open(os.path.join(args.out, "pairs.json")) as f:
        everything = json.load(f)
    pairs = [q for q in everything if q["problem"]["level"] <= args.max_level]
    anchor = [q for q in everything if q["problem"]["level"] <= (args.ce_max_level or args.max_level)]
    rng = random.Random(5)
    model = load(GENERATOR)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.98))
    rewards = []
    for step in range(args.steps):
        batch = []
        for _ in range(args.prompts):
            q = rng.choice(pairs)
            right = rng.random() < args.right_frac
            batch.append((q["problem"], q["problem"]["solution"] if right else q["attempt"]))
        prompts = [revision_prompt(p, [a]) for p, a in batch for _ in range(args.group)]
        outs = sample(model, prompts, 10_000 + step)
        r = torch.tensor([float(grade(batch[j // args.group][0], o)[0]) for j, o in enumerate(outs)])
        grouped = r.view(args.prompts, args.group)
        adv = (grouped - grouped.mean(1, keepdim=True)).view(-1)
        keep = sorted((adv != 0).nonzero().squeeze(1).tolist(), key=lambda i: len(prompts[i]) + len(outs[i]))
        rewards.append(float(r.mean()))
        if keep:
            model.train()
            opt.zero_grad(set_to_none=True)
            for c in range(0, len(keep), 32):  # small forward passes: long padded ones are slow here
                ch = keep[c : c + 32]
                lp, _ = completion_logprobs(model, [prompts[i] for i in ch], [outs[i] for i in ch])
                (-(adv[ch] * lp).sum() / len(keep)).backward()
            if args.ce > 0:
                cb = [rng.choice(anchor) for _ in range(args.ce_n)]
                cp = [revision_prompt(q["problem"], [q["attempt"]]) for q in cb]
                if not args.ce_revision_only:
                    cp = [q["problem"]["prompt"] for q in cb] + cp
                lp, n = completion_logprobs(model, cp, [q["problem"]["solution"] for q in cb] * (len(cp) // len(cb)))
                (args.ce * -lp.sum() / n.sum()).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        if (step + 1) % 10 == 0:
            log(f"step {step + 1}/{args.steps}: reward {sum(rewards[-10:]) / 10:.3f} (last 10 steps)")
    d = os.path.join(args.out, args.name)
    os.makedirs(d, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(d, "model.pt"))
    log(f"saved {d}/model.pt")


def cmd_eval(args) -> None:
    gen = load(GENERATOR)
    gen.eval()
    rev = load(args.rev) if args.rev else load(GENERATOR)
    if args.model:
        rev.load_state_dict(torch.load(args.model))
    elif args.name != "shipped" and not args.rev:
        rev.load_state_dict(torch.load(os.path.join(args.out, args.name, "model.pt")))
    rev.eval()
    if args.split == "val":
        # Training problems that the pipeline's rlsample stage did not use: the ones after its
        # slice in the same seeded shuffle (for choosing between runs without the held-out set).
        import pipeline

        hp = pipeline.PRESETS["full"]["rlsample"]
        train = [p for p in load_jsonl(os.path.join(args.data, "train.jsonl")) if p["level"] in hp["levels"]]
        problems_all = pipeline.per_level_slice(train, 100, hp["per_level"], pipeline.SEED + 11)
    else:
        problems_all = load_jsonl(os.path.join(args.data, "eval.jsonl"))
    N, R = 16, 8
    for level in [int(x) for x in args.levels.split(",")]:
        problems = [p for p in problems_all if p["level"] == level][:100]
        first = sample(gen, [p["prompt"] for p in problems for _ in range(N)], 1000 + level)
        ok = [grade(problems[i // N], s)[0] for i, s in enumerate(first)]
        wrong, right = distinct_attempts(first, ok, N, 2, 2)
        fresh = sample(gen, [problems[pi]["prompt"] for pi, _ in wrong for _ in range(R)], 2000 + 10 * level)
        revs = sample(rev, [revision_prompt(problems[pi], [a]) for pi, a in wrong for _ in range(R)], 2097 + 10 * level)
        kept = sample(rev, [revision_prompt(problems[pi], [a]) for pi, a in right for _ in range(R)], 3000 + 10 * level)
        plain = sample(rev, [p["prompt"] for p in problems for _ in range(4)], 7)

        def rate(items, texts):
            return sum(grade(problems[items[j // R][0]], t)[0] for j, t in enumerate(texts)) / max(len(texts), 1)

        copies = sum(t == wrong[j // R][1] for j, t in enumerate(revs)) / max(len(revs), 1)
        plain_ok = sum(grade(problems[i // 4], t)[0] for i, t in enumerate(plain)) / len(plain)
        log(
            f"level {level}: {len(wrong)} wrong attempts, {len(revs)} revisions | fresh {rate(wrong, fresh):.3f} | "
            f"revision {rate(wrong, revs):.3f} (copies {copies:.3f}) | right attempt kept right {rate(right, kept):.3f} | "
            f"plain pass@1 {plain_ok:.3f}"
        )


def main() -> None:
    torch.set_num_threads(int(os.environ.get("TINYMATH_THREADS", "1")))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["data", "train", "eval"])
    ap.add_argument("--data", default=os.path.join(ROOT, "training/out/data"), help="exported problems (train.jsonl, eval.jsonl)")
    ap.add_argument("--out", default=os.path.join(ROOT, "training/out/experiments/revision_rl"))
    ap.add_argument("--per-level", default="6000,3000,1200,600,400,300,300", help="data: training problems per level")
    ap.add_argument("--samples", type=int, default=6, help="data: samples per problem")
    ap.add_argument("--name", default="rl")
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--group", type=int, default=8)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--right-frac", type=float, default=0.25)
    ap.add_argument("--max-level", type=int, default=3)
    ap.add_argument("--ce", type=float, default=0.0)
    ap.add_argument("--ce-n", type=int, default=16)
    ap.add_argument("--ce-max-level", type=int, default=None, help="train: the anchor's attempts go up to this level (default: --max-level)")
    ap.add_argument("--ce-revision-only", action="store_true", help="train: anchor on revision prompts only, not plain ones")
    ap.add_argument("--levels", default="1,2,3")
    ap.add_argument("--model", default=None, help="eval: a model.pt (e.g. training/out/full/revrl/model.pt) that writes the revisions")
    ap.add_argument("--split", default="eval", choices=["eval", "val"], help="eval: held-out problems, or training problems rlsample did not use")
    ap.add_argument("--rev", default=None, help="eval: an export folder whose model writes the revisions (e.g. training/out/revmodel/models/tinymath-rev)")
    args = ap.parse_args()
    {"data": cmd_data, "train": cmd_train, "eval": cmd_eval}[args.cmd](args)


if __name__ == "__main__":
    main()
