"""Cross-check lutra's GGUF files and dequantizers against llama.cpp's own Python package (gguf-py).

usage: python gguf_py_check.py FILE.gguf [FILE.gguf ...]
For each FILE, FILE.f32 holds lutra's dequantization of every tensor (float32, in tensor order).
Checks that gguf-py's GGUFReader reads FILE, that every tensor name is one llama.cpp knows for the
file's architecture (gguf.constants.MODEL_TENSORS), and that gguf-py's dequantize() gives the same
float32 values bit for bit. Prints one line per file: "OK <file> ..." or "FAIL <file> <reason>".
"""
import re
import sys

import numpy as np
from gguf import GGUFReader
from gguf.constants import MODEL_ARCH_NAMES, MODEL_TENSORS, TENSOR_NAMES
from gguf.quants import dequantize


def known_names(arch_name):
    arch = next(a for a, n in MODEL_ARCH_NAMES.items() if n == arch_name)
    return {TENSOR_NAMES[t] for t in MODEL_TENSORS[arch]}


def check(path):
    r = GGUFReader(path)
    arch = bytes(r.fields['general.architecture'].parts[-1]).decode()
    names = known_names(arch)
    mine = np.fromfile(path + '.f32', dtype=np.float32)
    off = 0
    types = set()
    for t in r.tensors:
        base = re.sub(r'^blk\.\d+\.', 'blk.{bid}.', t.name)
        base = re.sub(r'\.(weight|bias)$', '', base)
        if base not in names:
            return f'FAIL {path} tensor {t.name} is not a {arch} tensor for llama.cpp'
        n = int(np.prod(t.shape))
        ref = dequantize(t.data, t.tensor_type).astype(np.float32).reshape(-1)
        got = mine[off:off + n]
        off += n
        types.add(t.tensor_type.name)
        if ref.shape != got.shape or not np.array_equal(ref, got):
            d = np.abs(ref - got) if ref.shape == got.shape else None
            return f'FAIL {path} {t.name} ({t.tensor_type.name}) differs' + (f': max {d.max()}, {(d > 0).sum()} of {n}' if d is not None else '')
    if off != mine.size:
        return f'FAIL {path} {mine.size - off} extra floats'
    return f'OK {path} {arch} {len(r.tensors)} tensors {",".join(sorted(types))}'


for p in sys.argv[1:]:
    try:
        print(check(p), flush=True)
    except Exception as e:  # noqa: BLE001
        print(f'FAIL {p} {e!r}', flush=True)
