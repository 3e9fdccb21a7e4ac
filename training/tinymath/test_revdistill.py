"""The distilled revision model (revdistill.py): the targets follow the rule exactly (forbidden only
while the continuation is still attempt 1, and only where the generator was unsure), the loss is
the KL divergence, and a few steps teach the rule to a model that reads the revision prompt; the
policy gradient on top of it (DistillPG) is the distillation when no revision differs in reward and
moves probability from a repeated slip to the right revision when they do."""
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
from tinymath.data import grade, lm_example, prompt_positions, revision_prompt  # noqa: E402
from tinymath.model import TinyConfig, TinyGPT  # noqa: E402
from tinymath.sample import generate_batched  # noqa: E402

PROBLEM = {
    "prompt": "Q:28,*3,+26\n", "solution": "28*3=84\n84+26=110\nA:110\n",
    "answer": "110", "start": 28, "ops": [{"op": "*", "operand": 3}, {"op": "+", "operand": 26}],
}
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


class DistillPGTest(unittest.TestCase):
    """revdistill.DistillPG: the policy gradient and the distillation anchor in one update."""

    PAIRS = [
        {"problem": {**PROBLEM, "level": 1}, "attempt": WRONG},
        {"problem": {"prompt": "Q:5,+1\n", "solution": "5+1=6\nA:6\n", "answer": "6", "start": 5,
                     "ops": [{"op": "+", "operand": 1}], "level": 2}, "attempt": "5+1=7\nA:7\n"},
    ]
    HP = dict(lr=1e-2, warmup=1, attempts=2, tau=0.5, copy_tau=0.5, prompts=2, group=2, right_frac=0.0, pg_levels=[1, 2], anchor=1.0)

    def setUp(self):
        self.orig = D.revrl.sample

    def tearDown(self):
        D.revrl.sample = self.orig

    def stub(self, right: bool, wrong: bool):
        """Each group of two revisions: the canonical solution and/or attempt 1 again."""

        def sample(model, prompts, seed, max_new=260):
            out = []
            for p in prompts[::2]:
                q = next(x for x in self.PAIRS if p.endswith(x["problem"]["prompt"]))
                sol, att = q["problem"]["solution"], q["attempt"]
                out += [sol if right else att, att if wrong else sol]
            return out

        D.revrl.sample = sample

    def test_without_a_reward_signal_it_is_the_distillation(self):
        # Every revision right: no advantages, so the update is the anchor's alone, and with weight
        # 1 it is exactly Distill's (its attempts drawn by the same RNG).
        self.stub(right=True, wrong=False)
        teacher = tiny()
        a = D.DistillPG(copy.deepcopy(teacher), teacher, self.PAIRS, self.HP, 3, 0)
        b = D.Distill(copy.deepcopy(teacher), teacher, self.PAIRS, self.HP, 3)
        for _ in range(2):
            a.train_step()
            b.train_step()
        self.assertEqual(a.rewards, [1.0, 1.0])
        for k, v in a.student.state_dict().items():
            self.assertTrue(torch.equal(v, b.student.state_dict()[k]), k)

    def test_the_policy_gradient_moves_probability_off_the_repeated_slip(self):
        self.stub(right=True, wrong=True)
        teacher = tiny()
        pr = revision_prompt(PROBLEM, [WRONG])

        def margin(m):  # log p(canonical) - log p(attempt 1 again) after the revision prompt
            with torch.no_grad():
                lp, _ = D.revrl.completion_logprobs(m, [pr, pr], [PROBLEM["solution"], WRONG])
            return float(lp[0] - lp[1])

        margins = {}
        for anchor in (0.0, 1.0):
            d = D.DistillPG(copy.deepcopy(teacher), teacher, self.PAIRS[:1], {**self.HP, "anchor": anchor}, 3, 0)
            for _ in range(3):
                d.train_step()
            margins[anchor] = margin(d.student)
        before = margin(teacher)
        self.assertGreater(margins[0.0], before + 0.5)
        self.assertGreater(margins[1.0], before + 0.5)

    def test_state_resumes_bit_for_bit(self):
        self.stub(right=True, wrong=True)
        teacher = tiny()
        hp = {**self.HP, "right_frac": 0.5}
        a = D.DistillPG(copy.deepcopy(teacher), teacher, self.PAIRS, hp, 3, 0)
        for _ in range(3):
            a.train_step()
        b = D.DistillPG(copy.deepcopy(teacher), teacher, self.PAIRS, hp, 3, 0)
        b.train_step()
        state = copy.deepcopy(b.state())
        c = D.DistillPG(tiny(9), teacher, self.PAIRS, hp, 3, 0)
        c.load_state(state)
        for _ in range(2):
            c.train_step()
        self.assertEqual((c.step, c.rewards), (3, a.rewards))
        for k, v in a.student.state_dict().items():
            self.assertTrue(torch.equal(v, c.student.state_dict()[k]), k)


def half_taught(seed=0, steps=60):
    """A tiny model taught PROBLEM's solution until it mostly follows it, so that samples leave the
    solution at every position, not only at the first."""
    m = tiny(seed)
    ex = lm_example(PROBLEM["prompt"], PROBLEM["solution"])
    ids, pos = torch.tensor([ex.ids]), torch.tensor([ex.positions])
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    for _ in range(steps):
        logits = m(ids[:, :-1], pos[:, :-1])[0, ex.loss_from - 1 :]
        loss = F.cross_entropy(logits, ids[0, ex.loss_from :])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return m.eval()


class SlipTest(unittest.TestCase):
    """revdistill.slip_attempts draws a wrong attempt without rejection, from the distribution of a
    sample's first departure from the canonical solution."""

    def test_departure_weights_are_the_chance_of_leaving_there(self):
        m = half_taught()
        sol = PROBLEM["solution"]
        ((s, w),) = D.departures(m, [PROBLEM])
        self.assertEqual((s, w.shape[0]), (sol, len(sol)))
        reach = 1.0
        for i in range(len(sol)):
            p = next_probs(m, PROBLEM["prompt"], sol[:i])
            expect = reach * p
            expect[tok.STOI[sol[i]]] = 0.0
            expect[tok.EOS_ID] = 0.0
            self.assertTrue(torch.allclose(w[i], expect, atol=1e-6), i)
            reach *= float(p[tok.STOI[sol[i]]])
        # The model follows the solution mostly, and leaves it at several positions.
        self.assertGreater(reach, 0.05)
        self.assertGreater(int((w.sum(-1) > 0.01).sum()), 3)

    def test_departures_match_where_samples_leave(self):
        m = half_taught()
        sol = PROBLEM["solution"]
        ((_, w),) = D.departures(m, [PROBLEM])
        n = 4000
        outs = generate_batched(m, [tok.encode(PROBLEM["prompt"])] * n, 40, 1.0, torch.Generator().manual_seed(1), no_empty=True)
        counts = torch.zeros_like(w)
        for o in outs:
            text = tok.decode(o)
            i = next((k for k in range(min(len(text), len(sol))) if text[k] != sol[k]), None)
            if i is not None:  # left the solution at a character (not by stopping early)
                counts[i, tok.STOI[text[i]]] += 1
        self.assertGreater(float(counts.sum()), 3000)

        def tv(a, b):
            return 0.5 * float((a / a.sum() - b / b.sum()).abs().sum())

        # Where they leave (24 positions), and with which character at the three commonest places
        # (a sample's noise spreads thin over all characters of all positions).
        self.assertLess(tv(counts.sum(1), w.sum(1)), 0.04)
        for i in w.sum(1).argsort(descending=True)[:3].tolist():
            self.assertLess(tv(counts[i], w[i]), 0.15, i)  # ~450 samples over ~20 characters: noise ~0.09
        # Read one position off (an off-by-one in reading the logits), they differ clearly.
        self.assertGreater(tv(counts.sum(1), torch.roll(w.sum(1), 1)), 0.15)

    def test_slip_attempts_are_wrong_and_start_on_the_solution(self):
        m = half_taught()
        pairs = D.slip_attempts(m, [PROBLEM] * 200, 40, torch.Generator().manual_seed(2))
        self.assertGreater(len(pairs), 100)  # most departures change the answer
        sol = PROBLEM["solution"]
        for q in pairs:
            a = q["attempt"]
            self.assertFalse(grade(PROBLEM, a)[0])
            self.assertNotEqual(a, sol)
            i = next(k for k in range(len(a)) if k >= len(sol) or a[k] != sol[k])
            self.assertGreater(float(w_at(m, i, a)), 0.0)


def w_at(m, i, attempt):
    """The departure weight of `attempt`'s first departure (at index i)."""
    ((_, w),) = D.departures(m, [PROBLEM])
    return w[i, tok.STOI[attempt[i]]] if i < w.shape[0] else torch.tensor(0.0)


if __name__ == "__main__":
    unittest.main()
