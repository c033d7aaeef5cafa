"""Finite-difference check of model.loss_and_grad in float64 on a tiny config."""
import numpy as np
from model import Config, init_params, loss_and_grad

cfg = Config(vocab=11, d=8, layers=2, heads=4, kv_heads=2, ffn=12)
rng = np.random.default_rng(0)
p = init_params(cfg, rng, np.float64)
for k in p:
    p[k] = p[k] + rng.normal(0, 0.3, p[k].shape)  # move off the init so every path matters
ids = rng.integers(0, cfg.vocab, (2, 5))
tg = rng.integers(0, cfg.vocab, (2, 5))
_, g = loss_and_grad(p, cfg, ids, tg)
worst = 0.0
for k, v in p.items():
    for _ in range(4):
        i = tuple(rng.integers(0, s) for s in v.shape)
        old = v[i]
        v[i] = old + 1e-6
        lp, _ = loss_and_grad(p, cfg, ids, tg)
        v[i] = old - 1e-6
        lm, _ = loss_and_grad(p, cfg, ids, tg)
        v[i] = old
        num = (lp - lm) / 2e-6
        err = abs(num - g[k][i]) / max(1e-8, abs(num) + abs(g[k][i]))
        worst = max(worst, err)
        if err > 1e-5:
            print("MISMATCH", k, i, num, g[k][i])
print("worst relative error", worst)
assert worst < 1e-5
