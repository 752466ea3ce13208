"""PyTorch eager peer of `gotrl bench train`: GPT-2 training step time and
tokens/s with AdamW on the same shapes, optionally under torch.autocast
(bfloat16). Run with the peers venv:

    .venv-peers/bin/python bench/train.py --shape small --steps 20
    .venv-peers/bin/python bench/train.py --shape big --steps 3 --bf16
"""
import argparse
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

SHAPES = {  # name: (layers, embd, heads, batch, seq), as cmd/gotrl/bench_train.go
    "big": (12, 768, 12, 8, 256),
    "small": (2, 128, 2, 8, 64),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", choices=SHAPES, default="small")
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--bf16", action="store_true")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    layers, embd, heads, batch, seq = SHAPES[a.shape]
    cfg = GPT2Config(vocab_size=21128, n_layer=layers, n_embd=embd, n_head=heads, n_positions=1024)
    model = GPT2LMHeadModel(cfg).train()
    # decay only ≥ 2-D weights, as gotrl's AdamW does
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    # torch's defaults, as HF Trainer runs them: the for-loop AdamW on CPU
    # (foreach and fused default to CUDA only) and zero_grad(set_to_none=True)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}], lr=5e-5)
    ids = torch.randint(0, cfg.vocab_size, (batch, seq))
    total = cpu = 0.0
    for i in range(a.steps + a.warmup):
        start, cpu0 = time.perf_counter(), time.process_time()
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.bf16):
            loss = model(input_ids=ids, labels=ids).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        loss.item()
        if i >= a.warmup:
            total += time.perf_counter() - start
            cpu += time.process_time() - cpu0
    per = total / a.steps
    n = sum(p.numel() for p in model.parameters())
    print(f"torch train {a.shape:5s} {layers}x{embd} vocab {cfg.vocab_size} params {n/1e6:.1f}M batch {batch}x{seq} "
          f"bf16={a.bf16} threads {torch.get_num_threads()}: {per:.3f} s/step  {cpu/a.steps:.3f} cpu s/step  {batch*seq/per:.0f} tokens/s "
          f"({a.steps} steps after {a.warmup} warm-up)")


if __name__ == "__main__":
    main()
