"""Character tokenizer shared by the generator and the PRM.

Written out as a Hugging Face `tokenizers` file: a BPE model with no merges is exactly a character
tokenizer, so `PreTrainedTokenizerFast(tokenizer_file=...)` reads it as is.
"""
from __future__ import annotations

PAD = "<pad>"
EOS = "<eos>"
CHARS = list("\n0123456789+-*=,:QA?")
VOCAB = [PAD, EOS] + CHARS
STOI = {s: i for i, s in enumerate(VOCAB)}
PAD_ID = STOI[PAD]
EOS_ID = STOI[EOS]
# PRM judgement: the PRM reads "?" after each step and predicts "+" (on track) or "-" (wrong).
PRM_TAG = "?"
PRM_GOOD = "+"
PRM_BAD = "-"


def encode(text: str) -> list[int]:
    try:
        return [STOI[c] for c in text]
    except KeyError as e:  # pragma: no cover - the task only writes these characters
        raise ValueError(f"character {e.args[0]!r} is not in the TinyMath vocabulary") from None


def decode(ids) -> str:
    return "".join(VOCAB[i] for i in ids if i not in (PAD_ID, EOS_ID))


def tokenizer_json() -> dict:
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": PAD_ID, "content": PAD, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
            {"id": EOS_ID, "content": EOS, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True},
        ],
        "normalizer": None,
        "pre_tokenizer": None,
        "post_processor": None,
        "decoder": None,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "vocab": {s: i for i, s in enumerate(VOCAB)},
            "merges": [],
        },
    }
