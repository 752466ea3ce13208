"""generate.py — HF generate()'s greedy speed for the shape `gotrl bench
generate` measures: a randomly initialised GPT2LMHeadModel, 12 layers × 768,
vocab 21128 (the book's Chinese GPT-2), prompt 32 random ids, 128 new tokens,
no eos, batch 1 and 8, with and without the key/value cache. Run with the
peers venv (scripts/python_peers.sh):

    .venv-peers/bin/python bench/generate.py [--threads N] [--no-uncached]
"""
import argparse
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=0)
ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
ap.add_argument("--prompt", type=int, default=32)
ap.add_argument("--new", type=int, default=128)
ap.add_argument("--no-uncached", action="store_true")
args = ap.parse_args()
if args.threads > 0:
    torch.set_num_threads(args.threads)
torch.manual_seed(42)

config = GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=21128, n_positions=1024,
                    embd_pdrop=0, attn_pdrop=0, resid_pdrop=0)
model = GPT2LMHeadModel(config).eval()
print(f"transformers GPT2LMHeadModel 12×768, vocab 21128, torch {torch.__version__}, "
      f"threads {torch.get_num_threads()}, prompt {args.prompt}, {args.new} new tokens, greedy")

for b in args.batch:
    ids = torch.randint(0, config.vocab_size, (b, args.prompt))
    mask = torch.ones_like(ids)
    for use_cache in ([True] if args.no_uncached else [True, False]):
        kw = dict(attention_mask=mask, do_sample=False, eos_token_id=None, pad_token_id=0, use_cache=use_cache)
        with torch.no_grad():
            model.generate(ids, max_new_tokens=4, **kw)  # warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            out = model.generate(ids, max_new_tokens=args.new, min_new_tokens=args.new, **kw)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
        assert out.shape[1] == args.prompt + args.new
        name = "cache" if use_cache else "no cache"
        n = b * args.new
        print(f"batch {b}  {name:<8}  {n / dt:7.1f} tokens/s  {cpu * 1e3 / n:6.1f} ms CPU/token")
