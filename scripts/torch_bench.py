#!/usr/bin/python3
"""PyTorch reference for `npm run bench`: the same models, adapters and training step as the
SymLoRA Lab engine (src/core/models, src/core/adapters, src/core/train/loop.ts), timed the same way.

Reads the workloads as JSON on stdin ({"workloads": [...], "kinds": [...], "rank": r, "quick": bool,
"threads": n}) and prints one JSON object per line: step rows and matmul rows.
"""
import json
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Adapted(nn.Module):
    """y = x·Wᵀ + b (+ LoRA s·(x·Aᵀ)·Bᵀ or SymLoRA s·((x·Q)⊙λ)·Qᵀ), as in src/core/models/linear.ts."""

    def __init__(self, inp, out, std, kind=None, rank=8, scale=1.0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out, inp) * std)
        self.bias = nn.Parameter(torch.zeros(out))
        self.kind = kind
        self.scale = scale
        if kind == "lora":
            bound = 1 / math.sqrt(inp)
            self.A = nn.Parameter(torch.empty(rank, inp).uniform_(-bound, bound))
            self.B = nn.Parameter(torch.zeros(out, rank))
        elif kind == "symlora":
            q, _ = torch.linalg.qr(torch.randn(inp, rank))
            self.Q = nn.Parameter(q.contiguous())
            self.lam = nn.Parameter(torch.zeros(rank))

    def forward(self, x):
        y = F.linear(x, self.weight, self.bias)
        if self.kind == "lora":
            y = y + (x @ self.A.t() @ self.B.t()) * self.scale
        elif self.kind == "symlora":
            y = y + ((x @ self.Q) * (self.lam * self.scale)) @ self.Q.t()
        return y


def gelu(x):
    return F.gelu(x, approximate="tanh")


class Mlp(nn.Module):
    def __init__(self, cfg, kind, rank, targets_hidden):
        super().__init__()
        dims = [cfg["inputDim"]] + cfg["hidden"]
        adapter = kind if kind in ("lora", "symlora") and targets_hidden else None
        self.hidden = nn.ModuleList(
            Adapted(dims[i], dims[i + 1], math.sqrt(2 / dims[i]), adapter, rank) for i in range(len(cfg["hidden"]))
        )
        self.head = Adapted(dims[-1], cfg["classes"], math.sqrt(1 / dims[-1]))

    def forward(self, x):
        for layer in self.hidden:
            x = F.relu(layer(x))
        return self.head(x)


class Encoder(nn.Module):
    """Pre-LN encoder as src/core/models/transformer.ts: adapters on q/k/v/o."""

    def __init__(self, cfg, kind, rank):
        super().__init__()
        d, ffn = cfg["dModel"], cfg["ffnDim"]
        self.cfg = cfg
        adapter = kind if kind in ("lora", "symlora") else None
        lin = lambda i, o, a=None: Adapted(i, o, math.sqrt(1 / i), a, rank)
        self.embed = lin(cfg["inputDim"], d)
        self.pos = nn.Parameter(torch.randn(cfg["seqLen"], d) * 0.02)
        self.blocks = nn.ModuleList()
        for _ in range(cfg["layers"]):
            b = nn.Module()
            b.ln1, b.ln2 = nn.LayerNorm(d, eps=1e-5), nn.LayerNorm(d, eps=1e-5)
            b.q, b.k, b.v, b.o = (lin(d, d, adapter) for _ in range(4))
            b.up, b.down = lin(d, ffn), lin(ffn, d)
            self.blocks.append(b)
        self.final_ln = nn.LayerNorm(d, eps=1e-5)
        self.head = lin(d, cfg["classes"])

    def forward(self, x):
        bsz, t, h = x.shape[0], self.cfg["seqLen"], self.cfg["heads"]
        d = self.cfg["dModel"]
        dk = d // h
        x = self.embed(x.reshape(bsz * t, -1)) + self.pos.repeat(bsz, 1)
        split = lambda z: z.reshape(bsz, t, h, dk).transpose(1, 2)
        for b in self.blocks:
            a = b.ln1(x)
            q, k, v = split(b.q(a)), split(b.k(a)), split(b.v(a))
            scores = (q @ k.transpose(-1, -2)) / math.sqrt(dk)
            ctx = (scores.softmax(-1) @ v).transpose(1, 2).reshape(bsz * t, d)
            x = x + b.o(ctx)
            x = x + b.down(gelu(b.up(b.ln2(x))))
        pooled = self.final_ln(x).reshape(bsz, t, d).mean(1)
        return self.head(pooled)


def build(workload, kind, rank):
    cfg = workload["model"]
    model = Mlp(cfg, kind, rank, True) if cfg["arch"] == "mlp" else Encoder(cfg, kind, rank)
    for name, p in model.named_parameters():
        if kind == "full":
            p.requires_grad_(True)
        else:
            p.requires_grad_(name.endswith((".A", ".B", ".Q", ".lam")))
    return model


def plan_for(workload, quick):
    if workload["name"] == "mlp":
        return dict(warmup=5, blocks=5 if quick else 9, steps=5)
    return dict(warmup=1, blocks=3, steps=1) if quick else dict(warmup=2, blocks=7, steps=2)


def quantile(xs, q):
    xs = sorted(xs)
    pos = (len(xs) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def bench_step(workload, kind, rank, quick):
    torch.manual_seed(1)
    model = build(workload, kind, rank)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.Adam(params, lr=1e-3)
    cfg = workload["model"]
    shape = [workload["batch"], cfg["seqLen"], cfg["inputDim"]] if cfg["arch"] == "transformer" else [workload["batch"], cfg["inputDim"]]
    plan = plan_for(workload, quick)
    total = plan["warmup"] + plan["blocks"] * plan["steps"]
    xs = [torch.randn(*shape) for _ in range(total)]
    ys = [torch.randint(0, cfg["classes"], (workload["batch"],)) for _ in range(total)]

    def step(i):
        opt.zero_grad(set_to_none=True)
        logits = model(xs[i])
        loss = F.cross_entropy(logits, ys[i])
        loss.backward()
        opt.step()
        # Read back loss and accuracy, as the engine's loop does every step.
        return loss.item(), int((logits.argmax(1) == ys[i]).sum().item())

    for i in range(plan["warmup"]):
        step(i)
    wall, cpu = [], []
    i = plan["warmup"]
    for _ in range(plan["blocks"]):
        w0, c0 = time.perf_counter(), time.process_time()
        for _ in range(plan["steps"]):
            step(i)
            i += 1
        wall.append((time.perf_counter() - w0) * 1000 / plan["steps"])
        cpu.append((time.process_time() - c0) * 1000 / plan["steps"])
    return {
        "name": f"step {workload['name']} {kind}",
        "group": "step",
        "workload": workload["name"],
        "kind": kind,
        "backend": "pytorch",
        "medianMs": quantile(wall, 0.5),
        "p10Ms": quantile(wall, 0.1),
        "p90Ms": quantile(wall, 0.9),
        "samples": len(wall),
        "cpuMedianMs": quantile(cpu, 0.5),
        "trainable": sum(p.numel() for p in params),
    }


def bench_matmul(n, label, fn, reps):
    for _ in range(3):
        fn()
    times, cpu = [], []
    for _ in range(reps):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    med, cmed = quantile(times, 0.5), quantile(cpu, 0.5)
    return {"name": f"matmul {n} {label}", "group": "matmul", "backend": label, "variant": label, "medianMs": med * 1000,
            "p10Ms": quantile(times, 0.1) * 1000, "p90Ms": quantile(times, 0.9) * 1000, "samples": reps, "cpuMedianMs": cmed * 1000,
            "gflops": 2 * n**3 / med / 1e9, "cpuGflops": 2 * n**3 / max(cmed, 1e-9) / 1e9}


def main():
    req = json.load(sys.stdin)
    torch.set_num_threads(req.get("threads", 1))
    print(json.dumps({"group": "info", "torch": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    n = 512
    a, b = torch.randn(n, n), torch.randn(n, n)
    print(json.dumps(bench_matmul(n, "pytorch", lambda: a @ b, 20)), flush=True)
    try:
        import numpy as np

        na, nb = a.numpy(), b.numpy()
        row = bench_matmul(n, "openblas", lambda: na @ nb, 20)
        row["numpy"] = np.__version__
        print(json.dumps(row), flush=True)
    except ImportError as err:
        print(json.dumps({"group": "note", "note": f"numpy unavailable: {err}"}), flush=True)
    for workload in req["workloads"]:
        for kind in req["kinds"]:
            print(json.dumps(bench_step(workload, kind, req["rank"], req.get("quick", False))), flush=True)


if __name__ == "__main__":
    main()
