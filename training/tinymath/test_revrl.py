"""The revision model's policy gradient (revrl.py): batched log-probabilities against one sequence
at a time, a step's direction, and a resumed run against an uninterrupted one."""
from __future__ import annotations

import copy
import os
import sys
import unittest

import torch
import torch.nn.functional as F

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if TRAINING not in sys.path:
    sys.path.insert(0, TRAINING)

from tinymath import revrl as R  # noqa: E402
from tinymath import tokenizer as tok  # noqa: E402
from tinymath.data import prompt_positions, revision_prompt  # noqa: E402
from tinymath.model import TinyConfig, TinyGPT  # noqa: E402


def one_at_a_time(model, prompt: str, completion: str, eos: bool) -> float:
    p = tok.encode(prompt)
    ids = p + tok.encode(completion) + ([tok.EOS_ID] if eos else [])
    pp = prompt_positions(p, model.cfg.n_positions)
    pos = pp + list(range(pp[-1] + 1, pp[-1] + 1 + len(ids) - len(p)))
    logits = model(torch.tensor([ids]), torch.tensor([pos]))[0]
    total = 0.0
    for t in range(len(p), len(ids)):
        lg = logits[t - 1].clone()
        lg[R.BANNED] = float("-inf")
        if t == len(p):
            lg[tok.EOS_ID] = float("-inf")
        total += float(F.log_softmax(lg, -1)[ids[t]])
    return total


class CompletionLogprobsTest(unittest.TestCase):
    def test_matches_unbatched_and_padding_does_not_leak(self):
        torch.manual_seed(0)
        model = TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), n_layer=2, n_embd=32, n_head=2, n_positions=1024))
        problem = {"prompt": "Q:28,*3,+26\n"}
        prompts = [problem["prompt"], revision_prompt(problem, ["28*3=84\n84+26=100\nA:100\n"]), "Q:5,+1\n"]
        # A finished answer (no <eos> after it), an unfinished one (ends in <eos>), and a short one
        # padded by the longer rows of the batch.
        completions = ["28*3=84\n84+26=110\nA:110\n", "28*3=84\n84+2", "5+1=6\nA:6\n"]
        lp, n = R.completion_logprobs(model, prompts, completions)
        for i, (p, c) in enumerate(zip(prompts, completions)):
            eos = not c.endswith("A:110\n") and not c.endswith("A:6\n")
            self.assertAlmostEqual(float(lp[i]), one_at_a_time(model, p, c, eos), places=4)
            self.assertEqual(int(n[i]), len(c) + (1 if eos else 0))

    def test_gradient_flows(self):
        model = TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), n_layer=1, n_embd=16, n_head=2, n_positions=1024))
        lp, _ = R.completion_logprobs(model, ["Q:5,+1\n"], ["5+1=6\nA:6\n"])
        lp.sum().backward()
        self.assertGreater(float(model.transformer.wte.weight.grad.abs().sum()), 0.0)


PROBLEM = {"prompt": "Q:28,*3,+26\n", "solution": "28*3=84\n84+26=110\nA:110\n", "start": 28, "ops": [{"op": "*", "operand": 3}, {"op": "+", "operand": 26}], "answer": "110", "level": 1}
WRONG = "28*3=84\n84+26=100\nA:100\n"


def small_model(seed=0):
    torch.manual_seed(seed)
    return TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), n_layer=1, n_embd=16, n_head=2, n_positions=1024))


class PolicyGradientTest(unittest.TestCase):
    HP = dict(prompts=2, group=2, lr=1e-2, right_frac=0.0, max_new=40)

    def setUp(self):
        # The sampler is replaced: each group gets one right and one wrong revision, so every
        # completion carries an advantage of +-0.5.
        self.orig = R.sample
        R.sample = lambda model, prompts, seed, max_new=260: [PROBLEM["solution"], WRONG] * (len(prompts) // 2)

    def tearDown(self):
        R.sample = self.orig

    def logprob(self, model, text):
        with torch.no_grad():
            return float(R.completion_logprobs(model, [revision_prompt(PROBLEM, [WRONG])], [text])[0][0])

    def test_a_step_moves_probability_from_the_wrong_revision_to_the_right_one(self):
        model = small_model()

        def margin():  # the shared prefix cancels; what is left is where they differ
            return self.logprob(model, PROBLEM["solution"]) - self.logprob(model, WRONG)

        before = margin()
        pg = R.PolicyGradient(model, [{"problem": PROBLEM, "attempt": WRONG, "k": 2}], self.HP, seed=1)
        self.assertEqual(pg.train_step(), 0.5)
        self.assertGreater(margin(), before + 0.1)

    def test_a_resumed_run_matches_an_uninterrupted_one(self):
        pairs = [{"problem": PROBLEM, "attempt": WRONG, "k": 2}, {"problem": {**PROBLEM, "level": 2}, "attempt": WRONG, "k": 2}]
        straight = R.PolicyGradient(small_model(), pairs, {**self.HP, "right_frac": 0.5}, seed=3)
        for _ in range(3):
            straight.train_step()
        first = R.PolicyGradient(small_model(), pairs, {**self.HP, "right_frac": 0.5}, seed=3)
        first.train_step()
        state = copy.deepcopy(first.state())
        resumed = R.PolicyGradient(small_model(seed=9), pairs, {**self.HP, "right_frac": 0.5}, seed=3)
        resumed.load_state(state)
        resumed.train_step()
        resumed.train_step()
        self.assertEqual(resumed.step, 3)
        for k, v in straight.model.state_dict().items():
            self.assertTrue(torch.equal(v, resumed.model.state_dict()[k]), k)

    def test_rounded_is_what_the_export_ships(self):
        model = R.rounded(small_model())
        for v in model.state_dict().values():
            self.assertTrue(torch.equal(v, v.half().float()))


if __name__ == "__main__":
    unittest.main()
