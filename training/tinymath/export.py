"""Export a TinyMath model the way a Hugging Face user expects to find it.

    <out>/model.safetensors   weights (float16 by default), GPT-2 names, lm_head tied to wte
    <out>/config.json         GPT-2 config plus a "ttc_lab" block (role, prompt format, PRM tokens)
    <out>/tokenizer.json      character tokenizer (tokenizers BPE with no merges)
    <out>/golden.json         float32 logits of the *exported* weights on a few fixed inputs,
                              for the TypeScript runtime's parity tests

The safetensors file is written by hand (8-byte little-endian header length, JSON header,
raw little-endian data) so that nothing beyond PyTorch is needed.
"""
from __future__ import annotations

import json
import os
import struct

import torch

from .data import prompt_positions
from .model import CONFIDENCE_FLOOR, SUM_AFTER, SUM_SCALE, SUM_SKIP, TinyConfig, TinyGPT
from . import tokenizer as tok

# 2: revision prompts use the position layout of data.prompt_positions (docs/model-format.md).
# 3: a PRM may have the generator-confidence input (ttc_lab.confidence, model.py).
# 4: that input may have the running sum (ttc_lab.confidence.running_sum), and a PRM's tag may be
#    the newline (it judges solutions as written). An export says the lowest version that reads
#    it: 4 only for a model with either.
FORMAT_VERSION = 4
DTYPE_NAMES = {torch.float16: "F16", torch.float32: "F32"}


def write_safetensors(path: str, tensors: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
    header: dict = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous().cpu()
        data = t.numpy().tobytes()
        header[name] = {"dtype": DTYPE_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)  # align data to 8 bytes
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path: str) -> dict[str, torch.Tensor]:
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    inv = {v: k for k, v in DTYPE_NAMES.items()}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=inv[info["dtype"]]).reshape(info["shape"])
    return out


def hf_config(cfg: TinyConfig, role: str, dtype: torch.dtype, extra: dict) -> dict:
    return {
        "architectures": ["GPT2LMHeadModel"],
        "model_type": "gpt2",
        "vocab_size": cfg.vocab_size,
        "n_positions": cfg.n_positions,
        "n_ctx": cfg.n_positions,
        "n_embd": cfg.n_embd,
        "n_layer": cfg.n_layer,
        "n_head": cfg.n_head,
        "n_inner": None,
        "activation_function": "gelu_new",
        "layer_norm_epsilon": cfg.layer_norm_epsilon,
        "resid_pdrop": 0.0,
        "embd_pdrop": 0.0,
        "attn_pdrop": 0.0,
        "bos_token_id": tok.EOS_ID,
        "eos_token_id": tok.EOS_ID,
        "pad_token_id": tok.PAD_ID,
        "tie_word_embeddings": True,
        "torch_dtype": "float16" if dtype == torch.float16 else "float32",
        "ttc_lab": {
            "format_version": FORMAT_VERSION if cfg.confidence_sum or cfg.prm_newline else 3,
            "role": role,  # "generator" or "prm"
            "parameters": None,
            # A "\n" tag: the PRM reads solutions as written and judges at each step's newline
            # (format version 4; data.prm_text).
            "prm": {"tag": "\n" if cfg.prm_newline else tok.PRM_TAG, "good": tok.PRM_GOOD, "bad": tok.PRM_BAD}
            if role == "prm"
            else None,
            # docs/model-format.md, "Generator confidence"; null when the model has no such input.
            "confidence": confidence_config(cfg),
            **extra,
        },
    }


# ttc_lab.confidence.running_sum: the running sum model.py computes (its only form).
RUNNING_SUM = {"after": SUM_AFTER, "skip": SUM_SKIP, "scale": SUM_SCALE}


def confidence_config(cfg: TinyConfig) -> dict | None:
    """ttc_lab.confidence (docs/model-format.md, "Generator confidence"); None without the input."""
    if not cfg.confidence_after:
        return None
    c = {"after_layer": cfg.confidence_after, "floor": CONFIDENCE_FLOOR}
    if cfg.confidence_sum:
        c["running_sum"] = dict(RUNNING_SUM)
    return c


GOLDEN_INPUTS = [
    "Q:37,+45,*2\n37+45=82\n82*2=164\nA:164\n",
    # A revision prompt and the start of a new attempt (earlier attempts at positions from 320).
    "37+45=82\n82*2=174\nA:174\n-\nQ:37,+45,*2\n37+45=82\n",
    "Q:5,-3\n5-3=2?\nA:2?\n",
    "Q:908,+602,*2\n908+602=1510\n",
]


def export(model: TinyGPT, out_dir: str, role: str, dtype: torch.dtype = torch.float16, extra: dict | None = None) -> dict:
    """Write the export and return the golden record. Golden logits come from the weights as
    stored (rounded to `dtype`), computed in float32, so parity is a test of the runtime alone."""
    os.makedirs(out_dir, exist_ok=True)
    state = {k: v for k, v in model.state_dict().items()}
    tensors = {k: v.to(dtype) for k, v in state.items()}
    n_params = sum(v.numel() for v in state.values())
    write_safetensors(os.path.join(out_dir, "model.safetensors"), tensors, {"format": "pt", "ttc_lab_role": role})
    cfg_json = hf_config(model.cfg, role, dtype, extra or {})
    cfg_json["ttc_lab"]["parameters"] = n_params
    with open(os.path.join(out_dir, "config.json"), "w") as f:
        json.dump(cfg_json, f, indent=2)
    with open(os.path.join(out_dir, "tokenizer.json"), "w") as f:
        json.dump(tok.tokenizer_json(), f, indent=1)

    # Reload the rounded weights into a float32 copy and record its logits.
    ref = TinyGPT(model.cfg)
    ref.load_state_dict({k: v.to(torch.float32) for k, v in read_safetensors(os.path.join(out_dir, "model.safetensors")).items()})
    ref.eval()
    golden = {"inputs": [], "dtype": "float32", "tolerance": 1e-3}
    with torch.no_grad():
        for text in GOLDEN_INPUTS:
            ids = tok.encode(text)[: model.cfg.n_positions]
            positions = prompt_positions(ids, model.cfg.n_positions)
            logits = ref(torch.tensor([ids]), torch.tensor([positions]))[0]
            golden["inputs"].append(
                {"text": text, "ids": ids, "positions": positions, "logits": [[round(float(x), 6) for x in row] for row in logits]}
            )
    with open(os.path.join(out_dir, "golden.json"), "w") as f:
        json.dump(golden, f)
    return golden


def load(out_dir: str) -> TinyGPT:
    with open(os.path.join(out_dir, "config.json")) as f:
        c = json.load(f)
    conf = (c.get("ttc_lab") or {}).get("confidence")
    cfg = TinyConfig(
        vocab_size=c["vocab_size"], n_positions=c["n_positions"], n_embd=c["n_embd"], n_layer=c["n_layer"],
        n_head=c["n_head"], layer_norm_epsilon=c["layer_norm_epsilon"], confidence_after=conf["after_layer"] if conf else 0,
        confidence_sum=bool(conf and conf.get("running_sum")),
        prm_newline=((c.get("ttc_lab") or {}).get("prm") or {}).get("tag") == "\n",
    )
    if cfg.confidence_sum and conf["running_sum"] != RUNNING_SUM:
        raise ValueError(f"{out_dir}: running_sum {conf['running_sum']} is not the one model.py computes")
    m = TinyGPT(cfg)
    m.load_state_dict({k: v.to(torch.float32) for k, v in read_safetensors(os.path.join(out_dir, "model.safetensors")).items()})
    return m
