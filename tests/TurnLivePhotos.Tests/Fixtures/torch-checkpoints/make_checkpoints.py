"""Writes small PyTorch checkpoints with torch.save and, beside each, expected.json: every tensor's dtype, shape and
values in row-major order (what a reader must give after applying storage offsets and strides).
Run with Debian's python3-torch: /usr/bin/python3 make_checkpoints.py OUTPUT_FOLDER"""
import collections
import json
import os
import sys

import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(1234)


def expected(state):
    result = {}
    for name, tensor in state.items():
        t = tensor.detach()
        values = t.to(torch.float64).reshape(-1).tolist() if t.is_floating_point() else t.reshape(-1).tolist()
        result[name] = {"dtype": str(t.dtype).replace("torch.", ""), "shape": list(t.shape), "values": values}
    return result


def save(name, state):
    torch.save(state, os.path.join(out, name + ".pt"))
    with open(os.path.join(out, name + ".json"), "w") as f:
        json.dump(expected(state), f)


# Several dtypes, one storage each.
save("dtypes", collections.OrderedDict([
    ("f32", torch.randn(3, 4)),
    ("f16", torch.randn(2, 5).half()),
    ("bf16", torch.randn(7).bfloat16()),
    ("i64", torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4)),
    ("scalar", torch.tensor(2.5)),
    ("empty", torch.zeros(0, 3)),
]))

# Views of one storage: offsets, a transpose, a strided slice, the whole thing.
base = torch.arange(48, dtype=torch.float32) * 0.5 - 3
matrix = base.view(6, 8)
save("views", collections.OrderedDict([
    ("whole", matrix),
    ("offset", base[5:17].view(3, 4)),
    ("transposed", matrix.t()),
    ("strided", matrix[1:5, ::3]),
    ("column", matrix[:, 2]),
]))

# A real module's state dict: Conv, BatchNorm (an int64 num_batches_tracked, a _metadata attribute), a PReLU.
module = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.PReLU(4), torch.nn.ConvTranspose2d(4, 2, 4, 2, 1))
for p in module.parameters():
    p.data.normal_()
module[1].running_mean.normal_()
module[1].running_var.uniform_(0.5, 2)
save("module", module.state_dict())

# Parameters (torch._utils._rebuild_parameter) rather than plain tensors.
save("parameters", collections.OrderedDict([("weight", torch.nn.Parameter(torch.randn(2, 3))), ("beta", torch.nn.Parameter(torch.ones(1, 3, 1, 1)))]))
