"""Evaluation of the shipped TinyMath models on held-out problems: REPORT.md + report.json.

Per level: greedy accuracy, pass@1/16/64 (unbiased), majority@16, best-of-16 weighted with the PRM,
per-step error rate, correct answers reached through wrong steps; PRM AUROC and first-wrong-step
detection; revision gain (attempt 2 after a wrong attempt 1 against a fresh sample).
Correctness is the final answer, as in the paper; the step verdicts come from the exact checker.
"""
from __future__ import annotations

import json
import os
import time

import torch

from . import tokenizer as tok
from .data import extract_answer, grade, prm_text, revision_prompt, split_steps
from .metrics import auroc, cluster_bootstrap_interval, pass_at_k, sign_test_p, weighted_vs_majority, within_problem_auroc
from .sample import generate_batched, prm_scores

MAX_PRM_STEPS = 24


# Evaluation files reused from an earlier run of this stage (so its wall time does not include them).
REUSED: list[str] = []


def _cached(path, fn):
    if os.path.exists(path):
        REUSED.append(os.path.basename(path))
        with open(path) as f:
            return json.load(f)
    res = fn()
    with open(path + ".tmp", "w") as f:
        json.dump(res, f)
    os.replace(path + ".tmp", path)
    return res


def _sample(model, prompts, max_new, temperature, seed):
    g = torch.Generator().manual_seed(seed)
    # A solution ends with its first answer line (task.isFinalStep), and is never empty: see
    # training/README.md, "Decoding".
    ids = generate_batched(
        model, [tok.encode(p) for p in prompts], max_new, temperature, g, stop_at_answer=True, no_empty=True
    )
    return [tok.decode(x) for x in ids]


def first_wrong_detection(scores: list[float], verdicts: list[bool]) -> dict | None:
    """For a solution with a wrong step: does the PRM point at the FIRST wrong step?

    threshold: the first step scored below 0.5 is the first wrong step.
    largest_drop: the step whose score falls most from the step before it (the value before step
    1 counts as 1) is the first wrong step. Soft-label PRMs score correct steps of hard problems
    low (few rollouts succeed from them), so the drop is the fairer reading of a value model.
    """
    if all(verdicts):
        return None
    fw = verdicts.index(False)
    n = min(len(scores), len(verdicts))
    below = [i for i in range(n) if scores[i] < 0.5]
    drops = [(1.0 if i == 0 else scores[i - 1]) - scores[i] for i in range(n)]
    return {
        "threshold": bool(below) and below[0] == fw,
        "threshold_early": bool(below) and below[0] < fw,
        "largest_drop": bool(drops) and max(range(n), key=lambda i: drops[i]) == fw,
    }


def evaluate_level(level, problems, gen, prm, hp, out_dir, log, rev=None):
    n, k_bon = hp["samples"], hp["bon"]
    t0 = time.time()
    greedy = _cached(
        os.path.join(out_dir, f"L{level}_greedy.json"),
        lambda: _sample(gen, [p["prompt"] for p in problems], hp["max_new"], 0.0, 0),
    )
    samples = _cached(
        os.path.join(out_dir, f"L{level}_samples.json"),
        lambda: _sample(gen, [p["prompt"] for p in problems for _ in range(n)], hp["max_new"], 1.0, 1000 + level),
    )
    log(f"eval L{level}: sampled {len(samples)} in {time.time() - t0:.0f} s")
    graded = [grade(problems[i // n], s) for i, s in enumerate(samples)]
    answers = [extract_answer(s) for s in samples]
    steps = [split_steps(s)[:MAX_PRM_STEPS] for s in samples]

    def score_all():
        texts = [prm_text(problems[i // n]["prompt"], st, prm.cfg.prm_newline) for i, st in enumerate(steps) if st]
        scored = iter(prm_scores(prm, texts))
        return [next(scored) if st else [] for st in steps]

    scores = _cached(os.path.join(out_dir, f"L{level}_prm.json"), score_all)
    final = [s[-1] if s else 0.0 for s in scores]

    # Revision: attempt 2 after a wrong attempt 1, against a fresh sample on the same problems.
    rev_items = []
    for pi, p in enumerate(problems):
        wrong = []
        for j in range(n):
            t = samples[pi * n + j]
            if not graded[pi * n + j][0] and t not in wrong:
                wrong.append(t)
        for t in wrong[: hp["rev_attempts"]]:
            rev_items.append((pi, t))
    rev_prompts = [revision_prompt(problems[pi], [t]) for pi, t in rev_items for _ in range(hp["rev_samples"])]
    rev_out = _cached(
        os.path.join(out_dir, f"L{level}_revision.json"),
        lambda: _sample(rev if rev is not None else gen, rev_prompts, hp["max_new"], 1.0, 2000 + level),
    )
    log(f"eval L{level}: PRM scored and {len(rev_out)} revisions sampled, {time.time() - t0:.0f} s")

    # Metrics.
    correct = [g[0] for g in graded]
    per_problem_c = [sum(correct[i * n : (i + 1) * n]) for i in range(len(problems))]
    res = {"level": level, "problems": len(problems), "samples_per_problem": n}
    res["greedy_accuracy"] = sum(grade(p, g)[0] for p, g in zip(problems, greedy)) / len(problems)
    for k in (1, 16, 64):
        if k <= n:
            res[f"pass@{k}"] = sum(pass_at_k(n, c, k) for c in per_problem_c) / len(problems)
    groups = n // k_bon
    rights = [str(int(p["answer"])) for p in problems]
    maj, bon, bon_only, maj_only = weighted_vs_majority(answers, final, rights, n, k_bon)
    res[f"majority@{k_bon}"] = maj / (len(problems) * groups)
    res[f"best_of_{k_bon}_weighted_prm"] = bon / (len(problems) * groups)
    # The two pick from the same samples, so compare them pairwise: groups only one gets right.
    res[f"best_of_{k_bon}_vs_majority"] = {
        "groups": len(problems) * groups,
        "only_weighted_right": bon_only,
        "only_majority_right": maj_only,
        "sign_test_p": round(sign_test_p(bon_only, maj_only), 4),
    }
    all_verdicts = [v for g in graded for v in g[1]]
    res["step_error_rate"] = 1 - sum(all_verdicts) / max(1, len(all_verdicts))
    n_correct = sum(correct)
    res["correct_through_wrong_steps"] = (
        sum(1 for g in graded if g[0] and not all(g[1])) / n_correct if n_correct else None
    )
    res["prm_auroc"] = auroc(final, correct)
    # Within one problem: does the PRM rank its right solutions above its wrong ones? (Pooled AUROC
    # also rewards scoring hard problems low, which says nothing about choosing among samples.)
    res["prm_auroc_within_problem"] = within_problem_auroc(final, correct, n)
    det = [first_wrong_detection(s, g[1][: len(s)]) for s, g in zip(scores, graded) if s]
    det = [d for d in det if d is not None]
    res["prm_first_wrong_step"] = {
        "solutions_with_wrong_step": len(det),
        "threshold": sum(d["threshold"] for d in det) / len(det) if det else None,
        "threshold_flags_earlier": sum(d["threshold_early"] for d in det) / len(det) if det else None,
        "largest_drop": sum(d["largest_drop"] for d in det) / len(det) if det else None,
    }
    rev_pairs = [x for x in rev_items for _ in range(hp["rev_samples"])]
    rev_ok = [grade(problems[pi], t)[0] for (pi, _), t in zip(rev_pairs, rev_out)]
    fresh = [per_problem_c[pi] / n for pi, _ in rev_pairs]
    # Attempt 2 written out exactly as attempt 1 was: the model repeated its wrong answer.
    copied = [t == first for (_, first), t in zip(rev_pairs, rev_out)]
    new_ok = [ok for ok, c in zip(rev_ok, copied) if not c]
    res["revision"] = {
        "pairs": len(rev_ok),
        "attempt2_after_wrong": sum(rev_ok) / len(rev_ok) if rev_ok else None,
        "fresh_sample_same_problems": sum(fresh) / len(fresh) if fresh else None,
        "attempt2_copies_attempt1": sum(copied) / len(copied) if copied else None,
        "attempt2_right_when_not_a_copy": sum(new_ok) / len(new_ok) if new_ok else None,
    }
    if rev_ok:
        res["revision"]["gain"] = res["revision"]["attempt2_after_wrong"] - res["revision"]["fresh_sample_same_problems"]
        # How sure the gain is: each revision's right-or-wrong minus its problem's fresh pass@1,
        # resampled by problem (a problem's revisions share its difficulty and its fresh value).
        by_problem: dict[int, list[float]] = {}
        for (pi, _), ok, f in zip(rev_pairs, rev_ok, fresh):
            by_problem.setdefault(pi, []).append(float(ok) - f)
        ci = cluster_bootstrap_interval(list(by_problem.values()), seed=level)
        res["revision"]["gain_interval_95"] = [round(ci[0], 4), round(ci[1], 4)] if ci else None
        res["revision"]["problems"] = len(by_problem)
    res["_final_scores"] = final
    res["_correct"] = correct
    res["seconds"] = round(time.time() - t0, 1)
    return res


def run(cfg, gen, prm, eval_problems, out_dir, log, rev=None):
    """`rev`: the model that writes revisions (the generator when None)."""
    hp = cfg["eval"]
    levels = sorted({p["level"] for p in eval_problems})
    results = []
    REUSED.clear()
    for lv in levels:
        probs = [p for p in eval_problems if p["level"] == lv][: hp["per_level"]]
        results.append(evaluate_level(lv, probs, gen, prm, hp, out_dir, log, rev))
        r = results[-1]
        b = hp["bon"]
        log(
            f"eval L{lv}: greedy {r['greedy_accuracy']:.3f} pass@1 {r['pass@1']:.3f} "
            f"majority@{b} {r['majority@%d' % b]:.3f} best-of-{b} weighted {r['best_of_%d_weighted_prm' % b]:.3f} "
            f"step error {r['step_error_rate']:.3f} AUROC {_f(r['prm_auroc'])} ({r['seconds']} s)"
        )
    all_final = [s for r in results for s in r.pop("_final_scores")]
    all_correct = [c for r in results for c in r.pop("_correct")]
    report = {
        "preset": cfg["name"],
        "levels": results,
        "prm_auroc_all_levels": auroc(all_final, all_correct),
        "settings": hp,
        "reused_files": sorted(REUSED),
    }
    return report


def _paired(r, b):
    """ " (12 vs 9 groups, p 0.66)": the groups only weighted / only majority gets right, sign test."""
    c = r.get(f"best_of_{b}_vs_majority")
    if not c:
        return ""
    return f" ({c['only_weighted_right']} vs {c['only_majority_right']} groups, p {c['sign_test_p']:.2f})"


def _f(x, digits=3):
    return "–" if x is None else f"{x:.{digits}f}"


def _interval(ci) -> str:
    return "–" if not ci else f"{ci[0]:+.3f} to {ci[1]:+.3f}"


def write_report(report: dict, md_path: str, json_path: str, extra: dict) -> None:
    report = {**report, **extra}
    with open(json_path, "w") as f:
        json.dump(report, f, indent=2)
    hp = report["settings"]
    b = hp["bon"]
    L = report["levels"]
    lines = [
        "# TinyMath evaluation report",
        "",
        f"Generated by `training/pipeline.py --preset {report['preset']}`. Held-out problems "
        f"(eval seed, disjoint from training): {hp['per_level']} per level, {hp['samples']} samples per problem "
        "at temperature 1. Correctness is the final answer; step verdicts come from the exact checker. "
        "Machine-readable: `training/report.json`.",
        "",
        "| level | greedy | pass@1 | pass@16 | pass@64 | majority@%d | best-of-%d weighted (PRM) | step error | correct via wrong steps | PRM AUROC | PRM AUROC within a problem |" % (b, b),
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in L:
        lines.append(
            f"| {r['level']} | {_f(r['greedy_accuracy'])} | {_f(r.get('pass@1'))} | {_f(r.get('pass@16'))} | "
            f"{_f(r.get('pass@64'))} | {_f(r[f'majority@{b}'])} | {_f(r[f'best_of_{b}_weighted_prm'])} | "
            f"{_f(r['step_error_rate'])} | {_f(r['correct_through_wrong_steps'])} | {_f(r['prm_auroc'])} | "
            f"{_f(r.get('prm_auroc_within_problem'))} |"
        )
    lines += [
        "",
        f"PRM AUROC of the final-answer score for correctness, all levels pooled: **{_f(report['prm_auroc_all_levels'])}**. "
        "*Within a problem* averages the AUROC over the problems that have both right and wrong samples: it is what "
        "choosing among one problem's samples needs, and pooled AUROC also rewards scoring hard problems low. "
        f"Best-of-{report['settings']['bon']} weighted and majority@{report['settings']['bon']} choose from the same groups of samples, so the "
        "targets table also counts the groups only one of them gets right, with a two-sided sign test on those counts "
        "(p: how likely a split at least that uneven is if the two were equally good).",
        "",
        "## PRM: first wrong step",
        "",
        "Among sampled solutions with at least one wrong step (exact checker): how often the PRM points at the first one. "
        "*threshold*: the first step scored below 0.5 is the first wrong step; *largest drop*: the step whose score falls "
        "most is the first wrong step.",
        "",
        "| level | solutions with a wrong step | threshold | flags earlier (threshold) | largest drop |",
        "|---|---|---|---|---|",
    ]
    for r in L:
        d = r["prm_first_wrong_step"]
        lines.append(
            f"| {r['level']} | {d['solutions_with_wrong_step']} | {_f(d['threshold'])} | {_f(d['threshold_flags_earlier'])} | {_f(d['largest_drop'])} |"
        )
    lines += [
        "",
        "## Revisions",
        "",
        f"For up to {hp['rev_attempts']} distinct wrong samples per problem, {report.get('revision_model', 'the generator')} gets the revision prompt "
        f"(that wrong attempt, the `-` separator line, then the question) and writes attempt 2 ({hp['rev_samples']} samples each). *Fresh* is the plain "
        "pass@1 of the same problems, weighted the same way. *95% interval*: of the gain, from 2,000 bootstrap resamples "
        "of the problems (a problem's revisions are not independent). *Copies*: attempt 2 is attempt 1 again, character for "
        "character; the last column is attempt 2's accuracy without those.",
        "",
        "| level | problems | pairs | attempt 2 after a wrong attempt 1 | fresh sample | gain | 95% interval | copies | attempt 2 when not a copy |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in L:
        v = r["revision"]
        lines.append(
            f"| {r['level']} | {v.get('problems', '')} | {v['pairs']} | {_f(v['attempt2_after_wrong'])} | {_f(v['fresh_sample_same_problems'])} "
            f"| {_f(v.get('gain'))} | {_interval(v.get('gain_interval_95'))} "
            f"| {_f(v.get('attempt2_copies_attempt1'))} | {_f(v.get('attempt2_right_when_not_a_copy'))} |"
        )
    if "targets" in report:
        lines += ["", "## Targets (issue 3)", "", "| target | value | met |", "|---|---|---|"]
        for t in report["targets"]:
            lines.append(f"| {t['target']} | {t['value']} | {'yes' if t['met'] else '**no**'} |")
    if "wall_seconds" in report:
        lines += ["", "## Wall time per stage (2 CPU cores, shared)", "", "| stage | seconds |", "|---|---|"]
        for k, v in report["wall_seconds"].items():
            lines.append(f"| {k} | {v} |")
        seeded = report.get("seeded_from_export") or {}
        if seeded:
            lines += [
                "",
                f"Not rerun for this report: {', '.join(seeded['stages'])}. `--from-export {seeded['dir']}` took the final generator "
                "and the PRM from the committed export (float16, which is also what every later stage reads), and their times "
                "are those of the run that made it.",
            ]
        reused = report.get("reused_files") or []
        if reused:
            lines += [
                "",
                f"The evaluation reused {len(reused)} files of an earlier run of its stage (samples or scores of "
                "unchanged models, which a rerun would reproduce), so its time above leaves their computation out: "
                + ", ".join(f"`{r}`" for r in reused)
                + ".",
            ]
    if "models" in report:
        lines += ["", "## Models", ""]
        for k, v in report["models"].items():
            lines.append(f"- `{k}`: {v}")
    with open(md_path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _paired_together(levels: list[dict], b: int) -> str:
    """The groups only one of the two gets right, over these levels together, with a sign test."""
    pairs = [r.get(f"best_of_{b}_vs_majority") for r in levels]
    if not all(pairs):
        return ""
    w, m = sum(p["only_weighted_right"] for p in pairs), sum(p["only_majority_right"] for p in pairs)
    return f"; together {w} vs {m} groups, p {sign_test_p(w, m):.2f}"


def targets(report: dict, total_bytes: int) -> list[dict]:
    L = report["levels"]
    b = report["settings"]["bon"]
    first, last = L[0], L[-1]
    p1 = [r["pass@1"] for r in L]
    out = [
        {"target": "pass@1 >= 0.85 at level 1", "value": _f(first["pass@1"]), "met": first["pass@1"] >= 0.85},
        {"target": "pass@1 <= 0.20 at the hardest level", "value": _f(last["pass@1"]), "met": last["pass@1"] <= 0.20},
        {"target": "pass@1 falls with every level", "value": ", ".join(_f(x) for x in p1), "met": all(a > c for a, c in zip(p1, p1[1:]))},
    ]
    if "pass@64" in last:
        out.append({"target": "hardest pass@64 >= 3x its pass@1", "value": f"{_f(last['pass@64'])} vs 3 x {_f(last['pass@1'])}", "met": last["pass@64"] >= 3 * last["pass@1"]})
    a = report["prm_auroc_all_levels"]
    out.append({"target": "PRM AUROC >= 0.85 (all levels pooled)", "value": _f(a), "met": a is not None and a >= 0.85})
    hard = L[-3:]
    out.append(
        {
            "target": f"best-of-{b} weighted beats majority@{b} on the 3 hardest levels",
            "value": "; ".join(f"L{r['level']}: {_f(r[f'best_of_{b}_weighted_prm'])} vs {_f(r[f'majority@{b}'])}{_paired(r, b)}" for r in hard)
            + _paired_together(hard, b),
            "met": all(r[f"best_of_{b}_weighted_prm"] > r[f"majority@{b}"] for r in hard),
        }
    )
    easy = L[:2]
    out.append(
        {
            "target": "revision beats a fresh sample on the easy levels (1-2)",
            "value": "; ".join(
                f"L{r['level']}: {_f(r['revision']['attempt2_after_wrong'])} vs {_f(r['revision']['fresh_sample_same_problems'])}"
                + (f" (gain 95% interval {_interval(r['revision']['gain_interval_95'])})" if r["revision"].get("gain_interval_95") else "")
                for r in easy
            ),
            "met": all((r["revision"].get("gain") or -1) > 0 for r in easy),
        }
    )
    out.append({"target": "all shipped weights <= 8 MB", "value": f"{total_bytes / 1e6:.2f} MB", "met": total_bytes <= 8_000_000})
    return out
