#!/usr/bin/python3
"""PyTorch CPU baseline for bench/train-step.ts: one BERT sequence-classification training step
(forward + cross-entropy + backward + AdamW, dropout on), timed per phase.

Run by bench/train-step.ts with OPENBLAS_CORETYPE and the thread count set for this process only.
Prints one JSON object on stdout: the BLAS library and core type in use, and median seconds per
step and per phase. The model is HF BERT's eager forward pass written out in plain torch (the
transformers package is not needed), with the same parameter shapes as BertForSequenceClassification.
"""
import argparse
import ctypes
import json
import math
import os
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Layer(nn.Module):
    def __init__(self, hidden, heads, intermediate, dropout):
        super().__init__()
        self.heads = heads
        self.query = nn.Linear(hidden, hidden)
        self.key = nn.Linear(hidden, hidden)
        self.value = nn.Linear(hidden, hidden)
        self.attn_out = nn.Linear(hidden, hidden)
        self.ln1 = nn.LayerNorm(hidden, eps=1e-12)
        self.inter = nn.Linear(hidden, intermediate)
        self.out = nn.Linear(intermediate, hidden)
        self.ln2 = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)

    def forward(self, h, ext_mask):
        b, l, d = h.shape
        hd = d // self.heads
        split = lambda x: x.view(b, l, self.heads, hd).permute(0, 2, 1, 3)
        q, k, v = split(self.query(h)), split(self.key(h)), split(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + ext_mask
        probs = self.drop(F.softmax(scores, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(b, l, d)
        a = self.ln1(self.drop(self.attn_out(ctx)) + h)
        return self.ln2(self.drop(self.out(F.gelu(self.inter(a)))) + a)


class BertClassifier(nn.Module):
    def __init__(self, vocab, hidden, layers, heads, intermediate, max_pos, labels, dropout=0.1):
        super().__init__()
        self.word = nn.Embedding(vocab, hidden, padding_idx=0)
        self.pos = nn.Embedding(max_pos, hidden)
        self.token_type = nn.Embedding(2, hidden)
        self.ln = nn.LayerNorm(hidden, eps=1e-12)
        self.drop = nn.Dropout(dropout)
        self.layers = nn.ModuleList([Layer(hidden, heads, intermediate, dropout) for _ in range(layers)])
        self.pooler = nn.Linear(hidden, hidden)
        self.classifier = nn.Linear(hidden, labels)

    def forward(self, ids, mask, types):
        l = ids.shape[1]
        pos = torch.arange(l).unsqueeze(0)
        h = self.drop(self.ln(self.word(ids) + self.token_type(types) + self.pos(pos)))
        ext = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, ext)
        pooled = torch.tanh(self.pooler(h[:, 0]))
        return self.classifier(self.drop(pooled))


def blas_info():
    """Which BLAS library this process mapped, and OpenBLAS's own report of its core type."""
    libs = set()
    with open('/proc/self/maps') as maps:
        for line in maps:
            path = line.split()[-1] if '/' in line else ''
            if 'blas' in path or 'lapack' in path:
                libs.add(path)
    info = {'libraries': sorted(libs), 'OPENBLAS_CORETYPE': os.environ.get('OPENBLAS_CORETYPE')}
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
            for fn in ('openblas_get_config', 'openblas_get_corename'):
                f = getattr(lib, fn)
                f.restype = ctypes.c_char_p
                info[fn] = f().decode()
            break
        except (OSError, AttributeError):
            continue
    return info


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--layers', type=int, required=True)
    p.add_argument('--hidden', type=int, required=True)
    p.add_argument('--heads', type=int, required=True)
    p.add_argument('--intermediate', type=int, required=True)
    p.add_argument('--vocab', type=int, default=30522)
    p.add_argument('--labels', type=int, default=2)
    p.add_argument('--batch', type=int, required=True)
    p.add_argument('--seq', type=int, required=True)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--warmup', type=int, default=1)
    a = p.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = BertClassifier(a.vocab, a.hidden, a.layers, a.heads, a.intermediate, 512, a.labels)
    model.train()
    decay = [p for n, p in model.named_parameters() if not (n.endswith('bias') or 'ln' in n)]
    no_decay = [p for n, p in model.named_parameters() if n.endswith('bias') or 'ln' in n]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': 0.01}, {'params': no_decay, 'weight_decay': 0.0}], lr=1e-4)

    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, a.vocab, (a.batch, a.seq), generator=g)
    mask = torch.ones(a.batch, a.seq, dtype=torch.long)
    types = torch.zeros(a.batch, a.seq, dtype=torch.long)
    labels = torch.randint(0, a.labels, (a.batch,), generator=g)

    phases = {'step': [], 'forward': [], 'backward': [], 'optimizer': []}
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        loss = F.cross_entropy(model(ids, mask, types), labels)
        t1 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= a.warmup:
            phases['forward'].append(t1 - t0)
            phases['backward'].append(t2 - t1)
            phases['optimizer'].append(t3 - t2)
            phases['step'].append(t3 - t0)

    print(json.dumps({
        'torch': torch.__version__,
        'threads': torch.get_num_threads(),
        'blas': blas_info(),
        'parameters': sum(p.numel() for p in model.parameters()),
        'median_s': {k: statistics.median(v) for k, v in phases.items()},
        'loss': float(loss),
    }))


if __name__ == '__main__':
    main()
