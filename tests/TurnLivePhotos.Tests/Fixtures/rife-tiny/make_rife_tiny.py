"""Golden numbers for our IFNet graph from Practical-RIFE's own code on tiny random weights.

Usage: /usr/bin/python3 make_rife_tiny.py AUTHORS_CODE OUTPUT_FOLDER
AUTHORS_CODE is a folder holding the authors' train_log/IFNet_HDv3.py, train_log/RIFE_HDv3.py and model/ (from
hzwer/Practical-RIFE, commit f7edc95, whose RIFE_HDv3.py says version 4.25); it is imported, not copied.

Each layout is the authors' IFNet with its blocks rebuilt by the authors' own IFBlock class at small widths (the
state-dict names are unchanged), saved as a torch.save state dict with the 'module.' prefix the released
flownet.pkl files carry. Per case the inputs are padded to a multiple of 64 as the authors' inference_img.py does,
run through the authors' Model.inference helper (scale 1: scale_list 16, 8, 4, 2, 1), and recorded with forward
hooks: every block's flow and mask (at the padded size), and the final frame cropped back.
"""
import json
import os
import struct
import sys
import types

import numpy as np
import torch
import torch.nn.functional as F

authors, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, authors)
# model/loss.py imports torchvision for a training-only VGG loss; inference never touches it.
sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))
sys.modules.setdefault("torchvision.models", types.ModuleType("torchvision.models"))
from train_log import IFNet_HDv3 as authors_ifnet  # noqa: E402
from train_log.RIFE_HDv3 import Model  # noqa: E402

torch.set_grad_enabled(False)
torch.set_num_threads(1)


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, value in tensors.items():
        data = np.ascontiguousarray(value.detach().cpu().numpy().astype(np.float32)).tobytes()
        header[name] = {"dtype": "F32", "shape": list(value.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    encoded = json.dumps(header).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for blob in blobs:
            f.write(blob)


def tiny_ifnet(head_channels, widths, seed):
    torch.manual_seed(seed)
    net = authors_ifnet.IFNet()
    if head_channels != 16:
        net.encode.cnn3 = torch.nn.ConvTranspose2d(16, head_channels, 4, 2, 1)
    features = 2 * head_channels
    net.block0 = authors_ifnet.IFBlock(7 + features, c=widths[0])
    for i in range(1, 5):
        setattr(net, f"block{i}", authors_ifnet.IFBlock(8 + 4 + 8 + features, c=widths[i]))
    for name, p in net.named_parameters():
        # Default init, then a perturbation so no ResConv beta stays at one and every weight matters.
        p.add_(0.05 * torch.randn_like(p))
    return net.eval()


def run_case(net, img0, img1, timestep, masks):
    n, c, h, w = img0.shape
    ph, pw = ((h - 1) // 64 + 1) * 64, ((w - 1) // 64 + 1) * 64
    padding = (0, pw - w, 0, ph - h)
    p0, p1 = F.pad(img0, padding), F.pad(img1, padding)
    model = Model.__new__(Model)
    model.flownet = net
    final = model.inference(p0, p1, timestep, 1.0)
    masks.clear()
    flow_list, _, merged = net(torch.cat((p0, p1), 1), timestep, [16, 8, 4, 2, 1])
    assert torch.equal(merged[4], final)
    return flow_list, list(masks), final[:, :, :h, :w]


layouts = {
    # The layout of train_log/IFNet_HDv3.py in the authors' repository (a 16-channel feature head).
    "head16": (16, [24, 16, 16, 12, 8]),
    # The same network with a 4-channel head (block0 takes 7 + 8 channels), as other readers of v4.25/v4.26 build it.
    "head4": (4, [16, 16, 12, 8, 8]),
}
cases = [(1, 30, 50), (1, 70, 20)]
generator = torch.Generator().manual_seed(7)
summary = {"authors_commit": "f7edc95", "torch": torch.__version__, "layouts": {}}
for index, (layout, (head, widths)) in enumerate(layouts.items()):
    folder = os.path.join(out, layout)
    os.makedirs(folder, exist_ok=True)
    net = tiny_ifnet(head, widths, 100 + index)
    torch.save({"module." + k: v for k, v in net.state_dict().items()}, os.path.join(folder, "flownet.pkl"))
    masks = []
    for i in range(5):
        getattr(net, f"block{i}").register_forward_hook(lambda module, inputs, output: masks.append(output[1]))
    io = {}
    for case, (n, h, w) in enumerate(cases):
        base = torch.rand(n, 3, h, w, generator=generator)
        img0 = base
        img1 = torch.roll(base, shifts=(2, 3), dims=(2, 3)) * 0.9 + 0.1 * torch.rand(n, 3, h, w, generator=generator)
        io[f"case{case}.img0"], io[f"case{case}.img1"] = img0, img1
        for t in (0.25, 0.5, 0.75):
            flows, block_masks, final = run_case(net, img0, img1, t, masks)
            key = f"case{case}.t{t}"
            for i in range(5):
                io[f"{key}.flow{i}"] = flows[i]
                io[f"{key}.mask{i}"] = block_masks[i]
            io[f"{key}.merged"] = final
    write_safetensors(os.path.join(folder, "io.safetensors"), io)
    summary["layouts"][layout] = {"head_channels": head, "widths": widths, "cases": [list(c) for c in cases],
                                  "flow_range": [float(min(v.min() for k, v in io.items() if ".flow" in k)), float(max(v.max() for k, v in io.items() if ".flow" in k))]}
with open(os.path.join(out, "summary.json"), "w") as f:
    json.dump(summary, f, indent=1)
print(json.dumps(summary))
