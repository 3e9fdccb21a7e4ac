"""Choosing among a problem's samples with a PRM, on held-out TRAINING problems (not the evaluation
set), so that a PRM recipe can be chosen without looking at REPORT.md's problems.

  sample: the shipped generator's samples (T=1, ended at the first answer line as in the app) on
          training problems that no PRM stage used, old recipe or new;
  score:  for a PRM (an export folder or a pipeline `prm/model.pt`, rounded to float16 as shipped;
          or `likelihood`, the generator's own probability of the solution as sampled, for scale),
          per level: majority@16 and PRM-weighted best-of-16 on the same groups, the groups only one
          of them gets right with a sign test, and the final score's AUROC pooled and within a
          problem.

  /usr/bin/python3 training/experiments/prm_choice.py sample --out /tmp/prmval
  /usr/bin/python3 training/experiments/prm_choice.py score --out /tmp/prmval --prm public/models/tinymath-prm
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random

import torch
from common import GENERATOR, ROOT, log

import pipeline
from tinymath import evaluate
from tinymath.data import extract_answer, grade, load_jsonl, prm_text, split_steps
from tinymath.export import load
from tinymath.metrics import auroc, sign_test_p, weighted_vs_majority, within_problem_auroc
from tinymath.revrl import completion_logprobs, rounded
from tinymath.sample import prm_scores


def _used_ids(train) -> set:
    """Problems any PRM stage trained on: `revsample` (the old recipe's graded samples), `prmdata`
    and `prmextra` (the `full` preset's counts; the old recipe's 300 a level are the first of them)."""
    cfg = pipeline.PRESETS["full"]
    return {p["id"] for st in ("revsample", "prmdata", "prmextra") for p in pipeline.stage_problems(cfg, train, st)}


def cmd_sample(a):
    train = load_jsonl(os.path.join(ROOT, "training/out/data/train.jsonl"))
    used = _used_ids(train)
    rng = random.Random(a.seed)
    problems = []
    for lv in a.levels:
        pool = [p for p in train if p["level"] == lv and p["id"] not in used]
        problems += rng.sample(pool, a.problems)
    gen = load(GENERATOR)
    gen.eval()
    prompts = [p["prompt"] for p in problems for _ in range(a.samples)]
    log(f"sampling {len(prompts)} ({a.problems} problems x {a.samples}, levels {a.levels})")
    with torch.no_grad():
        texts = evaluate._sample(gen, prompts, 260, 1.0, a.seed)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "samples.json"), "w") as f:
        json.dump({"problems": problems, "samples": a.samples, "texts": texts}, f)
    log("done")


def _load_prm(path: str, preset: str = "full"):
    if os.path.isdir(path):
        return load(path)
    m = pipeline.stage_model(pipeline.PRESETS[preset] | {"name": preset}, "prm")
    state = torch.load(path)
    m.load_state_dict(state["model"] if "model" in state and "opt" in state else state)  # model.pt or ckpt.pt
    return rounded(m)


def likelihood_scores(prompts: list[str], texts: list[str], batch: int = 256) -> list[float]:
    """Not a PRM, for scale: the shipped generator's probability of the whole solution as its sampler
    draws it (revrl.completion_logprobs: the sampler's masks, and the end after the answer line)."""
    gen = load(GENERATOR)
    gen.eval()
    out = []
    with torch.no_grad():
        for c in range(0, len(texts), batch):
            lp, _ = completion_logprobs(gen, prompts[c : c + batch], texts[c : c + batch])
            out += [math.exp(x) for x in lp.tolist()]
    return out


def cmd_score(a):
    d = json.load(open(os.path.join(a.out, "samples.json")))
    problems, n, texts = d["problems"], d["samples"], d["texts"]
    steps = [split_steps(t)[: evaluate.MAX_PRM_STEPS] for t in texts]
    if a.prm == "likelihood":
        final = likelihood_scores([problems[i // n]["prompt"] for i in range(len(texts))], texts)
    else:
        prm = _load_prm(a.prm, a.preset)
        with torch.no_grad():
            scored = iter(prm_scores(prm, [prm_text(problems[i // n]["prompt"], s, prm.cfg.prm_newline) for i, s in enumerate(steps) if s]))
        final = [next(scored)[-1] if s else 0.0 for s in steps]
    correct = [grade(problems[i // n], t)[0] for i, t in enumerate(texts)]
    answers = [extract_answer(t) for t in texts]
    k = a.bon
    total_w = total_m = 0
    for lv in sorted({p["level"] for p in problems}):
        idx = [i for i, p in enumerate(problems) if p["level"] == lv]
        sel = [i * n + j for i in idx for j in range(n)]
        lv_answers, lv_final, lv_correct = [answers[j] for j in sel], [final[j] for j in sel], [correct[j] for j in sel]
        rights = [str(int(problems[i]["answer"])) for i in idx]
        maj, bon, w_only, m_only = weighted_vs_majority(lv_answers, lv_final, rights, n, k)
        groups = len(idx) * (n // k)
        total_w, total_m = total_w + w_only, total_m + m_only
        print(
            f"L{lv}: pass@1 {sum(lv_correct) / len(sel):.3f} "
            f"majority@{k} {maj / groups:.3f} weighted {bon / groups:.3f} ({w_only} vs {m_only} groups, "
            f"p {sign_test_p(w_only, m_only):.2f}) AUROC {auroc(lv_final, lv_correct):.3f} "
            f"within {within_problem_auroc(lv_final, lv_correct, n):.3f}"
        )
    print(f"all: {total_w} vs {total_m} groups, p {sign_test_p(total_w, total_m):.2f}")


def main():
    torch.set_num_threads(1)
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sample")
    s.add_argument("--out", required=True)
    s.add_argument("--levels", type=lambda x: [int(v) for v in x.split(",")], default=[5, 6, 7])
    s.add_argument("--problems", type=int, default=150)
    s.add_argument("--samples", type=int, default=16)
    s.add_argument("--seed", type=int, default=4242)
    c = sub.add_parser("score")
    c.add_argument("--out", required=True)
    c.add_argument("--prm", required=True, help="an export folder, a pipeline prm/model.pt, or `likelihood`")
    c.add_argument("--bon", type=int, default=16)
    c.add_argument("--preset", default="full", help="the pipeline preset whose PRM shape a model.pt has (e.g. prm3)")
    a = ap.parse_args()
    cmd_sample(a) if a.cmd == "sample" else cmd_score(a)


if __name__ == "__main__":
    main()
