"""The policy-gradient experiment's batched log-probabilities against one sequence at a time."""
from __future__ import annotations

import os
import sys
import unittest

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
TRAINING = os.path.dirname(HERE)
for p in (TRAINING, HERE):
    if p not in sys.path:
        sys.path.insert(0, p)

import revision_rl as R  # noqa: E402
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


if __name__ == "__main__":
    unittest.main()
