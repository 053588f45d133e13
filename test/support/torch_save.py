"""Real-PyTorch counterpart of torch-checkpoint-writer.ts, for the torch-gated integration test.

    python3 test/support/torch_save.py save  <model.safetensors> <out_dir>
        writes <out_dir>/<dtype>/pytorch_model.bin with torch.save(state_dict) for float32,
        float16 and bfloat16, and <out_dir>/<dtype>/expected.safetensors: the float32 values
        torch itself gives for those tensors (t.to(dtype).float()), the reference to compare with.
    python3 test/support/torch_save.py check <pytorch_model.bin> <model.safetensors>
        torch.load(weights_only=True) of a file our test writer made; prints the largest
        absolute difference from the safetensors tensors (0.0 when bit-identical in value).

Debian's python3-torch (1.13) is enough; no transformers, no safetensors package.
"""
import json
import os
import struct
import sys
from collections import OrderedDict

import torch


def read_safetensors(path):
    with open(path, "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    tensors = OrderedDict()
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        assert entry["dtype"] == "F32", entry["dtype"]
        begin, end = entry["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=torch.float32).reshape(entry["shape"])
        tensors[name] = t.clone()
    return tensors


def write_safetensors(path, tensors):
    header, chunks, offset = {}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for chunk in chunks:
            f.write(chunk)


def save(source, out_dir):
    tensors = read_safetensors(source)
    for dtype in ("float32", "float16", "bfloat16"):
        target = os.path.join(out_dir, dtype)
        os.makedirs(target, exist_ok=True)
        converted = OrderedDict((k, v.to(getattr(torch, dtype))) for k, v in tensors.items())
        torch.save(converted, os.path.join(target, "pytorch_model.bin"))
        write_safetensors(os.path.join(target, "expected.safetensors"), {k: v.float() for k, v in converted.items()})


def check(checkpoint, source):
    loaded = torch.load(checkpoint, weights_only=True)
    expected = read_safetensors(source)
    assert list(loaded) == list(expected) or set(loaded) >= set(expected), "names differ"
    worst = max(float((loaded[k].float() - v).abs().max()) if v.numel() else 0.0 for k, v in expected.items())
    print(json.dumps({"tensors": len(loaded), "max_abs_diff": worst}))


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    {"save": save, "check": check}[command](*args)
