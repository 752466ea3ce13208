"""generate_ct2.py — CTranslate2's greedy speed for the shape `gotrl bench
generate` and bench/generate.py measure: a randomly initialised
GPT2LMHeadModel, 12 layers × 768, vocab 21128 (the book's Chinese GPT-2),
converted to CTranslate2 at each compute type, prompt 32 random ids, 128 new
tokens (min_length = max_length, so no early stop), batch 1 and 8. Run with
the peers venv (scripts/python_peers.sh):

    .venv-peers/bin/python bench/generate_ct2.py [--threads N] [--compute-type int8 float32]

The converter needs two work-arounds, both made here rather than in the venv:
ctranslate2 4.8.5 passes dtype= to from_pretrained, which transformers 4.46
names torch_dtype; and its GPT-2 loader copies bos_token/eos_token from the
tokenizer, which a BERT vocabulary (BertTokenizer) does not set.
"""
import argparse
import os
import tempfile
import time

import ctranslate2
import torch
from ctranslate2.converters import TransformersConverter
from transformers import BertTokenizer, GPT2Config, GPT2LMHeadModel

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=0, help="intra_threads (0: CTranslate2's default)")
ap.add_argument("--batch", type=int, nargs="+", default=[1, 8])
ap.add_argument("--prompt", type=int, default=32)
ap.add_argument("--new", type=int, default=128)
ap.add_argument("--compute-type", nargs="+", default=["int8", "float32"])
args = ap.parse_args()
torch.manual_seed(42)

VOCAB = 21128
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class Converter(TransformersConverter):
    def load_model(self, model_class, path, **kwargs):
        if "dtype" in kwargs:  # transformers 4.46 reads torch_dtype
            kwargs["torch_dtype"] = kwargs.pop("dtype")
        return model_class.from_pretrained(path, **kwargs)

    def load_tokenizer(self, tokenizer_class, path, **kwargs):
        # a BERT vocabulary has no bos/eos: use [CLS]/[SEP], as the book's
        # Chinese GPT-2 does
        return BertTokenizer.from_pretrained(path, bos_token="[CLS]", eos_token="[SEP]")


def build(dir):
    config = GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=VOCAB, n_positions=1024,
                        embd_pdrop=0, attn_pdrop=0, resid_pdrop=0)
    GPT2LMHeadModel(config).eval().save_pretrained(dir)
    # a synthetic BERT-style vocabulary of the book model's size (the real
    # one lives in ../shared, which a fresh clone lacks)
    with open(os.path.join(dir, "vocab.txt"), "w") as f:
        for tok in SPECIALS + [f"t{i}" for i in range(len(SPECIALS), VOCAB)]:
            f.write(tok + "\n")
    BertTokenizer(os.path.join(dir, "vocab.txt"), bos_token="[CLS]", eos_token="[SEP]").save_pretrained(dir)


with tempfile.TemporaryDirectory() as tmp:
    hf_dir = os.path.join(tmp, "hf")
    build(hf_dir)
    vocab = open(os.path.join(hf_dir, "vocab.txt")).read().split("\n")[:VOCAB]
    prompts = {b: torch.randint(0, VOCAB, (b, args.prompt)).tolist() for b in args.batch}
    for ct in args.compute_type:
        out_dir = os.path.join(tmp, "ct2-" + ct)
        Converter(hf_dir).convert(out_dir, quantization=ct)
        gen = ctranslate2.Generator(out_dir, device="cpu", compute_type=ct, intra_threads=args.threads)
        print(f"ctranslate2 {ctranslate2.__version__} GPT-2 12×768, vocab {VOCAB}, compute_type {ct}, "
              f"threads {args.threads or 'default'}, prompt {args.prompt}, {args.new} new tokens, greedy")
        for b in args.batch:
            tokens = [[vocab[i] for i in row] for row in prompts[b]]
            kw = dict(sampling_topk=1, include_prompt_in_result=False)
            gen.generate_batch(tokens, max_length=4, min_length=4, **kw)  # warm-up
            t0, c0 = time.perf_counter(), time.process_time()
            res = gen.generate_batch(tokens, max_length=args.new, min_length=args.new, **kw)
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            got = {len(r.sequences_ids[0]) for r in res}
            assert got == {args.new}, f"generated lengths {got}, want {args.new}"
            n = b * args.new
            print(f"batch {b}  cache     {ct:<7}  {n / dt:7.1f} tokens/s  {cpu * 1e3 / n:6.1f} ms CPU/token")
