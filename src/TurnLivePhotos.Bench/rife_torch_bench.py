"""The authors' side of `bench interpolate --torch AUTHORS_CODE`: Practical-RIFE's IFNet at the released v4.25/v4.26
shapes (4-channel head, widths 192/128/96/64/32; random weights), saved as a flownet.pkl state dict (with the
'module.' prefix the releases carry) for our side to load, then timed for one intermediate frame per size through
their Model.inference helper, inputs padded to 64 as inference_img.py does, on the CPU with two threads.

Usage: python3 rife_torch_bench.py AUTHORS_CODE REPEATS OUT_PKL WxH[,WxH...]
AUTHORS_CODE holds train_log/ and model/ from hzwer/Practical-RIFE (commit f7edc95); it is imported, not copied.
Prints one line per size: `torch WxH WALL_S CPU_S PEAK_GB`."""
import resource
import sys
import time
import types

import torch
import torch.nn.functional as F

authors, repeats, out, sizes = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.path.insert(0, authors)
sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))  # only the training loss imports it
sys.modules.setdefault("torchvision.models", types.ModuleType("torchvision.models"))
from train_log import IFNet_HDv3 as authors_ifnet  # noqa: E402
from train_log.RIFE_HDv3 import Model  # noqa: E402

torch.manual_seed(11)
torch.set_grad_enabled(False)
torch.set_num_threads(2)
net = authors_ifnet.IFNet()
net.encode.cnn3 = torch.nn.ConvTranspose2d(16, 4, 4, 2, 1)
net.block0 = authors_ifnet.IFBlock(7 + 8, c=192)
for i, c in enumerate([128, 96, 64, 32], start=1):
    setattr(net, f"block{i}", authors_ifnet.IFBlock(8 + 4 + 8 + 8, c=c))
torch.save({f"module.{k}": v for k, v in net.state_dict().items()}, out)
model = Model.__new__(Model)
model.flownet = net.eval()
for size in sizes.split(","):
    w, h = (int(v) for v in size.split("x"))
    pad = (0, ((w - 1) // 64 + 1) * 64 - w, 0, ((h - 1) // 64 + 1) * 64 - h)
    img0 = F.pad(torch.rand(1, 3, h, w), pad)
    img1 = F.pad(torch.rand(1, 3, h, w), pad)
    model.inference(img0, img1, 0.5, 1.0)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(repeats):
        model.inference(img0, img1, (i + 1) / (repeats + 1), 1.0)
    seconds, cpu_seconds = (time.perf_counter() - wall) / repeats, (time.process_time() - cpu) / repeats
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"torch {w}x{h} {seconds:.4f} {cpu_seconds:.4f} {peak:.3f}", flush=True)
