"""A Llama-architecture causal LM in numpy with a hand-written backward pass.

DropLab's bundled model is trained with this (scripts/train/train.py). It is an implementation
independent of the TypeScript engine: the engine's per-token NLL on the bundled model must agree
with `nll()` below, which is the evidence that the rope, GQA and norm conventions match.

Conventions (Hugging Face LlamaForCausalLM):
  x_0 = E[ids]                                          [B,T,d]
  m_l = x_l + Wo . attn(rope(Wq n), rope(Wk n), Wv n),  n = rmsnorm(x_l) * g1
  x_{l+1} = m_l + Wd . (silu(Wg n2) * (Wu n2)),         n2 = rmsnorm(m_l) * g2
  logits = rmsnorm(x_L) * gf . E^T                      (tied embeddings)
  rope: q*cos + rotate_half(q)*sin, rotate_half([a, b]) = [-b, a], inv_freq_i = theta^(-2i/hd)
  GQA: query head h reads kv head h // (H / Hkv)
Linear weights are stored [out, in] like nn.Linear.
"""
import numpy as np


class Config:
    def __init__(self, vocab=257, d=128, layers=12, heads=4, kv_heads=2, ffn=384, theta=10000.0, eps=1e-5, max_pos=512):
        self.vocab, self.d, self.layers, self.heads, self.kv_heads = vocab, d, layers, heads, kv_heads
        self.hd = d // heads
        self.ffn, self.theta, self.eps, self.max_pos = ffn, theta, eps, max_pos

    def as_dict(self):
        return dict(self.__dict__)


def init_params(cfg, rng, dtype=np.float32):
    """GPT-2 style init: N(0, 0.02), output projections scaled by 1/sqrt(2L)."""
    std, d, hd = 0.02, cfg.d, cfg.hd
    out_std = std / np.sqrt(2 * cfg.layers)
    p = {"embed": rng.normal(0, std, (cfg.vocab, d))}
    for l in range(cfg.layers):
        p[f"{l}.g1"] = np.ones(d)
        p[f"{l}.wq"] = rng.normal(0, std, (cfg.heads * hd, d))
        p[f"{l}.wk"] = rng.normal(0, std, (cfg.kv_heads * hd, d))
        p[f"{l}.wv"] = rng.normal(0, std, (cfg.kv_heads * hd, d))
        p[f"{l}.wo"] = rng.normal(0, out_std, (d, cfg.heads * hd))
        p[f"{l}.g2"] = np.ones(d)
        p[f"{l}.wg"] = rng.normal(0, std, (cfg.ffn, d))
        p[f"{l}.wu"] = rng.normal(0, std, (cfg.ffn, d))
        p[f"{l}.wd"] = rng.normal(0, out_std, (d, cfg.ffn))
    p["gf"] = np.ones(d)
    return {k: v.astype(dtype) for k, v in p.items()}


def rope_tables(cfg, T, dtype):
    inv = cfg.theta ** (-np.arange(0, cfg.hd, 2, dtype=np.float64) / cfg.hd)  # [hd/2]
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]  # [T, hd/2]
    ang = np.concatenate([ang, ang], axis=1)  # [T, hd]
    return np.cos(ang).astype(dtype), np.sin(ang).astype(dtype)


def rot(x):  # rotate_half on the last axis
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def rot_T(g):  # adjoint of rot: rot(x).g == x.rot_T(g)
    h = g.shape[-1] // 2
    return np.concatenate([g[..., h:], -g[..., :h]], axis=-1)


def rmsnorm(x, g, eps):
    r = 1.0 / np.sqrt((x * x).mean(-1, keepdims=True) + eps)
    return x * r * g, r


def rmsnorm_bwd(dy, x, r, g):
    """y = x*r*g with r = (mean(x^2)+eps)^-1/2. Returns dx, dg."""
    d = x.shape[-1]
    xh = x * r
    dg = (dy * xh).reshape(-1, d).sum(0)
    dxh = dy * g
    dx = r * (dxh - xh * (dxh * xh).mean(-1, keepdims=True))
    return dx, dg


def forward(p, cfg, ids, need_cache=True):
    """ids [B,T] -> logits [B,T,V] and a cache for backward."""
    B, T = ids.shape
    H, K, hd, d = cfg.heads, cfg.kv_heads, cfg.hd, cfg.d
    G = H // K
    dt = p["embed"].dtype
    cos, sin = rope_tables(cfg, T, dt)
    mask = np.triu(np.full((T, T), -np.inf, dtype=dt), 1)
    scale = dt.type(1.0 / np.sqrt(hd))
    x = p["embed"][ids]  # [B,T,d]
    cache = []
    for l in range(cfg.layers):
        n1, r1 = rmsnorm(x, p[f"{l}.g1"], cfg.eps)
        n1f = n1.reshape(B * T, d)
        q = (n1f @ p[f"{l}.wq"].T).reshape(B, T, H, hd).transpose(0, 2, 1, 3)  # [B,H,T,hd]
        k = (n1f @ p[f"{l}.wk"].T).reshape(B, T, K, hd).transpose(0, 2, 1, 3)  # [B,K,T,hd]
        v = (n1f @ p[f"{l}.wv"].T).reshape(B, T, K, hd).transpose(0, 2, 1, 3)
        qr = q * cos + rot(q) * sin
        kr = k * cos + rot(k) * sin
        qg = qr.reshape(B, K, G * T, hd)  # query heads grouped by their kv head
        s = (qg @ kr.transpose(0, 1, 3, 2)).reshape(B, K, G, T, T) * scale + mask
        s -= s.max(-1, keepdims=True)
        a = np.exp(s, out=s)
        a /= a.sum(-1, keepdims=True)  # [B,K,G,T,T]
        y = (a.reshape(B, K, G * T, T) @ v).reshape(B, H, T, hd)
        yc = y.transpose(0, 2, 1, 3).reshape(B * T, H * hd)
        m = x + (yc @ p[f"{l}.wo"].T).reshape(B, T, d)
        n2, r2 = rmsnorm(m, p[f"{l}.g2"], cfg.eps)
        n2f = n2.reshape(B * T, d)
        gt = n2f @ p[f"{l}.wg"].T  # [BT, I]
        u = n2f @ p[f"{l}.wu"].T
        sg = 1.0 / (1.0 + np.exp(-gt))
        act = gt * sg * u
        xn = m + (act @ p[f"{l}.wd"].T).reshape(B, T, d)
        if need_cache:
            cache.append((x, n1, r1, q, k, v, qr, kr, a, yc, m, n2, r2, gt, u, sg, act))
        x = xn
    hf, rf = rmsnorm(x, p["gf"], cfg.eps)
    logits = hf @ p["embed"].T
    return logits, (ids, cos, sin, cache, x, hf, rf)


def loss_and_grad(p, cfg, ids, targets):
    """Mean cross-entropy over all positions and its gradient."""
    logits, (ids, cos, sin, cache, xL, hf, rf) = forward(p, cfg, ids)
    B, T, V = logits.shape
    H, K, hd, d = cfg.heads, cfg.kv_heads, cfg.hd, cfg.d
    G = H // K
    z = logits - logits.max(-1, keepdims=True)
    lse = np.log(np.exp(z).sum(-1, keepdims=True))
    logp = z - lse
    N = B * T
    loss = -np.take_along_axis(logp, targets[..., None], -1).mean()
    dlogits = np.exp(logp)
    np.put_along_axis(dlogits, targets[..., None], np.take_along_axis(dlogits, targets[..., None], -1) - 1, -1)
    dlogits /= N
    g = {k: np.zeros_like(v) for k, v in p.items()}
    scale = logits.dtype.type(1.0 / np.sqrt(hd))
    g["embed"] += dlogits.reshape(N, V).T @ hf.reshape(N, d)
    dhf = dlogits @ p["embed"]
    dx, g["gf"] = rmsnorm_bwd(dhf, xL, rf, p["gf"])
    for l in reversed(range(cfg.layers)):
        x, n1, r1, q, k, v, qr, kr, a, yc, m, n2, r2, gt, u, sg, act = cache[l]
        # MLP: xn = m + act Wd^T
        dxf = dx.reshape(N, d)
        g[f"{l}.wd"] += dxf.T @ act
        dact = dxf @ p[f"{l}.wd"]  # [N, I]
        dgt = dact * u * (sg * (1 + gt * (1 - sg)))
        du = dact * gt * sg
        n2f = n2.reshape(N, d)
        g[f"{l}.wg"] += dgt.T @ n2f
        g[f"{l}.wu"] += du.T @ n2f
        dn2 = (dgt @ p[f"{l}.wg"] + du @ p[f"{l}.wu"]).reshape(B, T, d)
        dm_norm, g[f"{l}.g2"] = rmsnorm_bwd(dn2, m, r2, p[f"{l}.g2"])
        dm = dx + dm_norm
        # attention: m = x + yc Wo^T
        dmf = dm.reshape(N, d)
        g[f"{l}.wo"] += dmf.T @ yc
        dyc = dmf @ p[f"{l}.wo"]
        dy = np.ascontiguousarray(dyc.reshape(B, T, H, hd).transpose(0, 2, 1, 3)).reshape(B, K, G * T, hd)
        a2 = a.reshape(B, K, G * T, T)
        da = dy @ v.transpose(0, 1, 3, 2)  # [B,K,G*T,T]
        dv = a2.transpose(0, 1, 3, 2) @ dy  # [B,K,T,hd]
        da -= (da * a2).sum(-1, keepdims=True)
        da *= a2
        ds = da
        ds *= scale
        qg = qr.reshape(B, K, G * T, hd)
        dqr = (ds @ kr).reshape(B, H, T, hd)
        dkr = ds.transpose(0, 1, 3, 2) @ qg
        dq = dqr * cos + rot_T(dqr * sin)
        dk = dkr * cos + rot_T(dkr * sin)
        dqf = dq.transpose(0, 2, 1, 3).reshape(N, H * hd)
        dkf = dk.transpose(0, 2, 1, 3).reshape(N, K * hd)
        dvf = dv.transpose(0, 2, 1, 3).reshape(N, K * hd)
        n1f = n1.reshape(N, d)
        g[f"{l}.wq"] += dqf.T @ n1f
        g[f"{l}.wk"] += dkf.T @ n1f
        g[f"{l}.wv"] += dvf.T @ n1f
        dn1 = (dqf @ p[f"{l}.wq"] + dkf @ p[f"{l}.wk"] + dvf @ p[f"{l}.wv"]).reshape(B, T, d)
        dx_norm, g[f"{l}.g1"] = rmsnorm_bwd(dn1, x, r1, p[f"{l}.g1"])
        dx = dm + dx_norm
    np.add.at(g["embed"], ids.reshape(-1), dx.reshape(N, d))
    return loss, g


def nll(p, cfg, ids):
    """Per-token NLL (nats) of ids[:,1:] given the prefix, in float64: [B, T-1]."""
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    logits, _ = forward(p64, cfg, ids, need_cache=False)
    z = logits[:, :-1] - logits[:, :-1].max(-1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(-1, keepdims=True))
    return -np.take_along_axis(logp, ids[:, 1:, None], -1)[..., 0]
