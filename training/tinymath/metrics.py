"""Evaluation metrics: unbiased pass@k, majority voting, PRM-weighted best-of-N, AUROC."""
from __future__ import annotations

import random
from collections import defaultdict
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 - C(n-c, k) / C(n, k), from n samples with c correct."""
    if k > n:
        raise ValueError(f"pass@{k} needs at least {k} samples, got {n}")
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def majority_vote(answers: list[str | None]) -> str | None:
    """Most frequent answer (ties: the one seen first); None answers do not vote."""
    counts: dict[str, int] = defaultdict(int)
    first: dict[str, int] = {}
    for i, a in enumerate(answers):
        if a is None:
            continue
        counts[a] += 1
        first.setdefault(a, i)
    if not counts:
        return None
    return max(counts, key=lambda a: (counts[a], -first[a]))


def best_of_n_weighted(answers: list[str | None], scores: list[float]) -> str | None:
    """The paper's "best-of-N weighted": sum the verifier's final scores per answer, pick the top."""
    total: dict[str, float] = defaultdict(float)
    first: dict[str, int] = {}
    for i, (a, s) in enumerate(zip(answers, scores)):
        if a is None:
            continue
        total[a] += s
        first.setdefault(a, i)
    if not total:
        return None
    return max(total, key=lambda a: (total[a], -first[a]))


def weighted_vs_majority(answers: list[str | None], scores: list[float], rights: list[str], n: int, k: int) -> tuple[int, int, int, int]:
    """Problem i's samples are answers[i*n : (i+1)*n] (its right answer rights[i]); each run of k of
    them is a group. Over all groups: (majority@k right, best-of-k weighted right, only weighted
    right, only majority right). Both choose from the same samples, so the last two are the pairs
    a sign test compares."""
    maj = bon = w_only = m_only = 0
    for i, right in enumerate(rights):
        for g in range(n // k):
            sl = slice(i * n + g * k, i * n + (g + 1) * k)
            m = majority_vote(answers[sl]) == right
            w = best_of_n_weighted(answers[sl], scores[sl]) == right
            maj, bon, w_only, m_only = maj + m, bon + w, w_only + (w and not m), m_only + (m and not w)
    return maj, bon, w_only, m_only


def within_problem_auroc(scores: list[float], correct: list[bool], n: int) -> float | None:
    """The AUROC of the scores of each problem's n samples (problem i's are [i*n : (i+1)*n]),
    averaged over the problems that have both right and wrong samples; None if none has. Unlike a
    pooled AUROC, it does not reward scoring hard problems low: it is what choosing among one
    problem's samples needs."""
    within = [auroc(scores[i : i + n], correct[i : i + n]) for i in range(0, len(scores), n) if 0 < sum(correct[i : i + n]) < n]
    within = [w for w in within if w is not None]
    return sum(within) / len(within) if within else None


def sign_test_p(wins: int, losses: int) -> float:
    """Two-sided exact sign test: how likely a split at least this uneven is between two equally good
    methods, counting only the cases where exactly one of them is right."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def cluster_bootstrap_interval(groups: list[list[float]], reps: int = 2000, level: float = 0.95, seed: int = 0) -> tuple[float, float] | None:
    """A `level` percentile interval for the mean of all values, resampling whole groups with
    replacement (the values of one group, e.g. the revisions of one problem, are not independent)."""
    groups = [g for g in groups if g]
    if not groups:
        return None
    rng = random.Random(seed)
    sums, counts = [sum(g) for g in groups], [len(g) for g in groups]
    means = []
    for _ in range(reps):
        pick = [rng.randrange(len(groups)) for _ in groups]
        means.append(sum(sums[i] for i in pick) / sum(counts[i] for i in pick))
    means.sort()
    lo = means[int((1 - level) / 2 * reps)]
    hi = means[min(reps - 1, int((1 + level) / 2 * reps))]
    return lo, hi


def auroc(scores: list[float], labels: list[bool]) -> float | None:
    """Area under the ROC curve (Mann-Whitney U, ties count one half); None without both classes."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    ranked = sorted((s, y) for s, y in zip(scores, labels))
    # Average ranks over ties.
    rank_sum_pos = 0.0
    i = 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + 1 + j) / 2.0
        rank_sum_pos += avg * sum(1 for t in range(i, j) if ranked[t][1])
        i = j
    u = rank_sum_pos - len(pos) * (len(pos) + 1) / 2.0
    return u / (len(pos) * len(neg))
