"""The authors' PyTorch timing for `bench interpolate`: Practical-RIFE's IFNet at the released v4.25/v4.26 shapes
(4-channel head, widths 192/128/96/64/32; random weights), one intermediate frame at 1024x576 and 1440x810 through
their Model.inference helper, inputs padded to 64 as inference_img.py does, on the CPU with two threads.

Usage: /usr/bin/python3 rife_torch_bench.py AUTHORS_CODE [REPEATS]
AUTHORS_CODE holds train_log/ and model/ from hzwer/Practical-RIFE (commit f7edc95); it is imported, not copied."""
import resource
import sys
import time
import types

import torch
import torch.nn.functional as F

sys.path.insert(0, sys.argv[1])
repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
sys.modules.setdefault("torchvision", types.ModuleType("torchvision"))  # only the training loss imports it
sys.modules.setdefault("torchvision.models", types.ModuleType("torchvision.models"))
from train_log import IFNet_HDv3 as authors  # noqa: E402
from train_log.RIFE_HDv3 import Model  # noqa: E402

torch.set_grad_enabled(False)
torch.set_num_threads(2)
net = authors.IFNet()
net.encode.cnn3 = torch.nn.ConvTranspose2d(16, 4, 4, 2, 1)
net.block0 = authors.IFBlock(7 + 8, c=192)
for i, c in enumerate([128, 96, 64, 32], start=1):
    setattr(net, f"block{i}", authors.IFBlock(8 + 4 + 8 + 8, c=c))
model = Model.__new__(Model)
model.flownet = net.eval()
for w, h in [(1024, 576), (1440, 810)]:
    pad = (0, ((w - 1) // 64 + 1) * 64 - w, 0, ((h - 1) // 64 + 1) * 64 - h)
    img0 = F.pad(torch.rand(1, 3, h, w), pad)
    img1 = F.pad(torch.rand(1, 3, h, w), pad)
    model.inference(img0, img1, 0.5, 1.0)
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(repeats):
        model.inference(img0, img1, (i + 1) / (repeats + 1), 1.0)
    seconds = (time.perf_counter() - wall) / repeats
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9
    print(f"pytorch interpolate {w}x{h}: {seconds:.2f} s per frame, peak RSS {peak:.2f} GB")
    print(f"  CPU {(time.process_time() - cpu) / repeats:.2f} s per frame")
