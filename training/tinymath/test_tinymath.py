"""Fast tests of the Python side (seconds): /usr/bin/python3 -m unittest discover training"""
from __future__ import annotations

import copy
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
ROOT = os.path.dirname(TRAINING)
if TRAINING not in sys.path:
    sys.path.insert(0, TRAINING)

from tinymath import tokenizer as tok  # noqa: E402
from tinymath.data import (  # noqa: E402
    Example,
    FifoPacker,
    char_labels,
    check_steps,
    collate,
    extract_answer,
    grade,
    is_correct,
    lm_example,
    prm_example,
    prm_tag_positions,
    prompt_positions,
    revision_prompt,
    split_steps,
)
from tinymath.export import export, load  # noqa: E402
from tinymath.metrics import (  # noqa: E402
    auroc,
    best_of_n_weighted,
    cluster_bootstrap_interval,
    majority_vote,
    pass_at_k,
    sign_test_p,
    weighted_vs_majority,
    within_problem_auroc,
)
from tinymath.model import TinyConfig, TinyGPT  # noqa: E402
from tinymath.sample import generate, prm_scores  # noqa: E402

torch.set_num_threads(1)


def tiny_model(seed=0, n_positions=128):
    torch.manual_seed(seed)
    m = TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), n_positions=n_positions, n_embd=32, n_layer=2, n_head=2))
    # Larger weights than the init so that greedy decoding is not one repeated token.
    with torch.no_grad():
        for p in m.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return m.eval()


_CHECKER_CASES = None


def checker_cases():
    """The TypeScript checker's verdicts: training/out/data/checker.jsonl, or a small fresh export."""
    global _CHECKER_CASES
    if _CHECKER_CASES is None:
        path = os.path.join(ROOT, "training/out/data/checker.jsonl")
        if not os.path.exists(path) or "revisionPositions" not in open(path).readline():
            with tempfile.TemporaryDirectory() as d:
                subprocess.run(
                    ["npx", "tsx", "scripts/export-arith-data.ts", "--out", d, "--train-per-level", "5", "--eval-per-level", "5", "--checker-cases", "100"],
                    cwd=ROOT, check=True, capture_output=True,
                )
                with open(os.path.join(d, "checker.jsonl")) as f:
                    _CHECKER_CASES = [json.loads(line) for line in f]
            return _CHECKER_CASES
        with open(path) as f:
            _CHECKER_CASES = [json.loads(line) for line in f]
    return _CHECKER_CASES


class CheckerAgreesWithTypeScript(unittest.TestCase):
    def test_verdicts_answers_and_grades_match(self):
        cases = checker_cases()
        kinds = {c["kind"] for c in cases}
        self.assertGreaterEqual(len(kinds), 10)
        # The cases must exercise both verdicts, or agreement would prove little.
        self.assertTrue(any(not all(c["verdicts"]) for c in cases))
        self.assertTrue(any(c["correct"] and not all(c["verdicts"]) for c in cases))
        for c in cases:
            with self.subTest(id=c["id"], kind=c["kind"]):
                steps = split_steps(c["solution"])
                self.assertEqual(steps, c["steps"])
                self.assertEqual(check_steps(c["start"], c["ops"], steps), c["verdicts"])
                self.assertEqual(extract_answer(c["solution"]), c["extracted"])
                self.assertEqual(is_correct(c["answer"], extract_answer(c["solution"])), c["correct"])
                # The revision prompt the fine-tune trains on is the one the app's engine sends.
                self.assertEqual(revision_prompt(c, [c["solution"], c["solution"]]), c["revisionPrompt"])
                # ... and its positions are the runtime's (promptPositions).
                self.assertEqual(prompt_positions(tok.encode(c["revisionPrompt"])), c["revisionPositions"])


class Packing(unittest.TestCase):
    def test_fifo_packer_keeps_order_and_fills_rows(self):
        rng = random.Random(0)
        exs = [Example(list(range(rng.randint(5, 120)))) for _ in range(400)]
        for i, e in enumerate(exs):
            e.ids[0] = i  # tag
        p = FifoPacker(iter(exs), 128, window=64)
        rows, seen = [], []
        while (r := p.next_row()) is not None:
            self.assertLessEqual(sum(e.slots for e in r), 128)
            rows.append(r)
            seen.extend(e.ids[0] for e in r)
        self.assertEqual(sorted(seen), list(range(400)))
        # First in, first out: each row starts with the oldest example still waiting.
        waiting = list(range(400))
        for r in rows:
            self.assertEqual(r[0].ids[0], min(waiting))
            for e in r:
                waiting.remove(e.ids[0])
        fill = sum(e.slots for r in rows for e in r) / (128 * len(rows))
        self.assertGreater(fill, 0.9)

    def test_collate_positions_segments_and_loss_mask(self):
        a = lm_example("Q:5,-3\n", "5-3=2\nA:2\n")
        b = lm_example("Q:2,*3\n", "2*3=6\nA:6\n")
        batch = collate([[a, b]], 64)
        n = a.slots
        self.assertEqual(batch.pos[0, :n].tolist(), list(range(n)))
        self.assertEqual(batch.pos[0, n : n + b.slots].tolist(), list(range(b.slots)))
        self.assertTrue((batch.seg[0, :n] == 0).all() and (batch.seg[0, n : n + b.slots] == 1).all())
        # Targets: only the completion and <eos>, never the question line or padding.
        t = batch.tgt[0, :n]
        trained = [int(x) for x in t if x != -100]
        self.assertEqual(tok.decode(trained), "5-3=2\nA:2\n")
        self.assertEqual(trained[-1], tok.EOS_ID)
        self.assertTrue((batch.tgt[0, n + b.slots :] == -100).all())
        # A revision example: the earlier attempt and its separator count from 320, the question
        # and the new attempt from 0.
        r = lm_example("1\n-\nQ:2,*3\n", "2*3=6\nA:6\n")
        batch = collate([[a, r]], 64)
        self.assertEqual(batch.pos[0, n : n + r.slots].tolist(), [320, 321, 322, 323] + list(range(r.slots - 4)))
        self.assertEqual(tok.decode([int(x) for x in batch.tgt[0, n : n + r.slots] if x != -100]), "2*3=6\nA:6\n")

    def test_packed_logits_equal_separate_logits(self):
        m = tiny_model()
        a = lm_example("Q:5,-3\n", "5-3=2\nA:2\n")
        b = lm_example("Q:12,+7,*2\n", "12+7=19\n19*2=38\nA:38\n")
        batch = collate([[a, b]], 64)
        with torch.no_grad():
            packed = m(batch.idx, batch.pos, batch.seg)[0]
            la = m(torch.tensor([a.ids[:-1]]))[0]
            lb = m(torch.tensor([b.ids[:-1]]))[0]
        self.assertTrue(torch.allclose(packed[: a.slots], la, atol=1e-5))
        self.assertTrue(torch.allclose(packed[a.slots : a.slots + b.slots], lb, atol=1e-5))
        self.assertFalse(torch.isnan(packed).any())

    def test_prm_example_labels_sit_on_tags(self):
        ex = prm_example("Q:5,-3\n", ["5-3=2", "A:2"], [0.75, 1.0])
        batch = collate([[ex]], 32)
        where = (~torch.isnan(batch.soft[0])).nonzero().squeeze(1).tolist()
        self.assertEqual([tok.VOCAB[int(batch.idx[0, i])] for i in where], ["?", "?"])
        self.assertEqual(batch.soft[0, where].tolist(), [0.75, 1.0])
        # A PRM that judges at each step's newline reads the solution as written.
        ex = prm_example("Q:5,-3\n", ["5-3=2", "A:2"], [0.75, 1.0], newline=True)
        self.assertEqual((tok.decode(ex.ids), ex.ids[-1]), ("Q:5,-3\n5-3=2\nA:2\n", tok.EOS_ID))
        batch = collate([[ex]], 32)
        where = (~torch.isnan(batch.soft[0])).nonzero().squeeze(1).tolist()
        self.assertEqual(where, [12, 16])  # the steps' newlines, within the trained slots
        self.assertEqual([tok.VOCAB[int(batch.idx[0, i])] for i in where], ["\n", "\n"])
        self.assertEqual(prm_tag_positions(tok.encode("Q:5,-3\n5-3=2\nA:2\n"), newline=True), [12, 16])

    def test_revision_prompt_matches_task_format(self):
        p = {"prompt": "Q:5,-3\n"}
        self.assertEqual(revision_prompt(p, ["5-3=1\nA:1", "5-3=3\nA:3\n"]), "5-3=1\nA:1\n-\n5-3=3\nA:3\n-\nQ:5,-3\n")
        five = [f"A:{i}\n" for i in range(5)]
        self.assertEqual(revision_prompt(p, five), "".join(a + "-\n" for a in five[1:]) + "Q:5,-3\n")


class Sampling(unittest.TestCase):
    def full_greedy(self, m, prompt, n):
        seq = list(prompt)
        pos = prompt_positions(seq, m.cfg.n_positions)
        out = []
        with torch.no_grad():
            for _ in range(n):
                lg = m(torch.tensor([seq]), torch.tensor([pos]))[0, -1]
                lg[[tok.PAD_ID, tok.STOI[tok.PRM_TAG]]] = float("-inf")  # never sampled
                t = int(lg.argmax())
                if t == tok.EOS_ID:
                    break
                out.append(t)
                seq.append(t)
                pos.append(pos[-1] + 1)
        return out

    def test_kv_cache_left_padding_matches_full_forward(self):
        m = tiny_model(1)
        texts = ["Q:5,-3\n", "Q:908,+602,*2,-5\n", "Q:37,+45\n5", "5-3=1\nA:1\n-\nQ:5,-3\n"]
        prompts = [tok.encode(t) for t in texts]
        outs = generate(m, prompts, 25, temperature=0.0)
        for p, o in zip(prompts, outs):
            self.assertEqual(o, self.full_greedy(m, p, 25))
        self.assertTrue(any(len(set(o)) > 1 for o in outs))

    def test_sampling_is_seeded_and_stops_at_newline(self):
        m = tiny_model(2)
        prompts = [tok.encode("Q:5,-3\n")] * 6
        a = generate(m, prompts, 30, 1.0, torch.Generator().manual_seed(3), stop_at_newline=True)
        b = generate(m, prompts, 30, 1.0, torch.Generator().manual_seed(3), stop_at_newline=True)
        self.assertEqual(a, b)
        nl = tok.STOI["\n"]
        for o in a:
            self.assertNotIn(nl, o[:-1])

    def test_stop_at_answer_ends_after_the_first_answer_line(self):
        # Overfit a tiny model on a text that carries on after its answer, as a revision-tuned
        # generator sometimes does; greedy decoding then reproduces it unless told to stop.
        m = tiny_model(6).train()
        ids = tok.encode("Q:5,-3\n5-3=2\nA:2\n5-3=2\nA:2\n") + [tok.EOS_ID]
        opt = torch.optim.Adam(m.parameters(), lr=3e-3)
        x, y = torch.tensor([ids[:-1]]), torch.tensor(ids[1:])
        for _ in range(150):
            loss = torch.nn.functional.cross_entropy(m(x)[0], y)
            opt.zero_grad()
            loss.backward()
            opt.step()
        m.eval()
        prompt = tok.encode("Q:5,-3\n")
        full = tok.decode(generate(m, [prompt], 40, 0.0)[0])
        self.assertEqual(full, "5-3=2\nA:2\n5-3=2\nA:2\n")
        cut = generate(m, [prompt, tok.encode("Q:5,-3\n5-3=2\n")], 40, 0.0, stop_at_answer=True)
        self.assertEqual([tok.decode(c) for c in cut], ["5-3=2\nA:2\n", "A:2\n"])
        # After its own answer line the model ends (<eos>); no_empty makes it write a new attempt.
        done = tok.encode("Q:5,-3\n5-3=2\nA:2\n5-3=2\nA:2\n")
        self.assertEqual(generate(m, [done], 10, 0.0)[0], [])
        self.assertNotEqual(generate(m, [done], 10, 0.0, no_empty=True)[0], [])

    def test_prm_scores_read_at_tags(self):
        m = tiny_model(3)
        texts = ["Q:5,-3\n5-3=2?\nA:2?\n", "Q:2,*3,+1\n2*3=6?\n"]
        s = prm_scores(m, texts)
        self.assertEqual([len(x) for x in s], [2, 1])
        with torch.no_grad():
            ids = tok.encode(texts[0])
            lg = m(torch.tensor([ids]))[0]
        i = ids.index(tok.STOI["?"])
        g, b = lg[i, tok.STOI["+"]], lg[i, tok.STOI["-"]]
        self.assertAlmostEqual(s[0][0], float(torch.exp(g) / (torch.exp(g) + torch.exp(b))), places=5)


class Metrics(unittest.TestCase):
    def test_pass_at_k_matches_enumeration(self):
        for n, c, k in [(6, 2, 1), (6, 2, 3), (7, 0, 2), (5, 5, 5), (8, 3, 4)]:
            subsets = list(itertools.combinations(range(n), k))
            brute = sum(any(i < c for i in s) for s in subsets) / len(subsets)
            self.assertAlmostEqual(pass_at_k(n, c, k), brute)

    def test_auroc_matches_pair_counting(self):
        rng = random.Random(1)
        scores = [round(rng.random(), 1) for _ in range(60)]
        labels = [rng.random() < 0.4 for _ in range(60)]
        pairs = [(a, b) for a, la in zip(scores, labels) if la for b, lb in zip(scores, labels) if not lb]
        brute = sum(1.0 if a > b else 0.5 if a == b else 0.0 for a, b in pairs) / len(pairs)
        self.assertAlmostEqual(auroc(scores, labels), brute)
        self.assertIsNone(auroc([0.1, 0.2], [True, True]))

    def test_votes(self):
        self.assertEqual(majority_vote(["3", None, "4", "4", "3"]), "3")
        self.assertEqual(best_of_n_weighted(["3", "4", "4"], [0.9, 0.3, 0.4]), "3")
        self.assertIsNone(majority_vote([None, None]))

    def test_weighted_vs_majority_counts_groups_one_by_one(self):
        # Two problems (right answers "1" and "2"), 4 samples each, groups of 2.
        answers = ["1", "5", "5", "1", "2", "2", "7", "2"]
        scores = [0.9, 0.1, 0.8, 0.1, 0.5, 0.5, 0.2, 0.1]
        # Problem 1: group 1 ties 1/5, majority takes the first ("1") and so does the weighted vote;
        # group 2 (5, 1): majority "5" (first), weighted "5" (0.8). Problem 2: group 1 both "2";
        # group 2 (7, 2): majority "7" (first), weighted "7" (0.2 > 0.1).
        self.assertEqual(weighted_vs_majority(answers, scores, ["1", "2"], 4, 2), (2, 2, 0, 0))
        scores[2], scores[7] = 0.05, 0.9  # now the weighted vote picks "1" and "2" in the second groups
        self.assertEqual(weighted_vs_majority(answers, scores, ["1", "2"], 4, 2), (2, 4, 2, 0))
        # Groups only: samples left over after the last full group are not counted.
        self.assertEqual(weighted_vs_majority(answers[:3] + answers[4:7], scores[:3] + scores[4:7], ["1", "2"], 3, 2), (2, 2, 0, 0))

    def test_within_problem_auroc_averages_the_problems_with_both_outcomes(self):
        scores = [0.9, 0.1, 0.2, 0.8, 0.5, 0.5]
        correct = [True, False, True, False, True, True]  # problem 3 is all right: left out
        self.assertAlmostEqual(within_problem_auroc(scores, correct, 2), (1.0 + 0.0) / 2)
        self.assertIsNone(within_problem_auroc([0.1, 0.2], [True, True], 2))

    def test_sign_test_matches_the_binomial_tails(self):
        self.assertAlmostEqual(sign_test_p(0, 5), 2 / 32)
        self.assertAlmostEqual(sign_test_p(9, 1), 2 * (1 + 10) / 1024)
        self.assertAlmostEqual(sign_test_p(1, 9), sign_test_p(9, 1))
        self.assertEqual(sign_test_p(3, 3), 1.0)
        self.assertEqual(sign_test_p(0, 0), 1.0)

    def test_cluster_bootstrap_interval(self):
        # Identical groups: no spread at all.
        self.assertEqual(cluster_bootstrap_interval([[0.5, 0.5]] * 10), (0.5, 0.5))
        self.assertIsNone(cluster_bootstrap_interval([[], []]))
        # 400 independent coin flips, one per group: about mean +- 1.96 * 0.5 / 20.
        rng = __import__("random").Random(4)
        flips = [[float(rng.random() < 0.5)] for _ in range(400)]
        mean = sum(f[0] for f in flips) / 400
        lo, hi = cluster_bootstrap_interval(flips)
        self.assertLess(lo, mean)
        self.assertGreater(hi, mean)
        self.assertAlmostEqual(hi - lo, 2 * 1.96 * 0.5 / 20, delta=0.015)
        # The same flips repeated 8 times inside each group carry no more information: the interval
        # must not shrink by sqrt(8), as it would if the values were resampled one by one.
        lo8, hi8 = cluster_bootstrap_interval([f * 8 for f in flips])
        self.assertAlmostEqual(hi8 - lo8, hi - lo, delta=0.015)


class Resume(unittest.TestCase):
    def test_interrupted_training_resumes_to_the_same_weights(self):
        import pipeline

        pool = [lm_example(f"Q:{a},+{b}\n", f"{a}+{b}={a + b}\nA:{a + b}\n") for a in range(2, 30) for b in range(1, 9)]
        hp = dict(steps=6, rows=4, row_len=64, lr=3e-3, warmup=2, ckpt_every=2)
        finals = []
        for interrupt in (None, 4):
            with tempfile.TemporaryDirectory() as d:
                cfg = {"out": d}
                m = tiny_model(5, n_positions=64).train()
                if interrupt:
                    self.assertIsNone(pipeline.train_stage(cfg, "t", m, pool, hp, stop_at=interrupt))
                    m = tiny_model(99, n_positions=64).train()  # a fresh process: weights come from the checkpoint
                info = pipeline.train_stage(cfg, "t", m, pool, hp)
                self.assertEqual(info["steps"], 6)
                finals.append({k: v.clone() for k, v in m.state_dict().items()})
        for k in finals[0]:
            self.assertTrue(torch.allclose(finals[0][k], finals[1][k], atol=1e-6), k)


    def test_a_run_folder_refuses_to_resume_on_other_data(self):
        import pipeline

        with tempfile.TemporaryDirectory() as d:
            data, out = os.path.join(d, "data"), os.path.join(d, "out")
            os.makedirs(data)
            os.makedirs(out)
            for name in pipeline.DATA_FILES:
                with open(os.path.join(data, name), "w") as f:
                    f.write(name)
            cfg = {"out": out, "data": data}
            pipeline.check_data_fingerprint(cfg)  # first run: records the data
            pipeline.check_data_fingerprint(cfg)  # same data: resumes
            with open(os.path.join(data, "train.jsonl"), "a") as f:
                f.write("changed")
            with self.assertRaises(SystemExit) as e:
                pipeline.check_data_fingerprint(cfg)
            self.assertIn("different data", str(e.exception))

    def test_a_run_seeded_from_an_export_reads_exactly_its_weights(self):
        import pipeline
        from tinymath.export import export

        with tempfile.TemporaryDirectory() as d:
            cfg = copy.deepcopy(pipeline.PRESETS["micro"])
            cfg.update(name="micro", out=os.path.join(d, "run"), export_dir=os.path.join(d, "export"))
            torch.manual_seed(3)
            gen = pipeline.new_model(cfg)
            hp = cfg["prm"]
            flags = (hp["confidence"], hp["confidence_sum"], hp["newline_tag"])
            gen_dir, prm_dir, rev_dir = pipeline.export_paths(cfg)
            export(gen, gen_dir, "generator")
            # A PRM of another recipe (here "?" tags and no running sum) is refused by name.
            export(pipeline.grow(cfg, gen, 2, True, True), prm_dir, "prm")
            with self.assertRaises(SystemExit) as e:
                pipeline.seed_from_export(cfg, cfg["export_dir"])
            self.assertIn("is not the micro preset's PRM", str(e.exception))
            prm = pipeline.grow(cfg, gen, 2, True, *flags)
            export(prm, prm_dir, "prm")
            pipeline.seed_from_export(cfg, cfg["export_dir"])
            for name in pipeline.EARLY_STAGES:
                self.assertTrue(pipeline.is_done(cfg, name), name)
            seeded = pipeline.shipped_generator(cfg).state_dict()
            for k, v in gen.state_dict().items():
                self.assertTrue(torch.equal(seeded[k], v.half().float()), k)
            p2 = pipeline.load_model(cfg, "prm").state_dict()
            for k, v in prm.state_dict().items():
                self.assertTrue(torch.equal(p2[k], v.half().float()), k)
            # --retrain-prm: the generator's stages are seeded, the PRM's are left to run on it; a
            # recipe that reads the samples of a seeded stage (revsample) is refused up front.
            again = copy.deepcopy(cfg)
            again.update(out=os.path.join(d, "run3"))
            again["prm"]["graded_from"] = ["revsample", "prmextra"]
            with self.assertRaises(SystemExit) as e:
                pipeline.seed_from_export(again, cfg["export_dir"], retrain_prm=True)
            self.assertIn("revsample", str(e.exception))
            again["prm"]["graded_from"] = ["prmextra"]
            pipeline.seed_from_export(again, cfg["export_dir"], retrain_prm=True)
            for name in pipeline.EARLY_STAGES:
                self.assertEqual(pipeline.is_done(again, name), name not in pipeline.PRM_STAGES, name)
            self.assertFalse(os.path.exists(os.path.join(pipeline.stage_dir(again, "prm"), "model.pt")))
            seeded = pipeline.shipped_generator(again).state_dict()
            for k, v in gen.state_dict().items():
                self.assertTrue(torch.equal(seeded[k], v.half().float()), k)
            # An export of another shape is refused, not silently loaded.
            wide = copy.deepcopy(cfg)
            wide.update(out=os.path.join(d, "run2"), model=dict(cfg["model"], n_embd=48))
            with self.assertRaises(RuntimeError):
                pipeline.seed_from_export(wide, cfg["export_dir"])


class Export(unittest.TestCase):
    def test_export_roundtrip_and_golden(self):
        m = tiny_model(4, n_positions=64)
        with tempfile.TemporaryDirectory() as d:
            golden = export(m, d, "prm")
            with open(os.path.join(d, "config.json")) as f:
                cfg = json.load(f)
            self.assertEqual(cfg["ttc_lab"]["prm"], {"tag": "?", "good": "+", "bad": "-"})
            self.assertEqual(cfg["ttc_lab"]["parameters"], m.num_params())
            r = load(d)
            with torch.no_grad():
                for g in golden["inputs"]:
                    self.assertEqual(g["positions"], prompt_positions(g["ids"], 64))
                    ids, pos = torch.tensor([g["ids"]]), torch.tensor([g["positions"]])
                    lg = r(ids, pos)[0]
                    self.assertLess(float((lg - torch.tensor(g["logits"])).abs().max()), 1e-4)
                    # float16 rounding changes the logits only a little.
                    self.assertLess(float((lg - m(ids, pos)[0]).abs().max()), 0.1)
                # The revision input's earlier attempt sits below the 64 positions' end.
                self.assertEqual(max(golden["inputs"][1]["positions"]), 63)


if __name__ == "__main__":
    unittest.main()


class CharLabels(unittest.TestCase):
    def test_result_characters_are_on_track_until_the_first_wrong_one(self):
        ops = [{"op": "+", "operand": 3}, {"op": "*", "operand": 2}]
        cases = {
            "5+3=8\n8*2=16\nA:16\n": [[1], [1, 1], [1, 1]],
            "5+3=8\n8*2=17\nA:17\n": [[1], [1, 0], [0, 0]],  # wrong at its last digit
            "5+3=9\n9*2=18\nA:18\n": [[0], [0, 0], [0, 0]],  # nothing after a wrong step is on track
            "5+3=8\n8*2=1\nA:1\n": [[1], [1], [0]],  # a prefix of the right result
            "5+3=8\n8*3=24\nA:24\n": [[1], [0, 0], [0, 0]],  # the wrong operation
        }
        for text, want in cases.items():
            steps = split_steps(text)
            got = char_labels(5, ops, steps)
            # Indices point at the result: after "=", or after "A:".
            self.assertEqual(["".join(steps[i][k] for k, _ in cl) for i, cl in enumerate(got)], [s.split("=")[-1].split(":")[-1] for s in steps], text)
            self.assertEqual([[y for _, y in cl] for cl in got], want, text)

    def test_prm_example_puts_character_labels_on_those_characters(self):
        steps = ["5+3=8", "A:8"]
        ex = prm_example("Q:5,+3\n", steps, [1.0, 1.0], char_labels(5, [{"op": "+", "operand": 3}], steps))
        self.assertEqual({tok.VOCAB[ex.ids[p]]: y for p, y in sorted(ex.soft.items())}, {"8": 1.0, "?": 1.0})
        self.assertEqual(sorted(ex.soft), [11, 12, 16, 17])
        ex = prm_example("Q:5,+3\n", steps, [1.0, 1.0], char_labels(5, [{"op": "+", "operand": 3}], steps), newline=True)
        self.assertEqual({tok.VOCAB[ex.ids[p]]: y for p, y in sorted(ex.soft.items())}, {"8": 1.0, "\n": 1.0})
        self.assertEqual(sorted(ex.soft), [11, 12, 15, 16])


class GrownPrm(unittest.TestCase):
    def test_grown_model_starts_as_the_base_and_trains_only_the_new_blocks(self):
        import pipeline

        cfg = {"model": dict(n_layer=2, n_embd=32, n_head=2, n_positions=64)}
        base = pipeline.new_model(cfg)
        grown = pipeline.grow(cfg, base, 2, freeze=True)
        self.assertEqual(grown.cfg.n_layer, 4)
        x = torch.tensor([tok.encode("Q:5,+3\n5+3=8\n")])
        with torch.no_grad():
            self.assertLess(float((grown(x) - base(x)).abs().max()), 1e-6)
        trained = {n.split(".")[2] if n.startswith("transformer.h.") else n for n, p in grown.named_parameters() if p.requires_grad}
        self.assertEqual(trained, {"2", "3", "transformer.ln_f.weight", "transformer.ln_f.bias"})


class ExtraStepLabels(unittest.TestCase):
    def test_checker_labels_stop_at_the_first_wrong_step_and_the_answer_is_graded(self):
        import pipeline

        p = {"start": 5, "ops": [{"op": "+", "operand": 3}, {"op": "*", "operand": 2}], "answer": "16", "prompt": "Q:5,+3,*2\n"}
        right = "5+3=8\n8*2=16\nA:16\n"
        wrong = "5+3=9\n9*2=18\nA:18\n"
        lucky = "5+3=9\n8*2=16\nA:16\n"  # a wrong step, then the right answer
        for text, checker in ((right, [1.0, 1.0, 1.0]), (wrong, [0.0, 0.0, 0.0]), (lucky, [0.0, 0.0, 1.0])):
            steps = split_steps(text)
            self.assertEqual(pipeline.step_labels(*grade(p, text), len(steps), "checker"), checker)
            self.assertEqual(pipeline.step_labels(*grade(p, text), len(steps), "final"), [None, None, checker[-1]])
        with self.assertRaises(ValueError):
            pipeline.step_labels(*grade(p, right), len(split_steps(right)), "oracle")



class ConfidenceInput(unittest.TestCase):
    def _grown(self, running_sum=False):
        import pipeline

        cfg = {"model": dict(n_layer=2, n_embd=32, n_head=2, n_positions=64)}
        torch.manual_seed(3)
        base = pipeline.new_model(cfg)
        return base, pipeline.grow(cfg, base, 2, freeze=True, confidence=True, confidence_sum=running_sum)

    def test_features_read_the_previous_position_and_restart_per_segment(self):
        from tinymath.model import CONFIDENCE_FLOOR, confidence_features

        torch.manual_seed(0)
        logits = torch.randn(1, 5, len(tok.VOCAB)) * 3
        logits[0, 2, 4] = -100.0  # far below the floor
        idx = torch.tensor([[3, 4, 4, 5, 6]])
        seg = torch.tensor([[0, 0, 0, 1, 1]])
        f = confidence_features(logits, idx, seg)
        lp = torch.log_softmax(logits[0], -1).clamp(min=CONFIDENCE_FLOOR)
        self.assertEqual(f[0, 0].tolist(), [0.0, 0.0])  # a sequence's first position
        self.assertAlmostEqual(float(f[0, 1, 0]), float(lp[0, 4]), places=5)
        self.assertAlmostEqual(float(f[0, 1, 1]), float(lp[0].max()), places=5)
        self.assertEqual(f[0, 3].tolist(), [0.0, 0.0])  # segment 1 starts: position 2 is not read
        self.assertAlmostEqual(float(f[0, 4, 0]), float(lp[3, 6]), places=5)
        # Without segments position 3 reads position 2, whose logit for token 4 is below the floor.
        g = confidence_features(logits, torch.tensor([[3, 4, 4, 4, 6]]), None)
        self.assertEqual(float(g[0, 3, 0]), CONFIDENCE_FLOOR)

    def test_running_sum_counts_the_solution_after_the_question_line_without_tags(self):
        from tinymath.model import SUM_SCALE, confidence_features

        torch.manual_seed(1)
        a, b = tok.encode("Q:5,+3\n5+3=8?\nA:8?\n"), tok.encode("Q:2\nA:2?\n")
        idx = torch.tensor([a + b])
        seg = torch.tensor([[0] * len(a) + [1] * len(b)])
        logits = torch.randn(1, idx.shape[1], len(tok.VOCAB)) * 3
        nl, tag = tok.STOI["\n"], tok.STOI["?"]
        f = confidence_features(logits, idx, seg, (nl, tag))
        self.assertEqual(f.shape[-1], 3)
        # A plain loop over each packed sequence: the sum of log p(token) after its first newline.
        for start, ids in ((0, a), (len(a), b)):
            total, seen = 0.0, False
            for t, i in enumerate(ids):
                if seen and i != tag:
                    total += float(f[0, start + t, 0])
                seen = seen or i == nl
                self.assertAlmostEqual(float(f[0, start + t, 2]), SUM_SCALE * total, places=4)
        self.assertLess(float(f[0, len(a) - 1, 2]), 0.0)
        self.assertEqual(float(f[0, len(a), 2]), 0.0)  # the second sequence starts from zero
        self.assertTrue(torch.equal(f[..., :2], confidence_features(logits, idx, seg)))

    def test_grown_prm_starts_as_the_base_and_trains_the_projection_not_ln_conf(self):
        base, grown = self._grown()
        self.assertEqual(grown.cfg.confidence_after, 2)
        x = torch.tensor([tok.encode("Q:5,+3\n5+3=8?\n")])
        with torch.no_grad():
            self.assertLess(float((grown(x) - base(x)).abs().max()), 1e-6)
        self.assertTrue(torch.equal(grown.transformer.ln_conf.weight, base.transformer.ln_f.weight))
        trained = {n for n, p in grown.named_parameters() if p.requires_grad and not n.startswith("transformer.h.")}
        self.assertEqual(trained, {"transformer.ln_f.weight", "transformer.ln_f.bias", "transformer.conf.weight", "transformer.conf.bias"})

    def test_the_input_changes_the_output_and_respects_packing(self):
        for running_sum in (False, True):
            with self.subTest(running_sum=running_sum):
                _, grown = self._grown(running_sum)
                with torch.no_grad():
                    for p in grown.parameters():
                        p.add_(torch.randn_like(p) * 0.3)
                grown.eval()
                a = prm_example("Q:5,-3\n", ["5-3=2", "A:2"], [1.0, 1.0])
                b = prm_example("Q:12,+7\n", ["12+7=19", "A:19"], [1.0, 0.0])
                batch = collate([[a, b]], 64)
                with torch.no_grad():
                    packed = grown(batch.idx, batch.pos, batch.seg)[0]
                    lb = grown(torch.tensor([b.ids[: b.slots]]))[0]
                    self.assertTrue(torch.allclose(packed[a.slots : a.slots + b.slots], lb, atol=1e-5))
                    off = copy_without_confidence(grown)(torch.tensor([b.ids[: b.slots]]))[0]
                    self.assertGreater(float((off - lb).abs().max()), 0.05)
                    if running_sum:  # the sum's own row of the projection moves the output too
                        only = copy.deepcopy(grown)
                        only.transformer.conf.weight[2].zero_()
                        self.assertGreater(float((only(torch.tensor([b.ids[: b.slots]]))[0] - lb).abs().max()), 0.01)

    def test_export_records_the_input_and_golden_logits_use_it(self):
        for running_sum, version in ((False, 3), (True, 4)):
            with self.subTest(running_sum=running_sum):
                _, grown = self._grown(running_sum)
                with torch.no_grad():
                    grown.transformer.conf.weight.add_(torch.randn_like(grown.transformer.conf.weight))
                grown.eval()
                with tempfile.TemporaryDirectory() as d:
                    golden = export(grown, d, "prm")
                    with open(os.path.join(d, "config.json")) as f:
                        cfg = json.load(f)
                    self.assertEqual(cfg["ttc_lab"]["format_version"], version)
                    want = {"after_layer": 2, "floor": -12.0}
                    if running_sum:
                        want["running_sum"] = {"after": "\n", "skip": "?", "scale": 0.1}
                    self.assertEqual(cfg["ttc_lab"]["confidence"], want)
                    r = load(d)
                    self.assertEqual((r.cfg.confidence_after, r.cfg.confidence_sum), (2, running_sum))
                    with torch.no_grad():
                        for g in golden["inputs"]:
                            lg = r(torch.tensor([g["ids"]]), torch.tensor([g["positions"]]))[0]
                            self.assertLess(float((lg - torch.tensor(g["logits"])).abs().max()), 1e-4)


def copy_without_confidence(m):
    """The same model with the confidence projection zeroed (the input contributes nothing)."""
    import copy

    c = copy.deepcopy(m)
    with torch.no_grad():
        c.transformer.conf.weight.zero_()
        c.transformer.conf.bias.zero_()
    return c
