"""ppo.py — TRL 0.11.4's PPO iteration time, the peer of `gotrl bench ppo`.

One iteration = rollout (PPOTrainer.generate: pure sampling, top_k 0, top_p 1, exactly --response new
tokens per query, batch generation) + PPOTrainer.step() (batch 16, mini-batch 4, 4 PPO epochs, Adam).
Model: a randomly initialised GPT-2 (--layers × --embd, vocab 21128) with TRL's value head; the
reference is a frozen copy. Scores are random. Run with the peers venv (scripts/python_peers.sh):

    .venv-peers/bin/python bench/ppo.py --threads 2
"""
import argparse
import time
import warnings

import torch
from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from trl import AutoModelForCausalLMWithValueHead, PPOConfig, PPOTrainer

warnings.filterwarnings("ignore")
p = argparse.ArgumentParser()
p.add_argument("--layers", type=int, default=4)
p.add_argument("--embd", type=int, default=256)
p.add_argument("--heads", type=int, default=4)
p.add_argument("--vocab", type=int, default=21128)
p.add_argument("--batch", type=int, default=16)
p.add_argument("--mini-batch", type=int, default=4)
p.add_argument("--epochs", type=int, default=4)
p.add_argument("--query", type=int, default=8)
p.add_argument("--response", type=int, default=16)
p.add_argument("--iters", type=int, default=5)
p.add_argument("--threads", type=int, default=0)
a = p.parse_args()
if a.threads > 0:
    torch.set_num_threads(a.threads)
torch.manual_seed(0)

cfg = GPT2Config(vocab_size=a.vocab, n_layer=a.layers, n_embd=a.embd, n_head=a.heads, n_positions=128)
policy = AutoModelForCausalLMWithValueHead.from_pretrained(GPT2LMHeadModel(cfg))
ref = AutoModelForCausalLMWithValueHead.from_pretrained(GPT2LMHeadModel(cfg))
ref.pretrained_model.load_state_dict(policy.pretrained_model.state_dict())
ref.v_head.load_state_dict(policy.v_head.state_dict())
tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(WordLevel({str(i): i for i in range(a.vocab)}, unk_token="3")),
                              pad_token="0", eos_token="2")
config = PPOConfig(batch_size=a.batch, mini_batch_size=a.mini_batch, ppo_epochs=a.epochs, learning_rate=1.41e-5,
                   log_with=None, seed=0)
trainer = PPOTrainer(config=config, model=policy, ref_model=ref, tokenizer=tok)
gen = dict(min_length=-1, top_k=0.0, top_p=1.0, do_sample=True, pad_token_id=0,
           max_new_tokens=a.response, min_new_tokens=a.response)

g = torch.Generator().manual_seed(1)
roll, step, cpu = [], [], []
for it in range(a.iters + 1):  # the first iteration warms up
    queries = [torch.randint(4, a.vocab, (a.query,), generator=g) for _ in range(a.batch)]
    t0, c0 = time.perf_counter(), time.process_time()
    responses = trainer.generate(queries, batch_size=a.batch, return_prompt=False, **gen)
    t1 = time.perf_counter()
    scores = [torch.randn((), generator=g) for _ in range(a.batch)]
    trainer.step(queries, responses, scores)
    t2 = time.perf_counter()
    if it > 0:
        roll.append(t1 - t0)
        step.append(t2 - t1)
        cpu.append(time.process_time() - c0)
r, s = sum(roll) / len(roll), sum(step) / len(step)
print(f"TRL 0.11.4 PPO  gpt2 {a.layers}x{a.embd} vocab {a.vocab}  batch {a.batch} mini {a.mini_batch} epochs {a.epochs} "
      f"query {a.query} response {a.response}  threads {torch.get_num_threads()}")
print(f"TRL per iteration {r + s:.3f} s  (rollout {r:.3f} s + step {s:.3f} s)  {sum(cpu) / len(cpu):.3f} cpu s  over {a.iters} iterations")
