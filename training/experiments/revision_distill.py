"""Experiment: a revision model distilled from the generator's plain-prompt distribution with
attempt 1's unsure characters forbidden (tinymath/revdistill.py), measured with the evaluation
stage's own revision protocol (64 first samples per problem, up to 2 distinct wrong attempts, 8
revisions each, the same seeds), so its numbers compare with training/REPORT.md's directly.

    /usr/bin/python3 training/experiments/revision_rl.py data --out DIR      # wrong attempts (pairs.json)
    /usr/bin/python3 training/experiments/revision_distill.py train --out DIR --name d1 --steps 300
    /usr/bin/python3 training/experiments/revision_distill.py eval --out DIR --name d1 --levels 1,2
"""
from __future__ import annotations

import argparse
import json
import os

import torch
from common import GENERATOR, ROOT, distinct_attempts, log

from tinymath import evaluate, revdistill
from tinymath.data import grade, load_jsonl, revision_prompt
from tinymath.export import load
from tinymath.revrl import rounded

def cmd_train(args) -> None:
    with open(os.path.join(args.out, "pairs.json")) as f:
        pairs = [q for q in json.load(f) if q["problem"]["level"] <= args.max_level]
    teacher = load(GENERATOR)
    teacher.eval()
    student = load(GENERATOR)
    hp = dict(lr=args.lr, warmup=20, attempts=args.attempts, tau=args.tau, copy_tau=args.copy_tau, chunk_tokens=args.chunk_tokens, plain=args.plain, rule_weight=args.rule_weight,
              level_weights={lv: (1.0 if lv <= 3 else args.hard_weight) for lv in range(1, 8)})
    torch.manual_seed(5)
    d = revdistill.Distill(student, teacher, pairs, hp, 5)
    out = os.path.join(args.out, args.name)
    os.makedirs(out, exist_ok=True)
    log(f"{len(pairs)} wrong attempts, {hp}")
    def save(d):
        torch.save(rounded(__import__("copy").deepcopy(student)).state_dict(), os.path.join(out, f"step{d.step}.pt"))

    revdistill.train(d, args.steps, log, args.name, save, args.save_every)
    torch.save(rounded(student).state_dict(), os.path.join(out, "model.pt"))
    log(f"saved {out}/model.pt")


def cmd_eval(args) -> None:
    gen = load(GENERATOR)
    gen.eval()
    rev = load(GENERATOR)
    if args.name != "shipped":
        state = torch.load(args.model or os.path.join(args.out, args.name, "model.pt"))
        # A pipeline checkpoint (revdistill/ckpt.pt) holds the model beside the optimizer.
        rev.load_state_dict(state["model"] if "opt" in state else state)
        rounded(rev)
    rev.eval()
    problems_all = load_jsonl(os.path.join(args.data, "eval.jsonl"))
    n, R, max_new = 64, 8, 260
    cache = os.path.join(args.out, "eval_cache")
    os.makedirs(cache, exist_ok=True)
    for level in [int(x) for x in args.levels.split(",")]:
        problems = [p for p in problems_all if p["level"] == level][:100]
        # The evaluation stage's first samples: the same call, so the same texts.
        samples = evaluate._cached(
            os.path.join(cache, f"L{level}_samples.json"),
            lambda: evaluate._sample(gen, [p["prompt"] for p in problems for _ in range(n)], max_new, 1.0, 1000 + level),
        )
        ok = [grade(problems[i // n], s)[0] for i, s in enumerate(samples)]
        per_problem = [sum(ok[i * n : (i + 1) * n]) for i in range(len(problems))]
        items, right = distinct_attempts(samples, ok, n, 2, 1)
        prompts = [revision_prompt(problems[pi], [t]) for pi, t in items for _ in range(R)]
        outs = evaluate._sample(rev, prompts, max_new, 1.0, 2000 + level)
        good = [grade(problems[items[j // R][0]], o)[0] for j, o in enumerate(outs)]
        fresh = [per_problem[items[j // R][0]] / n for j in range(len(outs))]
        copies = sum(o == items[j // R][1] for j, o in enumerate(outs)) / max(len(outs), 1)
        line = (
            f"level {level}: {len(outs)} revisions | attempt 2 {sum(good) / max(len(good), 1):.3f} vs fresh "
            f"{sum(fresh) / max(len(fresh), 1):.3f} | copies {copies:.3f}"
        )
        if args.plain_pass:
            fresh2 = evaluate._sample(rev, [p["prompt"] for p in problems for _ in range(16)], max_new, 1.0, 4000 + level)
            line += f" | its plain pass@1 {sum(grade(problems[i // 16], o)[0] for i, o in enumerate(fresh2)) / len(fresh2):.3f}"
        if args.right:
            kept = evaluate._sample(rev, [revision_prompt(problems[pi], [t]) for pi, t in right for _ in range(2)], max_new, 1.0, 3000 + level)
            line += f" | right attempt kept right {sum(grade(problems[right[j // 2][0]], o)[0] for j, o in enumerate(kept)) / len(kept):.3f}"
        log(line)


def main() -> None:
    torch.set_num_threads(int(os.environ.get("TINYMATH_THREADS", "1")))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("cmd", choices=["train", "eval"])
    ap.add_argument("--data", default=os.path.join(ROOT, "training/out/data"))
    ap.add_argument("--out", default=os.path.join(ROOT, "training/out/experiments/revision_rl"))
    ap.add_argument("--name", default="d1")
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--attempts", type=int, default=32, help="train: wrong attempts per step (each gives 2 continuations)")
    ap.add_argument("--tau", type=float, default=0.5)
    ap.add_argument("--copy-tau", type=float, default=None, help="train: copy attempt 1's character where the generator gave it at least this")
    ap.add_argument("--chunk-tokens", type=int, default=8192)
    ap.add_argument("--save-every", type=int, default=50)
    ap.add_argument("--hard-weight", type=float, default=1.0, help="train: how often each of levels 4-7 is drawn, against 1 for levels 1-3")
    ap.add_argument("--plain", type=float, default=0.0, help="train: weight of a KL anchor to the generator on plain prompts (a shared generator)")
    ap.add_argument("--rule-weight", type=float, default=1.0, help="train: loss weight of the characters where the rule forbids attempt 1's next one")
    ap.add_argument("--max-level", type=int, default=7)
    ap.add_argument("--levels", default="1,2")
    ap.add_argument("--model", default=None, help="eval: a .pt file (default: <out>/<name>/model.pt)")
    ap.add_argument("--plain-pass", action="store_true", help="eval: also the revision model's own pass@1 on plain prompts (16 samples)")
    ap.add_argument("--right", action="store_true", help="eval: also revise one right attempt per problem (2 samples)")
    args = ap.parse_args()
    {"train": cmd_train, "eval": cmd_eval}[args.cmd](args)


if __name__ == "__main__":
    main()
