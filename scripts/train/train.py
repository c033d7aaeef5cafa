"""Train DropLab's bundled byte-level Llama model from scratch on CPU (numpy), deterministically.

  node scripts/train/prepare_data.mjs          # writes .cache/train/{train,heldout}.txt
  python3 scripts/train/train.py              # 1000 steps x 24 x 256 tokens; writes .cache/train/run/ (checkpoint + log)
  python3 scripts/train/export_hf.py           # writes public/models/droplab-byte-12l/

Tokens are bytes (0..255) plus <|endoftext|> = 256 after every document. Held-out bits per byte is
the mean NLL (nats) per predicted token of the held-out windows divided by ln 2 (LLM-Drop windows:
documents + EOS concatenated, cut into non-overlapping windows, position 0 of each is context only).
"""
import argparse
import json
import math
import os
import pickle
import time

import numpy as np

from model import Config, init_params, loss_and_grad, nll

EOS = 256
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def tokens_of(path):
    raw = open(path, "rb").read()
    out = []
    for doc in raw.split(b"\f"):
        out.append(np.frombuffer(doc, dtype=np.uint8).astype(np.int64))
        out.append(np.array([EOS], dtype=np.int64))
    return np.concatenate(out)


def windows(stream, T, n=None):
    w = len(stream) // T
    if n is not None:
        w = min(w, n)
    return stream[: w * T].reshape(w, T)


def heldout_bpb(p, cfg, held, T, n_windows, batch=16):
    W = windows(held, T, n_windows)
    tot, cnt = 0.0, 0
    for i in range(0, len(W), batch):
        v = nll(p, cfg, W[i : i + batch])
        tot += float(v.sum())
        cnt += v.size
    return tot / cnt / math.log(2), cnt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=90.0)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--batch", type=int, default=24)
    ap.add_argument("--seq", type=int, default=256)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--steps", type=int, default=1000, help="schedule length; training stops early at --minutes")
    ap.add_argument("--out", default=os.path.join(ROOT, ".cache/train/run"))
    ap.add_argument("--layers", type=int, default=12)
    ap.add_argument("--d", type=int, default=128)
    ap.add_argument("--ffn", type=int, default=384)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    cfg = Config(d=args.d, layers=args.layers, ffn=args.ffn, heads=4, kv_heads=2)
    rng = np.random.default_rng(args.seed)
    p = init_params(cfg, rng)
    nparams = sum(v.size for v in p.values())
    train = tokens_of(os.path.join(ROOT, ".cache/train/train.txt"))
    held = tokens_of(os.path.join(ROOT, ".cache/train/heldout.txt"))
    print(f"params {nparams}, train tokens {len(train)}, held-out tokens {len(held)}", flush=True)

    mom = {k: np.zeros_like(v) for k, v in p.items()}
    vel = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, wd, warm = 0.9, 0.95, 0.1, 100
    log = open(os.path.join(args.out, "loss.jsonl"), "w")
    t0 = time.time()
    step = 0
    T = args.seq
    while step < args.steps:
        lr = args.lr * min(1.0, (step + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, step / args.steps))))
        starts = rng.integers(0, len(train) - T - 1, args.batch)
        xb = np.stack([train[s : s + T] for s in starts])
        yb = np.stack([train[s + 1 : s + T + 1] for s in starts])
        loss, g = loss_and_grad(p, cfg, xb, yb)
        gn = math.sqrt(sum(float((v * v).sum()) for v in g.values()))
        clip = min(1.0, 1.0 / (gn + 1e-6))
        for k in p:
            gk = g[k] * clip
            mom[k] = b1 * mom[k] + (1 - b1) * gk
            vel[k] = b2 * vel[k] + (1 - b2) * gk * gk
            mh = mom[k] / (1 - b1 ** (step + 1))
            vh = vel[k] / (1 - b2 ** (step + 1))
            decay = wd if p[k].ndim == 2 else 0.0  # no decay on norm gains
            p[k] -= (lr * (mh / (np.sqrt(vh) + 1e-8) + decay * p[k])).astype(p[k].dtype)
        step += 1
        el = time.time() - t0
        rec = {"step": step, "tokens": step * args.batch * T, "seconds": round(el, 1), "lr": lr, "loss_bits": float(loss) / math.log(2), "grad_norm": gn}
        if step % 100 == 0:
            rec["heldout_bpb_64w"], _ = heldout_bpb(p, cfg, held, T, 64)
            with open(os.path.join(args.out, "ckpt.pkl"), "wb") as f:
                pickle.dump({"cfg": cfg.as_dict(), "params": p, "step": step, "args": vars(args), "seconds": el}, f)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        if step % 20 == 0:
            print(json.dumps(rec), flush=True)
        if el > args.minutes * 60:
            break
    el = time.time() - t0
    bpb, cnt = heldout_bpb(p, cfg, held, T, None)
    final = {"steps": step, "tokens": step * args.batch * T, "seconds": round(el, 1), "heldout_bpb": bpb, "heldout_tokens_predicted": cnt, "params": int(nparams), "seq": T, "batch": args.batch, "seed": args.seed}
    with open(os.path.join(args.out, "ckpt.pkl"), "wb") as f:
        pickle.dump({"cfg": cfg.as_dict(), "params": p, "step": step, "args": vars(args), "seconds": el, "final": final}, f)
    json.dump(final, open(os.path.join(args.out, "final.json"), "w"), indent=1)
    print("FINAL", json.dumps(final), flush=True)


if __name__ == "__main__":
    main()
