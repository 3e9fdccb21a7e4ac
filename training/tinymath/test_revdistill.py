"""The distilled revision model (revdistill.py): the targets follow the rule exactly (forbidden only
while the continuation is still attempt 1, and only where the generator was unsure), the loss is
the KL divergence, and a few steps teach the rule to a model that reads the revision prompt."""
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

from tinymath import revdistill as D  # noqa: E402
from tinymath import tokenizer as tok  # noqa: E402
from tinymath.data import prompt_positions, revision_prompt  # noqa: E402
from tinymath.model import TinyConfig, TinyGPT  # noqa: E402

PROBLEM = {"prompt": "Q:28,*3,+26\n", "solution": "28*3=84\n84+26=110\nA:110\n"}
WRONG = "28*3=84\n84+26=100\nA:100\n"  # departs from the solution at index 15 ("0" for "1")


def tiny(seed=0):
    torch.manual_seed(seed)
    return TinyGPT(TinyConfig(vocab_size=len(tok.VOCAB), n_layer=2, n_embd=32, n_head=2, n_positions=1024))


def next_probs(model, prompt: str, prefix: str) -> torch.Tensor:
    """The sampler's distribution for the character after prompt + prefix, one sequence alone."""
    p = tok.encode(prompt)
    ids = p + tok.encode(prefix)
    pp = prompt_positions(p)
    pos = pp + list(range(pp[-1] + 1, pp[-1] + 1 + len(ids) - len(p)))
    with torch.no_grad():
        lg = model(torch.tensor([ids]), torch.tensor([pos]))[0, -1].clone()
    lg[D.BANNED] = float("-inf")
    if not prefix:
        lg[tok.EOS_ID] = float("-inf")
    return F.softmax(lg, -1)


class TargetsTest(unittest.TestCase):
    def test_rule_applies_only_on_attempt_one_and_where_unsure(self):
        teacher = tiny()
        items = [(PROBLEM, WRONG, WRONG), (PROBLEM, WRONG, PROBLEM["solution"])]
        tau = 0.5
        tgt, forbidden = D.targets(teacher, items, tau)
        self.assertEqual(tgt.shape[0], len(WRONG) + len(PROBLEM["solution"]))
        self.assertTrue(torch.allclose(tgt.sum(-1), torch.ones(tgt.shape[0])))
        expect, row = 0, 0
        for _, a, c in items:
            left = False
            for i in range(len(c)):
                plain = next_probs(teacher, PROBLEM["prompt"], c[:i])
                ai = tok.STOI[a[i]] if i < len(a) else None
                rule = not left and ai is not None and float(plain[ai]) < tau
                if rule:
                    expect += 1
                    self.assertEqual(float(tgt[row + i, ai]), 0.0)
                    want = plain.clone()
                    want[ai] = 0
                    want /= want.sum()
                else:
                    want = plain
                self.assertTrue(torch.allclose(tgt[row + i], want, atol=1e-5), (c, i))
                left = left or ai is None or c[i] != a[i]
            row += len(c)
        self.assertEqual(forbidden, expect)
        self.assertGreater(forbidden, 0)  # an untrained model is unsure of everything

    def test_no_rule_when_tau_is_zero_and_loss_is_kl(self):
        teacher = tiny()
        items = [(PROBLEM, WRONG, WRONG)]
        tgt, forbidden = D.targets(teacher, items, 0.0)
        self.assertEqual(forbidden, 0)
        # The student's own distribution after the revision prompt as the target: KL 0.
        student = tiny(1)
        own = torch.stack([next_probs(student, revision_prompt(PROBLEM, [WRONG]), WRONG[:i]) for i in range(len(WRONG))])
        self.assertLess(abs(float(D.kl_loss(student, items, own))), 1e-5)
        self.assertGreater(float(D.kl_loss(student, items, tgt)), 1e-3)


class TrainTest(unittest.TestCase):
    def test_steps_teach_the_student_to_leave_the_slip_out(self):
        # An untrained teacher gives every character about 1/20; with tau above 1 the rule forbids
        # each of attempt 1's characters while the continuation follows it, the slip at 15 included.
        teacher = tiny()
        slip = 15
        pr = revision_prompt(PROBLEM, [WRONG])

        def p_slip(model, prompt):
            return float(next_probs(model, prompt, WRONG[:slip])[tok.STOI["0"]])

        def run(tau):
            student = copy.deepcopy(teacher)
            d = D.Distill(student, teacher, [{"problem": PROBLEM, "attempt": WRONG}], dict(lr=3e-3, attempts=2, tau=tau), 0)
            for _ in range(25):
                d.train_step()
            return p_slip(student, pr)

        before = p_slip(teacher, pr)
        with_rule, without = run(1.01), run(0.0)  # tau above 1 forbids attempt 1's every character
        self.assertLess(with_rule, 0.5 * before)
        self.assertLess(with_rule, 0.5 * without)

    def test_state_resumes_bit_for_bit(self):
        teacher = tiny()
        pairs = [{"problem": PROBLEM, "attempt": WRONG}, {"problem": {"prompt": "Q:5,+1\n", "solution": "5+1=6\nA:6\n"}, "attempt": "5+1=7\nA:7\n"}]
        hp = dict(lr=1e-3, attempts=2, tau=0.5, warmup=2)
        a = D.Distill(copy.deepcopy(teacher), teacher, pairs, hp, 3)
        for _ in range(3):
            a.train_step()
        b = D.Distill(copy.deepcopy(teacher), teacher, pairs, hp, 3)
        b.train_step()
        state = copy.deepcopy(b.state())
        c = D.Distill(copy.deepcopy(teacher), teacher, pairs, hp, 3)
        c.load_state(state)
        for _ in range(2):
            c.train_step()
        for k, v in a.student.state_dict().items():
            self.assertTrue(torch.equal(v, c.student.state_dict()[k]), k)


if __name__ == "__main__":
    unittest.main()
