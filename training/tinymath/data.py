"""Data for the TinyMath pipeline: the JSONL written by scripts/export-arith-data.ts, a FIFO packer
with block-diagonal attention, the PRM text format, and a small step checker.

The task itself lives in src/tasks/arith (TypeScript). Python only needs to grade samples and check
steps at sampling time, over the operations and answer given in the JSONL; `check_steps` mirrors
`checkArithSteps` line for line and is tested against the TypeScript verdicts in checker.jsonl.
"""
from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass

import torch

from . import tokenizer as tok

STEP_RE = re.compile(r"^(-?[0-9]+)([+\-*])([0-9]+)=(-?[0-9]+)$")
ANSWER_RE = re.compile(r"^A:(-?[0-9]+)$")
# JavaScript's String.prototype.trim() whitespace is wider than this, but the vocabulary has no
# whitespace other than "\n", so stripping these is equivalent on any text a model can write.
_WS = " \t\n\r\x0b\x0c"


def load_jsonl(path: str) -> list[dict]:
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# ----------------------------------------------------------------------------- grading and checking


def split_steps(solution: str) -> list[str]:
    """task.splitSteps: lines, trimmed, empty ones dropped."""
    return [s.strip(_WS) for s in solution.split("\n") if s.strip(_WS)]


def extract_answer(solution: str) -> str | None:
    """task.extractAnswer: the last `A:` line's number, normalised (String(Number(x)))."""
    for line in reversed([s.strip(_WS) for s in solution.split("\n")]):
        m = ANSWER_RE.match(line)
        if m:
            return str(int(m.group(1)))
    return None


def is_correct(answer: str, extracted: str | None) -> bool:
    return extracted is not None and str(int(extracted)) == str(int(answer))


def _apply(a: int, op: str, b: int) -> int:
    return a + b if op == "+" else a - b if op == "-" else a * b


def check_steps(start: int, ops: list[dict], steps: list[str]) -> list[bool]:
    """checkArithSteps: entry i is true when line i applies the question's i-th operation to the
    previous line's stated result (or the start) correctly; the answer line must come after all
    operations and repeat the last stated result."""
    prev = start
    op_index = 0
    answered = False
    out = []
    for raw in steps:
        step = raw.strip(_WS)
        if answered:
            out.append(False)
            continue
        ans = ANSWER_RE.match(step)
        if ans:
            answered = True
            out.append(op_index == len(ops) and int(ans.group(1)) == prev)
            continue
        m = STEP_RE.match(step)
        expected = ops[op_index] if op_index < len(ops) else None
        op_index += 1
        if not m or expected is None:
            out.append(False)
            continue
        a, op, b, c = int(m.group(1)), m.group(2), int(m.group(3)), int(m.group(4))
        out.append(a == prev and op == expected["op"] and b == expected["operand"] and c == _apply(a, op, b))
        prev = c
    return out


def char_labels(start: int, ops: list[dict], steps: list[str]) -> list[list[tuple[int, float]]]:
    """Per step, (character index, label) for each character of its result (after `=`, or after
    `A:`): 1 while the solution so far can still be right (every earlier step right, and this
    result a prefix of the right one), 0 from the first character where it cannot. Dense targets
    that say WHERE a solution goes wrong, for the PRM (the prm stage's `char_labels` option)."""
    prev, op_index, on_track = start, 0, True
    out = []
    for raw in steps:
        step = raw.strip(_WS)
        ans, m = ANSWER_RE.match(step), STEP_RE.match(step)
        if ans:
            at, stated = 2, ans.group(1)
            right = str(prev) if on_track and op_index == len(ops) else None
            on_track = False  # nothing may follow the answer
        elif m:
            at, stated = step.index("=", 1) + 1, m.group(4)
            a, op, b = int(m.group(1)), m.group(2), int(m.group(3))
            expected = ops[op_index] if op_index < len(ops) else None
            op_index += 1
            ok = on_track and expected is not None and a == prev and op == expected["op"] and b == expected["operand"]
            right = str(_apply(a, op, b)) if ok else None
            prev = int(stated)
            on_track = ok and stated == right
        else:
            out.append([])
            on_track = False
            continue
        out.append([(at + k, 1.0 if right is not None and right[: k + 1] == stated[: k + 1] else 0.0) for k in range(len(stated))])
    return out


def grade(problem: dict, completion: str) -> tuple[bool, list[bool]]:
    """(final answer correct, per-step verdicts) for one sampled completion."""
    steps = split_steps(completion)
    return is_correct(problem["answer"], extract_answer(completion)), check_steps(problem["start"], problem["ops"], steps)


# ----------------------------------------------------------------------------- text formats


# Closes each earlier attempt in a revision prompt (src/tasks/arith ATTEMPT_SEPARATOR).
ATTEMPT_SEPARATOR = "-\n"


# Where a revision prompt's earlier attempts start counting (docs/model-format.md, "Positions").
EARLIER_ATTEMPTS_POSITION = 320


def prompt_positions(ids: list[int], n_positions: int = 1024) -> list[int]:
    """Position ids of a prompt (docs/model-format.md, "Positions"; the runtime's `promptPositions`).

    A plain prompt counts 0, 1, 2, ... In a revision prompt (earlier attempts, each closed by a
    separator line, then the question line) the question and whatever follows it count from 0, so
    the new attempt sits exactly where a fresh sample would, and the earlier attempts before it
    count on from EARLIER_ATTEMPTS_POSITION (less if they are too long to fit below
    `n_positions`), apart from every position a plain problem uses. Tokens generated after the
    prompt continue from its last position.
    """
    dash, nl = tok.STOI["-"], tok.STOI["\n"]
    last = 0
    for i in range(len(ids) - 1):
        if ids[i] == dash and ids[i + 1] == nl and (i == 0 or ids[i - 1] == nl):
            last = i + 2
    base = min(EARLIER_ATTEMPTS_POSITION, n_positions - last)
    return list(range(base, base + last)) + list(range(len(ids) - last))


def revision_prompt(problem: dict, previous_attempts: list[str]) -> str:
    """task.formatPrompt(problem, previousAttempts): the last 4 earlier attempts, each closed by the
    separator line, then the question line, so the new attempt starts right after the question as
    in a plain prompt."""
    attempts = [(a if a.endswith("\n") else a + "\n") + ATTEMPT_SEPARATOR for a in previous_attempts[-4:]]
    return "".join(attempts) + problem["prompt"]


def prm_text(prompt: str, steps: list[str], newline: bool = False) -> str:
    """PRM input (docs/model-format.md): question line, then each step followed by "?" and "\\n";
    with `newline` (a PRM that judges at each step's newline), the solution as written."""
    return prompt + "".join(f"{s}\n" if newline else f"{s}{tok.PRM_TAG}\n" for s in steps)


def prm_tag_positions(ids: list[int], newline: bool = False) -> list[int]:
    """Where a PRM input's step scores are read: each "?", or with `newline` each newline after
    the question line's."""
    if newline:
        return [i for i, t in enumerate(ids) if t == tok.STOI["\n"]][1:]
    tag = tok.STOI[tok.PRM_TAG]
    return [i for i, t in enumerate(ids) if t == tag]


# ----------------------------------------------------------------------------- packing


@dataclass
class Example:
    """A token sequence and what to learn from it.

    ids: the whole sequence (prompt + completion, ending in <eos> for the generator).
    loss_from: targets ids[t+1] for t >= loss_from - 1 are trained (the completion only).
    soft: for the PRM, {position of a "?" (or of a result character): label}; then only those
        positions are trained, through the judgement tokens.
    positions: position ids of `ids` (default 0, 1, 2, ...; see `prompt_positions`).
    """

    ids: list[int]
    loss_from: int = 0
    soft: dict[int, float] | None = None
    positions: list[int] | None = None

    @property
    def slots(self) -> int:
        return len(self.ids) - 1


def lm_example(prompt: str, completion: str) -> Example:
    p = tok.encode(prompt)
    ids = p + tok.encode(completion) + [tok.EOS_ID]
    pos = prompt_positions(p)
    last = pos[-1] if pos else -1
    pos += range(last + 1, last + 1 + len(ids) - len(p))
    return Example(ids, loss_from=len(prompt), positions=pos)


def prm_example(
    prompt: str,
    steps: list[str],
    labels: list[float],
    chars: list[list[tuple[int, float]]] | None = None,
    newline: bool = False,
) -> Example:
    """`labels`: one per step, at its "?" (with `newline`, at its newline; None: untrained).
    `chars` (optional, `char_labels`): labels for characters of the steps, read with the same
    judgement tokens."""
    ids = tok.encode(prm_text(prompt, steps, newline))
    pos = prm_tag_positions(ids, newline)
    assert len(pos) == len(labels) == len(steps)
    # The tag is the last input token whose output matters; nothing after the last tag is trained,
    # so the sequence is cut there (keeping one extra token so that slots == tag position + 1;
    # a newline tag ends the text, so <eos> is that token).
    ids = (ids + [tok.EOS_ID])[: pos[-1] + 2]
    soft = {p: y for p, y in zip(pos, labels) if y is not None}
    if chars is not None:
        at = len(prompt)
        for s, cl in zip(steps, chars):
            soft.update({at + k: y for k, y in cl})
            at += len(s) + (1 if newline else 2)  # the step, "?" and "\n"
    return Example(ids, soft=soft)


class FifoPacker:
    """Packs examples into rows of `row_len` slots, first in first out.

    Each row is filled by scanning the queue from its oldest example and taking every one that
    still fits (within a window), so a long example at the head always starts the next row instead
    of being pushed back behind shorter ones, while short ones fill the gaps.
    """

    def __init__(self, examples, row_len: int, window: int = 256):
        self.it = iter(examples)
        self.row_len = row_len
        self.window = window
        self.queue: deque[Example] = deque()
        self.exhausted = False

    def _fill(self):
        while not self.exhausted and len(self.queue) < self.window:
            try:
                ex = next(self.it)
            except StopIteration:
                self.exhausted = True
                break
            if ex.slots > self.row_len:
                raise ValueError(f"example of {ex.slots} tokens does not fit rows of {self.row_len}")
            self.queue.append(ex)

    def next_row(self) -> list[Example] | None:
        self._fill()
        if not self.queue:
            return None
        row, used, keep = [], 0, deque()
        while self.queue:
            ex = self.queue.popleft()
            if used + ex.slots <= self.row_len:
                row.append(ex)
                used += ex.slots
            else:
                keep.append(ex)
            if self.row_len - used < 8:
                break
        keep.extend(self.queue)
        self.queue = keep
        return row


@dataclass
class Batch:
    idx: torch.Tensor  # [B, T] input tokens
    pos: torch.Tensor  # [B, T] position ids of every packed example (restarting for each)
    seg: torch.Tensor  # [B, T] segment ids (block-diagonal attention); padding has its own
    tgt: torch.Tensor  # [B, T] next-token targets, -100 where not trained
    soft: torch.Tensor  # [B, T] PRM soft labels, NaN where not trained
    tokens: int  # trained positions
    fill: float  # fraction of slots holding real tokens


def collate(rows: list[list[Example]], row_len: int) -> Batch:
    B = len(rows)
    idx = torch.full((B, row_len), tok.PAD_ID, dtype=torch.long)
    pos = torch.zeros((B, row_len), dtype=torch.long)
    seg = torch.full((B, row_len), -1, dtype=torch.long)
    tgt = torch.full((B, row_len), -100, dtype=torch.long)
    soft = torch.full((B, row_len), float("nan"))
    used_total = 0
    for b, row in enumerate(rows):
        off = 0
        for s, ex in enumerate(row):
            n = ex.slots
            ids = torch.tensor(ex.ids, dtype=torch.long)
            idx[b, off : off + n] = ids[:-1]
            pos[b, off : off + n] = torch.tensor(ex.positions[:n]) if ex.positions else torch.arange(n)
            seg[b, off : off + n] = s
            if ex.soft is not None:
                for p, y in ex.soft.items():
                    soft[b, off + p] = y
            else:
                t = ids[1:].clone()
                t[: max(ex.loss_from - 1, 0)] = -100
                tgt[b, off : off + n] = t
            off += n
        used_total += off
    tokens = int((tgt != -100).sum()) + int((~torch.isnan(soft)).sum())
    return Batch(idx, pos, seg, tgt, soft, tokens, used_total / (B * row_len))


def batches(examples, row_len: int, batch_rows: int):
    """Endless-or-finite stream of packed batches from an iterable of Examples."""
    packer = FifoPacker(examples, row_len)
    while True:
        rows = []
        while len(rows) < batch_rows:
            r = packer.next_row()
            if r is None:
                break
            rows.append(r)
        if not rows:
            return
        yield collate(rows, row_len)
