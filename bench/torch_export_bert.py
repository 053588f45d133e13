#!/usr/bin/env python3
"""
Writes random BERT sequence classifiers in Hugging Face layout (config.json, model.safetensors)
plus a `torch.onnx.export` model.onnx (opset 17, dynamic batch/sequence axes, Optimum I/O names),
for bench/export-latency.ts to compare ONNX Runtime latency of that export with Berth's own.

A small functional BERT with HF parameter names mirrors the forward pass described in the
hf-tiny fixtures README (eager attention, additive finfo.min mask on keys, post-LN, erf GELU,
pooler + classifier). No `transformers` package is needed.

PyTorch only traces the model here; its own speed is not measured, so the BLAS it runs with does
not matter (see shared BENCHMARKS.md for when it does).

Usage: /usr/bin/python3 bench/torch_export_bert.py --out /tmp/berth-bench [--only base|mini] [--vocab-size N]
"""
import argparse
import json
import math
import os
import struct
import sys

import torch
from torch import nn

SHAPES = {
    "base": dict(num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072),
    "mini": dict(num_hidden_layers=4, hidden_size=256, num_attention_heads=4, intermediate_size=1024),
}


class SelfAttention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)


class AttentionOutput(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.dense = nn.Linear(h, h)
        self.LayerNorm = nn.LayerNorm(h, eps=1e-12)


class Attention(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.self = SelfAttention(h)
        self.output = AttentionOutput(h)


class Dense(nn.Module):
    def __init__(self, i, o):
        super().__init__()
        self.dense = nn.Linear(i, o)


class Output(nn.Module):
    def __init__(self, i, h):
        super().__init__()
        self.dense = nn.Linear(i, h)
        self.LayerNorm = nn.LayerNorm(h, eps=1e-12)


class Layer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.attention = Attention(c["hidden_size"])
        self.intermediate = Dense(c["hidden_size"], c["intermediate_size"])
        self.output = Output(c["intermediate_size"], c["hidden_size"])


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Embeddings(nn.Module):
    def __init__(self, c):
        super().__init__()
        h = c["hidden_size"]
        self.word_embeddings = nn.Embedding(c["vocab_size"], h, padding_idx=0)
        self.position_embeddings = nn.Embedding(c["max_position_embeddings"], h)
        self.token_type_embeddings = nn.Embedding(c["type_vocab_size"], h)
        self.LayerNorm = nn.LayerNorm(h, eps=1e-12)


class Bert(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = Embeddings(c)
        self.encoder = Encoder(c)
        self.pooler = Dense(c["hidden_size"], c["hidden_size"])


class BertForSequenceClassification(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.bert = Bert(c)
        self.classifier = nn.Linear(c["hidden_size"], len(c["id2label"]))

    def forward(self, input_ids, attention_mask, token_type_ids):
        c, b = self.c, self.bert
        heads = c["num_attention_heads"]
        hd = c["hidden_size"] // heads
        length = input_ids.shape[1]
        e = b.embeddings
        x = e.word_embeddings(input_ids) + e.token_type_embeddings(token_type_ids)
        x = x + e.position_embeddings.weight[:length]
        h = e.LayerNorm(x)
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in b.encoder.layer:
            s = layer.attention.self

            def split(t):
                return t.view(t.shape[0], t.shape[1], heads, hd).permute(0, 2, 1, 3)

            q, k, v = split(s.query(h)), split(s.key(h)), split(s.value(h))
            scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(hd) + ext
            probs = torch.softmax(scores, dim=-1)
            ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(h.shape[0], h.shape[1], c["hidden_size"])
            a = layer.attention.output.LayerNorm(layer.attention.output.dense(ctx) + h)
            inter = layer.intermediate.dense(a)
            inter = inter * 0.5 * (1.0 + torch.erf(inter / math.sqrt(2.0)))
            h = layer.output.LayerNorm(layer.output.dense(inter) + a)
        pooled = torch.tanh(b.pooler.dense(h[:, 0]))
        return self.classifier(pooled)


def write_safetensors(path, state):
    names = sorted(state)
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for n in names:
        t = state[n].detach().contiguous().to(torch.float32)
        data = t.numpy().astype("<f4").tobytes()
        header[n] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def make(name, out, seed, vocab_size=30522):
    c = dict(
        model_type="bert", architectures=["BertForSequenceClassification"], vocab_size=vocab_size,
        max_position_embeddings=512, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu",
        pad_token_id=0, hidden_dropout_prob=0.1, attention_probs_dropout_prob=0.1, classifier_dropout=None,
        initializer_range=0.02, id2label={"0": "negative", "1": "positive"}, label2id={"negative": 0, "positive": 1},
        problem_type="single_label_classification", **SHAPES[name],
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(c).eval()
    with torch.no_grad():
        for n, p in model.named_parameters():
            if "LayerNorm" in n:
                p.fill_(1.0 if n.endswith("weight") else 0.0)
            elif n.endswith("bias"):
                p.normal_(0.0, 0.02)  # non-zero, so a dropped bias shows in outputs
            else:
                p.normal_(0.0, 0.02)
        model.bert.embeddings.word_embeddings.weight[0].zero_()
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
    write_safetensors(os.path.join(d, "model.safetensors"), model.state_dict())
    ids = torch.randint(1, c["vocab_size"], (2, 16))
    mask = torch.ones_like(ids)
    types = torch.zeros_like(ids)
    torch.onnx.export(
        model, (ids, mask, types), os.path.join(d, "model.onnx"), opset_version=17,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
        dynamic_axes={k: {0: "batch_size", 1: "sequence_length"} for k in ["input_ids", "attention_mask", "token_type_ids"]}
        | {"logits": {0: "batch_size"}},
    )
    print(f"wrote {d} (torch {torch.__version__})", flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--only", choices=sorted(SHAPES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--vocab-size", type=int, default=30522, help="smaller vocabularies make small files; latency barely changes")
    args = ap.parse_args()
    if os.path.abspath(args.out).startswith(os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))):
        sys.exit("refusing to write into the repository; use a directory under /tmp")
    for name in [args.only] if args.only else ["mini", "base"]:
        make(name, args.out, args.seed, args.vocab_size)


if __name__ == "__main__":
    main()
