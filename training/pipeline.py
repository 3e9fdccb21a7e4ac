"""TinyMath training pipeline: staged, checkpointed, resumable.

    /usr/bin/python3 training/pipeline.py --preset full   # npm run train (via training/train.sh)
    /usr/bin/python3 training/pipeline.py --preset micro  # npm run train:micro, CI

Stages (each writes <out>/<stage>/done.json when complete and is skipped on a rerun):
  pretrain   generator on canonical solutions of levels 1-5, packed rows, block-diagonal attention
  pretrain2  the same, continued on every level (the hardest, longest level joins here)
  revsample  sample the generator on training problems -> revision trajectories
  revision   fine-tune the generator on a mixture of plain and revision examples
  prmdata    sample the final generator; soft step labels from Monte Carlo rollouts
  prm        train the PRM (initialised from the pretrained generator) on those labels
  rlsample   sample the final generator (as exported, float16) on training problems: its wrong
             attempts
  slipsample more wrong attempts on levels 1-3, one per problem, drawn without rejection from where a
             sample first leaves the canonical solution (revdistill.slip_attempts)
  revrl      (revmodel, micro) an experiment: a revision model trained by a policy gradient on its
             revisions of those attempts
  revdistill the revision model, tinymath-rev: the generator distilled onto revision prompts of both
             sets of wrong attempts, from its own plain-prompt distribution, keeping attempt 1's
             sure characters and forbidding its unsure ones (tinymath/revdistill.py)
  revpg      the revision model continued: a policy gradient on its own revisions of levels 1-2,
             with that distillation on every level as an anchor (revdistill.DistillPG)
  export     float16 exports (config, tokenizer, golden logits) of the generator, PRM and revision model
  eval       REPORT.md + report.json on held-out problems
Training stages save a checkpoint every `ckpt_every` steps (model, optimizer, packer state, RNG), and
sampling stages save finished chunks, so a killed run continues where it stopped.
The data (scripts/export-arith-data.ts, from the task's TypeScript) is rewritten on every run; a run
folder remembers the data it was made from and refuses to resume on different data (the task
changed), instead of mixing stages trained on two tasks.
"""
from __future__ import annotations

import argparse
import copy
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from tinymath import revdistill, revrl  # noqa: E402
from tinymath import tokenizer as tok  # noqa: E402
from tinymath.data import (  # noqa: E402
    Example,
    FifoPacker,
    char_labels,
    collate,
    grade,
    load_jsonl,
    lm_example,
    prm_example,
    prm_text,
    revision_prompt,
    split_steps,
)
from tinymath.export import export, load as load_export  # noqa: E402
from tinymath.model import TinyConfig, TinyGPT  # noqa: E402
from tinymath.sample import generate_batched, prm_scores  # noqa: E402

PRESETS = {
    "full": dict(
        out="training/out/full",
        data="training/out/data",
        export_dir="public/models",
        model=dict(n_layer=4, n_embd=128, n_head=4, n_positions=1024),
        # A curriculum: levels 1-5 first, then every level. Levels 6-7's long problems would take
        # more than half of the tokens from the start, and a harder top level trained from scratch
        # with the rest left the generator weaker at every level (training/README.md).
        pretrain=dict(steps=3400, rows=16, row_len=192, lr=3e-3, warmup=100, ckpt_every=50, levels=[1, 2, 3, 4, 5]),
        pretrain2=dict(steps=2000, rows=16, row_len=320, lr=1.5e-3, warmup=50, ckpt_every=50),
        # Many easy problems: their wrong answers are rare, and revisions matter most there.
        revsample=dict(per_level=[2400, 1500, 600, 300, 300, 300, 300], samples=6, max_new=260),
        # Rows of 896: every trajectory fits up to level 6 (4 earlier attempts); level 7's with 3-4
        # earlier attempts do not and are left out (stage_revision filters by row length).
        # 1,000 steps: 500 left attempt 2 below a fresh sample (training/README.md).
        revision=dict(steps=1000, rows=5, row_len=896, lr=1e-3, warmup=20, plain_frac=0.5, ckpt_every=50),
        prmdata=dict(per_level=100, samples=4, rollouts=4, max_new=260, labels="mc"),
        # The final generator's samples, most of them on the hard levels, graded (40,800).
        prmextra=dict(per_level=[300, 300, 300, 600, 900, 1200, 1500], samples=8, max_new=260),
        # Sampled solutions without rollouts get checker step labels ("right so far"), which
        # raised the PRM's pooled and step AUROC over final-answer-only labels (see REPORT.md).
        # The PRM is the final generator, frozen, with 2 new blocks on top that learn to judge;
        # every result character also gets an "on track" label (char_labels), which says where a
        # step goes wrong (training/README.md, "What was tried for the PRM"). The new blocks read
        # the generator's confidence in every character (`confidence`, model.py; without it they
        # judged steps within a problem near chance) and its running sum over the solution
        # (`confidence_sum`), and the PRM reads the solution as the generator wrote it, judging
        # at each step's newline (`newline_tag`; "?" tags in between put the generator in a
        # context it never saw, which spoilt its confidence: training/README.md, "The PRM reads
        # solutions as written"). Its graded samples are all the final generator's (`prmextra`).
        prm=dict(
            steps=3000, rows=12, row_len=352, lr=1e-3, warmup=30, ckpt_every=50, extra_labels="checker",
            char_labels=True, grow=2, freeze_base=True, base="final", confidence=True,
            confidence_sum=True, newline_tag=True, graded_from=["prmextra"],
        ),
        # The revision model (tinymath-rev), which writes every revision in the app. Its data: the
        # shipped generator's wrong attempts on training problems of every level (many easy problems:
        # their wrong answers are rare).
        rlsample=dict(levels=[1, 2, 3, 4, 5, 6, 7], per_level=[4000, 2500, 1000, 400, 300, 200, 200], samples=6, max_new=260),
        # Many more wrong attempts on the easy levels, one per problem, without rejection.
        slipsample=dict(levels=[1, 2, 3], per_level=[12000, 12000, 6000], max_new=260),
        # Distilled, not trained on canonical targets (training/README.md, "The revision model"):
        # each step 32 attempts (a level drawn with these weights, then an attempt), each with two
        # teacher-forced continuations (attempt 1 itself and the canonical solution). Levels 4-7 are
        # long and drawn a quarter as often, so a step takes ~4 s here, but every level is trained.
        revdistill=dict(
            steps=500, attempts=32, lr=1.5e-4, warmup=20, tau=0.5, copy_tau=0.5, chunk_tokens=8192, ckpt_every=25,
            level_weights={1: 1.0, 2: 1.0, 3: 1.0, 4: 0.25, 5: 0.25, 6: 0.25, 7: 0.25},
        ),
        # Then the policy gradient on its own revisions of levels 1-2 (where a wrong attempt is a
        # rare slip), 16 attempts x 8 revisions a step, with the distillation on 16 attempts of every
        # level as an anchor (weight 20), in one update a step; 300 steps, ~4.4 s a step here.
        revpg=dict(
            steps=300, lr=1e-4, warmup=10, prompts=16, group=8, right_frac=0.25, pg_levels=[1, 2], max_new=260,
            anchor=20.0, attempts=16, tau=0.5, copy_tau=0.5, chunk_tokens=8192, ckpt_every=25,
            level_weights={1: 1.0, 2: 1.0, 3: 1.0, 4: 0.25, 5: 0.25, 6: 0.25, 7: 0.25},
        ),
        export_revision=True,
        eval=dict(per_level=100, samples=64, bon=16, rev_attempts=2, rev_samples=8, max_new=260),
    ),
    "provisional": dict(
        out="training/out/provisional",
        data="training/out/data",
        export_dir="public/models",
        model=dict(n_layer=4, n_embd=128, n_head=4, n_positions=1024),
        pretrain=dict(steps=250, rows=16, row_len=256, lr=3e-3, warmup=30, ckpt_every=50),
        pretrain2=None,
        revsample=None,
        revision=None,
        prmdata=dict(per_level=60, samples=4, rollouts=0, max_new=160, labels="checker"),
        prm=dict(steps=60, rows=16, row_len=256, lr=1e-3, warmup=10, ckpt_every=50),
        eval=dict(per_level=20, samples=8, bon=4, rev_attempts=1, rev_samples=1, max_new=160),
    ),
    "micro": dict(
        out="training/out/micro",
        data="training/out/micro/data",
        data_args=["--train-per-level", "300", "--eval-per-level", "4", "--checker-cases", "20"],
        export_dir="training/out/micro",
        model=dict(n_layer=2, n_embd=32, n_head=2, n_positions=1024),
        pretrain=dict(steps=6, rows=8, row_len=256, lr=3e-3, warmup=2, ckpt_every=3, levels=[1, 2, 3, 4, 5]),
        pretrain2=dict(steps=3, rows=8, row_len=320, lr=1e-3, warmup=1, ckpt_every=2),
        revsample=dict(per_level=3, samples=2, max_new=40),
        revision=dict(steps=3, rows=2, row_len=512, lr=1e-3, warmup=1, plain_frac=0.5, ckpt_every=2),
        prmdata=dict(per_level=2, samples=2, rollouts=2, max_new=40, labels="mc"),
        prmextra=dict(per_level=2, samples=2, max_new=40),
        prm=dict(
            steps=3, rows=4, row_len=256, lr=1e-3, warmup=1, ckpt_every=2, extra_labels="checker",
            char_labels=True, grow=2, freeze_base=True, base="final", confidence=True,
            confidence_sum=True, newline_tag=True, graded_from=["prmextra"],
        ),
        rlsample=dict(levels=[1, 2], per_level=[4, 4], samples=2, max_new=40),
        slipsample=dict(levels=[1, 2], per_level=[4, 4], max_new=40),
        # Both revision-model stages run here so CI runs their code; the distilled one is exported, as
        # in `full`, so the runtime's parity test covers all three models.
        revrl=dict(steps=3, prompts=2, group=2, lr=2e-4, right_frac=0.25, levels=[1, 2], max_new=40, ckpt_every=2),
        revdistill=dict(steps=3, attempts=2, lr=1e-3, warmup=1, tau=0.5, copy_tau=0.5, chunk_tokens=2048, ckpt_every=2),
        revpg=dict(
            steps=3, lr=1e-3, warmup=1, prompts=2, group=2, right_frac=0.25, pg_levels=[1, 2], max_new=40,
            anchor=20.0, attempts=2, tau=0.5, copy_tau=0.5, chunk_tokens=2048, ckpt_every=2,
        ),
        export_revision=True,
        eval=dict(per_level=4, samples=4, bon=2, rev_attempts=1, rev_samples=1, max_new=40),
    ),
}

# An experiment, not shipped: a revision model trained by a policy gradient on the shipped generator's
# own revisions instead of distilled (training/README.md, "A separate revision model").
# It reads the final generator and PRM of the committed export and writes everything under
# training/out/revmodel/:
#   bash training/train.sh revmodel --from-export public/models
PRESETS["revmodel"] = dict(
    copy.deepcopy(PRESETS["full"]),
    out="training/out/revmodel",
    export_dir="training/out/revmodel/models",
    export_revision=True,
    # Mostly levels 1-3, where revisions should win; trained on levels 1-3 alone, the model learned
    # to stop after 4-5 steps and wrote 0.7% right revisions on level 4 (6 steps). With a few hundred
    # attempts from each harder level a step took 20 s instead of 3.4 (long prompts).
    rlsample=dict(levels=[1, 2, 3], per_level=[6000, 3000, 1200], samples=6, max_new=260),
    revrl=dict(steps=400, prompts=16, group=8, lr=2e-4, right_frac=0.25, levels=[1, 2, 3], max_new=260, ckpt_every=25),
    slipsample=None,
    revdistill=None,
    revpg=None,
)

# Experiments on the way to the shipped PRM recipe (training/README.md, "The PRM on the
# generator's own samples" and "The PRM reads solutions as written"), each the shipped recipe less
# something. Each runs on the export: the generator comes from it and the PRM's three stages run
# (prmdata and prmextra are the same in both and in `full`: copying them saves ~1 h), e.g.
#   bash training/train.sh prm2 --from-export public/models --retrain-prm --stop-after prm
# then `experiments/prm_choice.py score --preset prm2`.
# prm2: "?" tags after each step, and no running sum.
PRESETS["prm2"] = dict(
    copy.deepcopy(PRESETS["full"]),
    out="training/out/prm2",
    export_dir="training/out/prm2/models",
    prm=dict(PRESETS["full"]["prm"], confidence_sum=False, newline_tag=False),
)
# prm3: "?" tags, with the running sum.
PRESETS["prm3"] = dict(
    copy.deepcopy(PRESETS["full"]),
    out="training/out/prm3",
    export_dir="training/out/prm3/models",
    prm=dict(PRESETS["full"]["prm"], newline_tag=False),
)

SEED = 1234
LOG = None


def log(msg: str) -> None:
    line = f"[{time.strftime('%H:%M:%S')}] {msg}"
    print(line, flush=True)


def stage_dir(cfg, name):
    d = os.path.join(ROOT, cfg["out"], name)
    os.makedirs(d, exist_ok=True)
    return d


def is_done(cfg, name):
    return os.path.exists(os.path.join(stage_dir(cfg, name), "done.json"))


def mark_done(cfg, name, info):
    with open(os.path.join(stage_dir(cfg, name), "done.json"), "w") as f:
        json.dump(info, f, indent=2)


def save_atomic(obj, path):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def new_model(cfg, extra_layers=0, confidence=False, confidence_sum=False, prm_newline=False) -> TinyGPT:
    shape = dict(cfg["model"], prm_newline=prm_newline)
    if confidence:
        shape["confidence_after"] = shape["n_layer"]
        shape["confidence_sum"] = confidence_sum
    shape["n_layer"] += extra_layers
    return TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), **shape))


def stage_model(cfg, stage) -> TinyGPT:
    """A fresh model of the shape that `stage` saves (the PRM's is grown)."""
    hp = cfg["prm"]
    if stage != "prm":
        return new_model(cfg)
    return new_model(
        cfg, hp.get("grow", 0), hp.get("confidence", False), hp.get("confidence_sum", False), hp.get("newline_tag", False)
    )


def load_model(cfg, stage) -> TinyGPT:
    m = stage_model(cfg, stage)
    m.load_state_dict(torch.load(os.path.join(stage_dir(cfg, stage), "model.pt")))
    return m


# ----------------------------------------------------------------------------- training loop


class IndexStream:
    """Endless shuffled stream of indices into a pool, epoch by epoch; its state is two ints."""

    def __init__(self, n, seed, epoch=0, cursor=0):
        self.n, self.seed, self.epoch, self.cursor = n, seed, epoch, cursor
        self._perm()

    def _perm(self):
        g = torch.Generator().manual_seed(self.seed * 1000 + self.epoch)
        self.perm = torch.randperm(self.n, generator=g).tolist()

    def __iter__(self):
        return self

    def __next__(self):
        if self.cursor >= self.n:
            self.epoch += 1
            self.cursor = 0
            self._perm()
        i = self.perm[self.cursor]
        self.cursor += 1
        return i


class PoolPacker:
    """FifoPacker over indices into a pool of Examples, with a state that can be checkpointed."""

    def __init__(self, pool, row_len, seed, state=None):
        self.pool = pool
        self.stream = IndexStream(len(pool), seed, *(state["stream"] if state else (0, 0)))
        self.packer = FifoPacker((_Tagged(i, pool[i]) for i in self.stream), row_len)
        if state:
            self.packer.queue.extend(_Tagged(i, pool[i]) for i in state["queue"])

    def state(self):
        # The packer keeps a lookahead queue; the stream cursor is already past it.
        return {"stream": (self.stream.epoch, self.stream.cursor), "queue": [t.i for t in self.packer.queue]}

    def batch(self, rows):
        out = []
        for _ in range(rows):
            r = self.packer.next_row()
            out.append([t.ex for t in r])
        return collate(out, self.packer.row_len)


class _Tagged:
    __slots__ = ("i", "ex")

    def __init__(self, i, ex):
        self.i, self.ex = i, ex

    @property
    def slots(self):
        return self.ex.slots


def lr_at(step, total, base, warmup):
    if step < warmup:
        return base * (step + 1) / warmup
    p = (step - warmup) / max(1, total - warmup)
    return base * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, p))))


def batch_loss(model, b):
    logits = model(b.idx, b.pos, b.seg)
    if torch.isnan(b.soft).all():
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), b.tgt.reshape(-1), ignore_index=-100)
    # PRM: two-way softmax over the judgement tokens at the "?" positions, soft targets.
    where = ~torch.isnan(b.soft)
    pair = logits[where][:, [tok.STOI[tok.PRM_GOOD], tok.STOI[tok.PRM_BAD]]]
    y = b.soft[where]
    logp = F.log_softmax(pair, dim=-1)
    return -(y * logp[:, 0] + (1 - y) * logp[:, 1]).mean()


def train_stage(cfg, name, model, pool, hp, stop_at=None):
    """AdamW (0.9, 0.98), weight decay 0.1 on matrices, warmup + cosine; checkpoints and resumes.
    `stop_at` (tests) simulates an interruption right after that step's checkpoint."""
    d = stage_dir(cfg, name)
    ck = os.path.join(d, "ckpt.pt")
    decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.requires_grad and p.dim() < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}], lr=hp["lr"], betas=(0.9, 0.98)
    )
    step, state, elapsed, tokens = 0, None, 0.0, 0
    torch.manual_seed(SEED + sum(map(ord, name)))
    if os.path.exists(ck):
        c = torch.load(ck)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        step, state, elapsed, tokens = c["step"], c["packer"], c["elapsed"], c["tokens"]
        torch.set_rng_state(c["rng"])
        log(f"{name}: resumed at step {step}/{hp['steps']}")
    packer = PoolPacker(pool, hp["row_len"], SEED + len(name), state)
    model.train()
    total = hp["steps"]
    t0 = time.time()
    run_tokens, run_loss, run_n, fill_sum = 0, 0.0, 0, 0.0
    every = max(1, min(20, total // 10))
    while step < total:
        b = packer.batch(hp["rows"])
        for g in opt.param_groups:
            g["lr"] = lr_at(step, total, hp["lr"], hp["warmup"])
        loss = batch_loss(model, b)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        run_tokens += b.idx.numel()
        tokens += b.idx.numel()
        run_loss += float(loss)
        run_n += 1
        fill_sum += b.fill
        if step % every == 0 or step == total:
            dt = time.time() - t0
            tps = run_tokens / max(dt, 1e-9)
            eta = (total - step) * dt / max(run_n, 1)
            log(
                f"{name} step {step}/{total} loss {run_loss / run_n:.4f} lr {opt.param_groups[0]['lr']:.2e} "
                f"fill {fill_sum / run_n:.2f} tok/s {tps:.0f} ETA {eta / 60:.1f} min"
            )
        if step % hp["ckpt_every"] == 0 or step == total:
            elapsed_now = elapsed + (time.time() - t0)
            save_atomic(
                {"model": model.state_dict(), "opt": opt.state_dict(), "step": step, "packer": packer.state(),
                 "elapsed": elapsed_now, "tokens": tokens, "rng": torch.get_rng_state()},
                ck,
            )
        if stop_at is not None and step == stop_at:
            return None
    torch.save(model.state_dict(), os.path.join(d, "model.pt"))
    return {"steps": total, "tokens": tokens, "train_seconds": elapsed + (time.time() - t0)}


# ----------------------------------------------------------------------------- stages


# What a run folder's stages are made from (checker.jsonl only feeds the Python tests).
DATA_FILES = ("meta.json", "train.jsonl", "eval.jsonl")


def data_fingerprint(data_dir):
    h = hashlib.sha256()
    for name in DATA_FILES:
        with open(os.path.join(data_dir, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read())
    return h.hexdigest()


def check_data_fingerprint(cfg):
    """Record the data a run folder is made from; stop if it was made from other data."""
    path = os.path.join(ROOT, cfg["out"], "data.sha256")
    now = data_fingerprint(os.path.join(ROOT, cfg["data"]))
    if os.path.exists(path):
        with open(path) as f:
            before = f.read().strip()
        if before != now:
            raise SystemExit(
                f"{cfg['out']} was made from different data than {cfg['data']} holds now (the task in "
                "src/tasks/arith changed?). Its finished stages would not match: move the folder "
                "away (or pass --out) to train from scratch."
            )
    else:
        with open(path, "w") as f:
            f.write(now + "\n")


def load_data(cfg):
    dd = os.path.join(ROOT, cfg["data"])
    return load_jsonl(os.path.join(dd, "train.jsonl")), load_jsonl(os.path.join(dd, "eval.jsonl"))


def _per_level(x, i):
    return x[i] if isinstance(x, (list, tuple)) else x


def per_level_slice(train, per_level, offset, seed):
    """`per_level` training problems per level (an int, or a list with one count per level), from
    a seeded shuffle, skipping `offset` of them (so the revision and PRM stages use different
    problems)."""
    by_level = {}
    for p in train:
        by_level.setdefault(p["level"], []).append(p)
    rng = random.Random(seed)
    out = []
    for i, lv in enumerate(sorted(by_level)):
        ps = by_level[lv][:]
        rng.shuffle(ps)
        off = _per_level(offset, i)
        out.extend(ps[off : off + _per_level(per_level, i)])
    return out


# The shuffle seeds of the stages that sample the generator on training problems of every level.
PROBLEM_SEEDS = {"revsample": SEED + 1, "prmdata": SEED + 6, "prmextra": SEED + 9}


def stage_problems(cfg, train, stage):
    """The training problems `stage` samples on: its preset's `per_level` of them, in its own shuffle."""
    return per_level_slice(train, cfg[stage]["per_level"], 0, PROBLEM_SEEDS[stage])


def stage_pretrain(cfg, train, _eval):
    hp = cfg["pretrain"]
    torch.manual_seed(SEED)
    model = new_model(cfg)
    if hp.get("levels"):
        train = [p for p in train if p["level"] in hp["levels"]]
    log(f"pretrain: generator with {model.num_params():,} parameters, {len(train):,} training problems")
    pool = [lm_example(p["prompt"], p["solution"]) for p in train]
    return train_stage(cfg, "pretrain", model, pool, hp)


def stage_pretrain2(cfg, train, _eval):
    """Pretraining continued on every level, from the first stage's weights (a fresh optimizer)."""
    model = load_model(cfg, "pretrain")
    log(f"pretrain2: {len(train):,} training problems, levels {sorted({p['level'] for p in train})}")
    pool = [lm_example(p["prompt"], p["solution"]) for p in train]
    return train_stage(cfg, "pretrain2", model, pool, cfg["pretrain2"])


def pretrained_stage(cfg):
    """The stage whose generator the revision stages start from."""
    return "pretrain2" if cfg.get("pretrain2") else "pretrain"


def sample_chunked(cfg, stage, model, prompts, hp, seed, chunk=1024, temperature=1.0, **kw):
    """Sample completions for many prompts, saving each finished chunk so a restart skips it."""
    d = stage_dir(cfg, stage)
    out = []
    t0 = time.time()
    n_tok = 0
    for c in range(0, len(prompts), chunk):
        path = os.path.join(d, f"samples_{seed}_{c}.json")
        if os.path.exists(path):
            with open(path) as f:
                out.extend(json.load(f))
            continue
        g = torch.Generator().manual_seed(seed * 7919 + c)
        ids = generate_batched(model, [tok.encode(p) for p in prompts[c : c + chunk]], hp["max_new"], temperature, g, **kw)
        texts = [tok.decode(x) for x in ids]
        n_tok += sum(len(x) for x in ids)
        with open(path + ".tmp", "w") as f:
            json.dump(texts, f)
        os.replace(path + ".tmp", path)
        out.extend(texts)
        done = min(c + chunk, len(prompts))
        dt = time.time() - t0
        log(f"{stage}: sampled {done}/{len(prompts)} ({n_tok / max(dt, 1e-9):.0f} tok/s)")
    return out


def stage_revsample(cfg, train, _eval):
    hp = cfg["revsample"]
    model = load_model(cfg, pretrained_stage(cfg))
    problems = stage_problems(cfg, train, "revsample")
    prompts = [p["prompt"] for p in problems for _ in range(hp["samples"])]
    texts = sample_chunked(cfg, "revsample", model, prompts, hp, SEED + 2)
    rng = random.Random(SEED + 3)
    trajectories = []
    stats = {"problems": len(problems), "samples": len(texts), "wrong": 0}
    for i, p in enumerate(problems):
        outs = texts[i * hp["samples"] : (i + 1) * hp["samples"]]
        wrong = []
        for t in outs:
            ok, _ = grade(p, t)
            if not ok and t not in wrong:
                wrong.append(t)
        stats["wrong"] += sum(1 for t in outs if not grade(p, t)[0])
        # Trajectories of 0-4 wrong attempts followed by a correct one (the canonical solution, which is
        # the only all-steps-correct solution). Problems with wrong samples get one trajectory per
        # number of wrong attempts available, so revisions after 1..4 failures are all represented.
        for w in range(0, min(4, len(wrong)) + 1):
            attempts = rng.sample(wrong, w)
            trajectories.append({"id": p["id"], "level": p["level"], "attempts": attempts, "target": p["solution"], "problem": p})
    with open(os.path.join(stage_dir(cfg, "revsample"), "trajectories.json"), "w") as f:
        json.dump(trajectories, f)
    # The same samples, graded, are extra PRM data for the final-answer judgement (exact labels).
    graded = [
        {"problem": problems[i // hp["samples"]], "text": t, "correct": grade(problems[i // hp["samples"]], t)[0]}
        for i, t in enumerate(texts)
    ]
    with open(os.path.join(stage_dir(cfg, "revsample"), "graded.json"), "w") as f:
        json.dump(graded, f)
    stats["trajectories"] = len(trajectories)
    stats["with_wrong_attempts"] = sum(1 for t in trajectories if t["attempts"])
    log(f"revsample: {stats}")
    return stats


def stage_revision(cfg, train, _eval):
    hp = cfg["revision"]
    with open(os.path.join(stage_dir(cfg, "revsample"), "trajectories.json")) as f:
        trajectories = json.load(f)
    # The prompt's positions (lm_example -> prompt_positions) put the new attempt where a fresh
    # sample's would be, so the positions pretraining learned are the ones a revision uses, and
    # the earlier attempts from 320, apart from them.
    rev = [lm_example(revision_prompt(t["problem"], t["attempts"]), t["target"]) for t in trajectories]
    rev = [e for e in rev if e.slots <= hp["row_len"]]
    # Plain examples keep the single shipped generator good at first attempts.
    n_plain = int(len(rev) * hp["plain_frac"] / (1 - hp["plain_frac"]))
    plain_src = per_level_slice(train, 10**9, 0, SEED + 4)
    rng = random.Random(SEED + 5)
    plain = [lm_example(p["prompt"], p["solution"]) for p in rng.sample(plain_src, min(n_plain, len(plain_src)))]
    model = load_model(cfg, pretrained_stage(cfg))
    log(f"revision: {len(rev)} revision + {len(plain)} plain examples")
    info = train_stage(cfg, "revision", model, rev + plain, hp)
    info.update(revision_examples=len(rev), plain_examples=len(plain))
    return info


def final_generator_stage(cfg):
    return "revision" if cfg.get("revision") else pretrained_stage(cfg)


def stage_prmdata(cfg, train, _eval):
    hp = cfg["prmdata"]
    model = load_model(cfg, final_generator_stage(cfg))
    # Problems after the ones the revision stage used (same shuffle seed would not matter: the
    # two stages shuffle with different seeds, the offset only makes overlap impossible by count).
    problems = stage_problems(cfg, train, "prmdata")
    prompts = [p["prompt"] for p in problems for _ in range(hp["samples"])]
    texts = sample_chunked(cfg, "prmdata", model, prompts, hp, SEED + 7)
    items = []
    for i, t in enumerate(texts):
        p = problems[i // hp["samples"]]
        steps = split_steps(t)[:24]
        if not steps or any(tok.PRM_TAG in st for st in steps):
            continue
        ok, verdicts = grade(p, t)
        items.append({"problem": p, "steps": steps, "correct": ok, "verdicts": verdicts})
    if hp["labels"] == "checker":
        # Provisional only: a step is good while every step so far is right (exact checker).
        for it in items:
            it["labels"] = step_labels(it["correct"], it["verdicts"], len(it["steps"]), "checker")
    else:
        # Soft labels: the fraction of rollouts from each step prefix that reach the right answer.
        # The last step's label is exact (the answer is already written). Rollouts are spent on the
        # prefixes up to the first wrong step (exact checker); the intermediate steps after it get
        # no label (not trained), since their value is almost always 0 and rollouts are the cost.
        prefixes, owners = [], []
        for j, it in enumerate(items):
            v = it["verdicts"]
            last = v.index(False) if False in v else len(v)
            for s in range(min(last + 1, len(it["steps"]) - 1)):
                prefix = it["problem"]["prompt"] + "".join(x + "\n" for x in it["steps"][: s + 1])
                for _ in range(hp["rollouts"]):
                    prefixes.append(prefix)
                    owners.append((j, s))
        log(f"prmdata: {len(items)} solutions, {len(prefixes)} rollouts")
        rolls = sample_chunked(cfg, "prmdata", model, prefixes, hp, SEED + 8, chunk=2048)
        for it in items:
            it["labels"] = [None] * (len(it["steps"]) - 1) + [1.0 if it["correct"] else 0.0]
        for (j, s) in owners:
            items[j]["labels"][s] = 0.0
        for (j, s), prefix, r in zip(owners, prefixes, rolls):
            it = items[j]
            full = prefix[len(it["problem"]["prompt"]) :] + r
            if grade(it["problem"], full)[0]:
                it["labels"][s] += 1.0 / hp["rollouts"]
    with open(os.path.join(stage_dir(cfg, "prmdata"), "items.json"), "w") as f:
        json.dump([{k: v for k, v in it.items() if k != "problem"} | {"id": it["problem"]["id"]} for it in items], f)
    torch.save(items, os.path.join(stage_dir(cfg, "prmdata"), "items.pt"))
    n_steps = sum(len(it["steps"]) for it in items)
    return {"solutions": len(items), "steps": n_steps, "correct_rate": sum(it["correct"] for it in items) / max(1, len(items))}


def stage_prmextra(cfg, train, _eval):
    """Many more solutions of the final generator, ended at their first answer line as in the
    evaluation and the app, graded exactly: final-answer labels for the PRM without rollouts."""
    hp = cfg["prmextra"]
    model = load_model(cfg, final_generator_stage(cfg))
    problems = stage_problems(cfg, train, "prmextra")
    prompts = [p["prompt"] for p in problems for _ in range(hp["samples"])]
    texts = sample_chunked(cfg, "prmextra", model, prompts, hp, SEED + 10, stop_at_answer=True, no_empty=True)
    graded = [
        {"problem": problems[i // hp["samples"]], "text": t, "correct": grade(problems[i // hp["samples"]], t)[0]}
        for i, t in enumerate(texts)
    ]
    with open(os.path.join(stage_dir(cfg, "prmextra"), "graded.json"), "w") as f:
        json.dump(graded, f)
    return {"solutions": len(graded), "correct_rate": sum(g["correct"] for g in graded) / max(1, len(graded))}


def step_labels(correct: bool, verdicts: list[bool], n_steps: int, mode: str) -> list:
    """Step labels for a graded solution without rollouts. The last step (the answer) is labelled
    1/0 by the final answer in every mode; the other steps:
      final    untrained (None);
      checker  1 while every step so far is right by the exact checker, 0 from the first wrong one.
    (For a given problem every correct prefix of a given length is the same text, so ranking
    prefixes of one problem by "right so far" is ranking them by the Monte Carlo value.)"""
    labels: list = [None] * (n_steps - 1)
    if mode == "checker":
        ok = True
        for i in range(n_steps - 1):
            ok = ok and i < len(verdicts) and verdicts[i]
            labels[i] = 1.0 if ok else 0.0
    elif mode != "final":
        raise ValueError(f"unknown extra_labels {mode!r}")
    return labels + [1.0 if correct else 0.0]


def prm_graded_from(cfg) -> list[str]:
    """The stages whose graded samples the PRM trains on: `prm.graded_from`, by default `revsample`
    (the pretrained generator's) and `prmextra` (the final generator's); those the preset has."""
    return [st for st in cfg["prm"].get("graded_from", ["revsample", "prmextra"]) if cfg.get(st)]


def stage_prm(cfg, _train, _eval):
    hp = cfg["prm"]
    items = torch.load(os.path.join(stage_dir(cfg, "prmdata"), "items.pt"))
    pool = []

    def add(problem, steps, labels):
        chars = char_labels(problem["start"], problem["ops"], steps) if hp.get("char_labels") else None
        ex = prm_example(problem["prompt"], steps, labels, chars, hp.get("newline_tag", False))
        if ex.slots <= hp["row_len"]:
            pool.append(ex)

    for it in items:
        if any(tok.PRM_TAG in st for st in it["steps"]):
            continue  # only from samplers that did not mask the tag; it would shift the labels
        add(it["problem"], it["steps"], it["labels"])
    # Graded samples (prm_graded_from), labelled without rollouts: the last step (the answer)
    # exactly; the other steps as `extra_labels` says (step_labels).
    extras = [os.path.join(stage_dir(cfg, st), "graded.json") for st in prm_graded_from(cfg)]
    n_mc = len(pool)
    mode = hp.get("extra_labels", "final")
    for extra in extras:
        with open(extra) as f:
            for g in json.load(f):
                steps = split_steps(g["text"])[:24]
                if not steps or any(tok.PRM_TAG in st for st in steps):
                    continue
                add(g["problem"], steps, step_labels(*grade(g["problem"], g["text"]), len(steps), mode))
    n_sampled = len(pool) - n_mc
    log(f"prm: {n_mc} solutions with Monte Carlo step labels, {n_sampled} sampled with {mode!r} labels")
    # The PRM is a separate model; starting from a generator's weights (as the paper's PRMs start
    # from the base model) gives it arithmetic for free. `base`: "pretrain", or "final", the
    # generator that writes the solutions it judges, whose confidence then is the sampler's own.
    model = load_model(cfg, final_generator_stage(cfg) if hp.get("base") == "final" else pretrained_stage(cfg))
    if hp.get("grow"):
        model = grow(
            cfg, model, hp["grow"], hp.get("freeze_base", False), hp.get("confidence", False),
            hp.get("confidence_sum", False), hp.get("newline_tag", False),
        )
    return train_stage(cfg, "prm", model, pool, hp)


def grow(
    cfg, base: TinyGPT, extra: int, freeze: bool, confidence: bool = False, confidence_sum: bool = False,
    prm_newline: bool = False,
) -> TinyGPT:
    """The base model with `extra` blocks on top whose output projections start at zero (so the
    grown model computes exactly what the base did). With `freeze`, only the new blocks and the
    final LayerNorm train: the base's next-token features stay intact for the new blocks to read.
    With `confidence`, the new blocks also get the base's confidence in each character (model.py):
    `ln_conf` is a frozen copy of the base's final LayerNorm, so the distribution it reads is
    exactly the base's; the projection `conf` starts at zero and trains. `confidence_sum` adds the
    running sum of the generator's log-probability over the solution as a third input (model.py);
    `prm_newline` makes a PRM that judges at each step's newline (data.prm_text)."""
    m = new_model(cfg, extra, confidence, confidence_sum, prm_newline)
    missing = m.load_state_dict(base.state_dict(), strict=False).missing_keys
    n = base.cfg.n_layer
    if confidence:
        m.transformer.ln_conf.load_state_dict(base.transformer.ln_f.state_dict())
        torch.nn.init.zeros_(m.transformer.conf.weight)
        missing = [k for k in missing if not k.startswith(("transformer.ln_conf.", "transformer.conf."))]
    assert all(k.startswith("transformer.h.") and int(k.split(".")[2]) >= n for k in missing), missing
    for b in m.transformer.h[n:]:
        for proj in (b.attn.c_proj, b.mlp.c_proj):
            torch.nn.init.zeros_(proj.weight)
            torch.nn.init.zeros_(proj.bias)
    if freeze:
        for name, p in m.named_parameters():
            p.requires_grad = name.startswith(("transformer.ln_f.", "transformer.conf.")) or any(
                name.startswith(f"transformer.h.{i}.") for i in range(n, n + extra)
            )
    return m


def shipped_generator(cfg) -> TinyGPT:
    """The final generator as its export ships it (float16 weights), in float32."""
    return revrl.rounded(load_model(cfg, final_generator_stage(cfg)))


def stage_rlsample(cfg, train, _eval):
    """The shipped generator's own wrong attempts on training problems (6 samples each), for the
    revision model's policy gradient."""
    hp = cfg["rlsample"]
    model = shipped_generator(cfg)
    model.eval()
    pool = [p for p in train if p["level"] in hp["levels"]]
    problems = per_level_slice(pool, hp["per_level"], 0, SEED + 11)
    prompts = [p["prompt"] for p in problems for _ in range(hp["samples"])]
    texts = sample_chunked(cfg, "rlsample", model, prompts, hp, SEED + 12, stop_at_answer=True, no_empty=True)
    pairs = revrl.wrong_attempts(problems, texts, hp["samples"])
    with open(os.path.join(stage_dir(cfg, "rlsample"), "pairs.json"), "w") as f:
        json.dump(pairs, f)
    by_level = {lv: sum(1 for q in pairs if q["problem"]["level"] == lv) for lv in hp["levels"]}
    log(f"rlsample: {len(problems)} problems, {len(pairs)} distinct wrong attempts, by level {by_level}")
    return {"problems": len(problems), "samples": len(texts), "wrong_attempts": len(pairs), "by_level": by_level}


def _train_revision_model(cfg, name, run, train, model, describe) -> None:
    """The revision stages' shared run: resume `run` (a revrl.PolicyGradient or revdistill.Distill)
    from the stage's checkpoint, `train` it (revrl.train or revdistill.train) to the preset's steps
    with a checkpoint every `ckpt_every`, and save `model` as the stage's model.pt."""
    hp, d = cfg[name], stage_dir(cfg, name)
    ck = os.path.join(d, "ckpt.pt")
    if os.path.exists(ck):
        run.load_state(torch.load(ck))
        log(f"{name}: resumed at step {run.step}/{hp['steps']}")
    log(f"{name}: {describe}")
    if run.pairs:
        train(run, hp["steps"], log, name, lambda r: save_atomic(r.state(), ck), hp["ckpt_every"])
    torch.save(model.state_dict(), os.path.join(d, "model.pt"))


def _wrong_attempts(cfg, stages=("rlsample",)) -> list[dict]:
    pairs = []
    for name in stages:
        if cfg.get(name):
            with open(os.path.join(stage_dir(cfg, name), "pairs.json")) as f:
                pairs.extend(json.load(f))
    return pairs


def stage_slipsample(cfg, train, _eval):
    """More wrong attempts of the shipped generator for the distilled revision model, one per
    problem, drawn without rejection (revdistill.slip_attempts): on level 1 a plain sample is wrong
    2% of the time, so the `rlsample` stage's 24,000 samples gave only ~470 wrong attempts there.
    Saved in chunks of 2,048 problems, so a restart skips the finished ones."""
    hp = cfg["slipsample"]
    model = shipped_generator(cfg)
    model.eval()
    pool = [p for p in train if p["level"] in hp["levels"]]
    problems = per_level_slice(pool, hp["per_level"], 0, SEED + 15)
    d, pairs, t0, chunk = stage_dir(cfg, "slipsample"), [], time.time(), 2048
    for c in range(0, len(problems), chunk):
        path = os.path.join(d, f"slips_{c}.json")
        if not os.path.exists(path):
            g = torch.Generator().manual_seed((SEED + 16) * 7919 + c)
            part = revdistill.slip_attempts(model, problems[c : c + chunk], hp["max_new"], g)
            with open(path + ".tmp", "w") as f:
                json.dump(part, f)
            os.replace(path + ".tmp", path)
            log(f"slipsample: {min(c + chunk, len(problems))}/{len(problems)} problems, {time.time() - t0:.0f} s")
        with open(path) as f:
            pairs.extend(json.load(f))
    with open(os.path.join(d, "pairs.json"), "w") as f:
        json.dump(pairs, f)
    by_level = {lv: sum(1 for q in pairs if q["problem"]["level"] == lv) for lv in hp["levels"]}
    log(f"slipsample: {len(problems)} problems, {len(pairs)} wrong attempts, by level {by_level}")
    return {"problems": len(problems), "wrong_attempts": len(pairs), "by_level": by_level}


def stage_revrl(cfg, _train, _eval):
    """The revision model: the shipped generator, trained by a group-relative policy gradient on
    revisions of its own wrong attempts (tinymath/revrl.py). Checkpoints every `ckpt_every` steps."""
    hp = cfg["revrl"]
    pairs = [q for q in _wrong_attempts(cfg) if q["problem"]["level"] in hp["levels"]]
    model = shipped_generator(cfg)
    torch.manual_seed(SEED + 13)
    pg = revrl.PolicyGradient(model, pairs, hp, SEED + 13)
    _train_revision_model(
        cfg, "revrl", pg, revrl.train, model,
        f"{len(pairs)} wrong attempts of levels {hp['levels']}, {hp['prompts']} prompts x {hp['group']} revisions per step",
    )
    r = pg.rewards
    return {
        "steps": pg.step, "wrong_attempts": len(pairs), "train_seconds": pg.elapsed,
        "reward_first_50": sum(r[:50]) / max(len(r[:50]), 1), "reward_last_50": sum(r[-50:]) / max(len(r[-50:]), 1),
    }


def revision_stage(cfg):
    """The stage whose model writes revisions (tinymath-rev), or None."""
    for name in ("revpg", "revdistill", "revrl"):
        if cfg.get(name):
            return name
    return None


def stage_revdistill(cfg, _train, _eval):
    """The revision model: the shipped generator, distilled onto revision prompts of its own wrong
    attempts (tinymath/revdistill.py). Checkpoints every `ckpt_every` steps."""
    hp = cfg["revdistill"]
    pairs = _wrong_attempts(cfg, ("rlsample", "slipsample"))
    teacher = shipped_generator(cfg)
    teacher.eval()
    student = shipped_generator(cfg)
    torch.manual_seed(SEED + 14)
    run = revdistill.Distill(student, teacher, pairs, hp, SEED + 14)
    by_level = {lv: len(v) for lv, v in run.by_level.items()}
    _train_revision_model(cfg, "revdistill", run, revdistill.train, student, f"{len(pairs)} wrong attempts (by level {by_level}), {hp['attempts']} a step")
    k = run.losses
    return {
        "steps": run.step, "wrong_attempts": len(pairs), "train_seconds": run.elapsed,
        "kl_first_25": sum(k[:25]) / max(len(k[:25]), 1), "kl_last_25": sum(k[-25:]) / max(len(k[-25:]), 1),
    }


def stage_revpg(cfg, _train, _eval):
    """The revision model, continued: the distilled model (rounded as its export ships it) trained by
    the policy gradient on its own revisions of levels 1-2 with the distillation of every level as an
    anchor (revdistill.DistillPG). Checkpoints every `ckpt_every` steps."""
    hp = cfg["revpg"]
    pairs = _wrong_attempts(cfg, ("rlsample", "slipsample"))
    teacher = shipped_generator(cfg)
    teacher.eval()
    student = revrl.rounded(load_model(cfg, "revdistill"))
    run = revdistill.DistillPG(student, teacher, pairs, hp, SEED + 21, SEED * 1000 + 10_000)
    _train_revision_model(
        cfg, "revpg", run, revdistill.train, student,
        f"policy gradient on {len(run.pg.pairs)} wrong attempts of levels {hp['pg_levels']}, "
        f"{hp['prompts']} x {hp['group']} revisions a step; distillation anchor on {len(pairs)}, {hp['attempts']} a step",
    )
    r = run.rewards
    return {
        "steps": run.step, "train_seconds": run.elapsed,
        "reward_first_25": sum(r[:25]) / max(len(r[:25]), 1), "reward_last_25": sum(r[-25:]) / max(len(r[-25:]), 1),
        "kl_last_25": sum(run.losses[-25:]) / max(len(run.losses[-25:]), 1),
    }


def export_paths(cfg):
    """The generator's, PRM's and revision model's export folders (the last is None unless the
    preset exports a revision model)."""
    base = os.path.join(ROOT, cfg["export_dir"])
    rev = os.path.join(base, "tinymath-rev") if revision_stage(cfg) and cfg.get("export_revision") else None
    return os.path.join(base, "tinymath-gen"), os.path.join(base, "tinymath-prm"), rev


def stage_export(cfg, _train, _eval):
    gen_dir, prm_dir, rev_dir = export_paths(cfg)
    gen = load_model(cfg, final_generator_stage(cfg))
    prm = load_model(cfg, "prm")
    note = {"preset": cfg["name"], "levels": json.load(open(os.path.join(ROOT, cfg["data"], "meta.json")))["levels"]}
    export(gen, gen_dir, "generator", extra={"training": note})
    export(prm, prm_dir, "prm", extra={"training": note})
    dirs = [gen_dir, prm_dir]
    if rev_dir:
        rev = load_model(cfg, revision_stage(cfg))
        export(rev, rev_dir, "revision", extra={"training": note})
        dirs.append(rev_dir)
    sizes = {d: os.path.getsize(os.path.join(d, "model.safetensors")) for d in dirs}
    total = sum(sizes.values())
    log("export: " + ", ".join(f"{d} {b:,} B" for d, b in sizes.items()) + f", total {total / 1e6:.2f} MB")
    return {"bytes": {os.path.relpath(k, ROOT): v for k, v in sizes.items()}, "total_bytes": total}


def stage_eval(cfg, _train, eval_problems):
    gen_dir, prm_dir, rev_dir = export_paths(cfg)
    # Evaluate what is shipped: the float16 exports, reloaded. Revisions are written by the
    # revision model where there is one, as in the app.
    gen, prm = load_export(gen_dir), load_export(prm_dir)
    rev = load_export(rev_dir) if rev_dir else gen
    from tinymath import evaluate

    t0 = time.time()
    report = evaluate.run(cfg, gen, prm, eval_problems, stage_dir(cfg, "eval"), log, rev=rev)
    with open(os.path.join(stage_dir(cfg, "export"), "done.json")) as f:
        total_bytes = json.load(f)["total_bytes"]
    # Wall time per stage. A training stage that was interrupted and resumed reports the time of
    # its training loop over all its runs (saved in its checkpoints), not just the last run's.
    times, seeded = {}, []
    for name, _ in STAGES[:-1]:
        done = os.path.join(stage_dir(cfg, name), "done.json")
        if os.path.exists(done):
            with open(done) as f:
                info = json.load(f)
            times[name] = round(max(info.get("wall_seconds", 0.0), info.get("train_seconds", 0.0)), 1)
            if "from_export" in info:
                seeded.append((name, info["from_export"]))
    times["eval"] = round(time.time() - t0, 1)
    times["total"] = round(sum(v for k, v in times.items() if k != "total"), 1)
    extra = {
        **({"revision_model": f"the revision model (`{os.path.relpath(rev_dir, ROOT)}`)"} if rev_dir else {}),
        **({"seeded_from_export": {"stages": [n for n, _ in seeded], "dir": seeded[0][1]}} if seeded else {}),
        "targets": evaluate.targets(report, total_bytes),
        "wall_seconds": times,
        "models": {
            os.path.relpath(gen_dir, ROOT): f"{gen.num_params():,} parameters, {gen.cfg.n_layer} layers x {gen.cfg.n_embd}",
            os.path.relpath(prm_dir, ROOT): f"{prm.num_params():,} parameters, {prm.cfg.n_layer} layers x {prm.cfg.n_embd}",
            **({os.path.relpath(rev_dir, ROOT): f"{rev.num_params():,} parameters, {rev.cfg.n_layer} layers x {rev.cfg.n_embd}"} if rev_dir else {}),
            "total float16 weights": f"{total_bytes:,} bytes",
        },
    }
    if cfg["name"] == "full":
        md, js = os.path.join(HERE, "REPORT.md"), os.path.join(HERE, "report.json")
    else:
        md, js = os.path.join(ROOT, cfg["out"], "REPORT.md"), os.path.join(ROOT, cfg["out"], "report.json")
    evaluate.write_report(report, md, js, extra)
    log(f"eval: wrote {os.path.relpath(md, ROOT)} and {os.path.relpath(js, ROOT)}")
    for t in extra["targets"]:
        log(f"target {'MET ' if t['met'] else 'MISS'} {t['target']}: {t['value']}")
    return {"report": os.path.relpath(js, ROOT)}


STAGES = [
    ("pretrain", stage_pretrain),
    ("pretrain2", stage_pretrain2),
    ("revsample", stage_revsample),
    ("revision", stage_revision),
    ("prmdata", stage_prmdata),
    ("prmextra", stage_prmextra),
    ("prm", stage_prm),
    ("rlsample", stage_rlsample),
    ("slipsample", stage_slipsample),
    ("revrl", stage_revrl),
    ("revdistill", stage_revdistill),
    ("revpg", stage_revpg),
    ("export", stage_export),
    ("eval", stage_eval),
]


EARLY_STAGES = ("pretrain", "pretrain2", "revsample", "revision", "prmdata", "prmextra", "prm")


PRM_STAGES = ("prmdata", "prmextra", "prm")


def seed_from_export(cfg, src, retrain_prm=False):
    """Mark the stages up to the PRM done with the final generator and PRM of an existing export
    (with `retrain_prm`, the stages up to the final generator only: the PRM's stages then run on it).
    The exports hold float16 weights, and every later stage reads those models rounded to float16
    (the revision model starts from the generator as shipped; the export rounds again, which
    changes nothing), so the later stages get exactly the weights that a run making the export
    would give them. Stage times are taken from the report of the run that made the export."""
    if retrain_prm:
        seeded = [st for st in prm_graded_from(cfg) if st not in PRM_STAGES]
        if seeded:
            raise SystemExit(
                f"--retrain-prm: the {cfg['name']} preset's PRM reads the samples of {', '.join(seeded)}, which an export "
                "does not hold (a run from scratch makes them); the full preset's recipe does not need them"
            )
    gen_dir, prm_dir = (os.path.join(ROOT, src, n) for n in ("tinymath-gen", "tinymath-prm"))
    gen, prm = load_export(gen_dir), load_export(prm_dir)
    want_gen, want_prm = stage_model(cfg, final_generator_stage(cfg)), stage_model(cfg, "prm")
    want_gen.load_state_dict(gen.state_dict())  # raises on a different shape
    if not retrain_prm:
        kind = lambda c: (c.confidence_after, c.confidence_sum, c.prm_newline)  # noqa: E731
        if kind(prm.cfg) != kind(want_prm.cfg):
            raise SystemExit(
                f"--from-export: {prm_dir} is not the {cfg['name']} preset's PRM (confidence input after, running sum, "
                f"newline tag: {kind(prm.cfg)} against {kind(want_prm.cfg)}); --retrain-prm trains one on its generator"
            )
        want_prm.load_state_dict(prm.state_dict())
    shipped = os.path.normpath(src) == os.path.normpath(PRESETS["full"]["export_dir"])
    report = os.path.join(HERE, "report.json") if shipped else None
    prev = json.load(open(report)).get("wall_seconds", {}) if report and os.path.exists(report) else {}
    for name in EARLY_STAGES:
        if cfg.get(name) is None or is_done(cfg, name) or (retrain_prm and name in PRM_STAGES):
            continue
        if name == final_generator_stage(cfg):
            torch.save(want_gen.state_dict(), os.path.join(stage_dir(cfg, name), "model.pt"))
        if name == "prm":
            torch.save(want_prm.state_dict(), os.path.join(stage_dir(cfg, name), "model.pt"))
        mark_done(cfg, name, {"from_export": os.path.relpath(os.path.join(ROOT, src), ROOT), "wall_seconds": prev.get(name, 0.0)})
        log(f"{name}: seeded from {src}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="full", choices=sorted(PRESETS))
    # PyTorch's own threads. 1 by default: Debian's torch calls the OpenBLAS pthreads build, which
    # already spreads each matrix product over the cores, and 2 torch threads on top of it made a
    # training step about 2x SLOWER on 2 cores (measured side by side on 16 x 256 batches: 0.29-0.41
    # s/step with 1 thread, 0.60-0.74 s with 2; training/README.md, "Wall time").
    ap.add_argument("--threads", type=int, default=int(os.environ.get("TINYMATH_THREADS", "1")))
    ap.add_argument("--stop-after", default=None, help="stop after this stage (for tests)")
    ap.add_argument("--out", default=None, help="output folder instead of the preset's (experiments)")
    ap.add_argument(
        "--from-export", default=None, metavar="DIR",
        help="take the final generator and PRM from the export in DIR (e.g. public/models) instead of training "
        "them: the stages after the PRM run on exactly the shipped weights",
    )
    ap.add_argument(
        "--retrain-prm", action="store_true",
        help="with --from-export: take only the final generator from the export and run the PRM's stages "
        "(prmdata, prmextra, prm) on it",
    )
    args = ap.parse_args()
    if args.retrain_prm and not args.from_export:
        ap.error("--retrain-prm needs --from-export")
    torch.set_num_threads(args.threads)
    cfg = copy.deepcopy(PRESETS[args.preset])
    cfg["name"] = args.preset
    if args.out:
        cfg["out"] = args.out
    os.makedirs(os.path.join(ROOT, cfg["out"]), exist_ok=True)
    cmd = ["npx", "tsx", "scripts/export-arith-data.ts", "--out", cfg["data"], *cfg.get("data_args", [])]
    log("data: " + " ".join(cmd))
    subprocess.run(cmd, cwd=ROOT, check=True)
    check_data_fingerprint(cfg)
    train, eval_problems = load_data(cfg)
    if args.from_export:
        seed_from_export(cfg, args.from_export, args.retrain_prm)
    times_path = os.path.join(ROOT, cfg["out"], "times.json")
    times = json.load(open(times_path)) if os.path.exists(times_path) else {}
    t_all = time.time()
    for name, fn in STAGES:
        if cfg.get(name) is None and name in ("pretrain2", "revsample", "revision", "prmextra", "rlsample", "slipsample", "revrl", "revdistill", "revpg"):
            continue
        if is_done(cfg, name):
            log(f"{name}: done already, skipping")
            continue
        log(f"=== stage {name}")
        t0 = time.time()
        info = fn(cfg, train, eval_problems) or {}
        wall = time.time() - t0
        # Wall time of the run that finished the stage (training stages also record train_seconds,
        # which includes the part before an interruption).
        times[name] = round(wall, 1)
        info["wall_seconds"] = times[name]
        mark_done(cfg, name, info)
        with open(times_path, "w") as f:
            json.dump(times, f, indent=2)
        log(f"{name}: done in {wall:.1f} s")
        if args.stop_after == name:
            break
    log(f"pipeline {args.preset}: finished in {time.time() - t_all:.1f} s this run; stage wall times {times}")


if __name__ == "__main__":
    main()
