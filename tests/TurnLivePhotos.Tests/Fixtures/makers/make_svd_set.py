#!/usr/bin/python3
"""Makes a golden fixture set laid out like svd-tiny, by running diffusers' own code.

The set's networks (CLIP vision encoder, temporal VAE, spatio-temporal UNet) are built from small configs, given
seeded random weights, and run through diffusers' models, its EulerDiscreteScheduler and its
StableVideoDiffusionPipeline; every tensor the C# tests read is recorded (see ../README.md for the layout).

Upstream code is brought in, not copied: --diffusers names a folder holding the `diffusers` package of v0.29.2 and
--hub one holding `huggingface_hub` v0.23.5 (its import dependency), for instance
    git -C <diffusers clone> archive v0.29.2 src/diffusers | tar x -C /tmp/up --strip-components=1
    git -C <huggingface_hub clone> archive v0.23.5 src/huggingface_hub | tar x -C /tmp/up --strip-components=1
Run with Debian's torch 1.13 (python3-torch, python3-numpy, python3-pil, python3-filelock, python3-regex,
python3-requests, python3-packaging, python3-tqdm, python3-yaml, python3-fsspec, python3-importlib-metadata):
    MALLOC_PERTURB_=255 /usr/bin/python3 make_svd_set.py --upstream /tmp/up --out /tmp/sets/svd-tiny-b
MALLOC_PERTURB_ makes fresh heap memory read as zero: torch 1.13's baddbmm(beta=0) on an uninitialised buffer
(diffusers' attention) can otherwise turn outputs into NaN.

Two packages are not available here and are stood in for by small modules written for this script:
`safetensors` (the file format: 8-byte little-endian header length, JSON header, raw data) and the two
`transformers` classes the pipeline uses, CLIPVisionModelWithProjection (the CLIP ViT of Radford et al. with
transformers' parameter names and eager attention) and CLIPImageProcessor (only the normalisation the pipeline
asks for). --check-clip SET compares the stand-in with a set made by the real transformers (svd-tiny) and stops
unless every output is bit-identical.
"""

import argparse
import importlib.machinery
import json
import math
import os
import struct
import sys
import types

import numpy as np
import PIL.Image
import torch

# ---------------------------------------------------------------------------------------------------------------
# safetensors stand-in


def _save_file(tensors, path, metadata=None):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    if metadata:
        header["__metadata__"] = metadata
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def _load_file(path, device="cpu"):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", f"{name}: only float32 is read here"
        begin, end = info["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[begin:end], dtype="<f4").copy()).reshape(info["shape"])
    return out


def _module(name, **members):
    module = types.ModuleType(name)
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    module.__dict__.update(members)
    sys.modules[name] = module
    return module


# ---------------------------------------------------------------------------------------------------------------
# transformers stand-in: CLIP vision tower with projection (transformers' names), and the image normalisation


class CLIPVisionConfig:
    def __init__(self, **values):
        self.__dict__.update(values)

    def to_dict(self):
        return dict(self.__dict__)


class _Attention(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.heads, self.head_dim = c.num_attention_heads, c.hidden_size // c.num_attention_heads
        self.scale = self.head_dim ** -0.5
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (torch.nn.Linear(c.hidden_size, c.hidden_size) for _ in range(4))

    def forward(self, x):
        b, t, d = x.shape

        def split(y):
            return y.view(b, t, self.heads, self.head_dim).transpose(1, 2).reshape(b * self.heads, t, self.head_dim)

        q = split(self.q_proj(x) * self.scale)
        k, v = split(self.k_proj(x)), split(self.v_proj(x))
        probs = torch.softmax(torch.bmm(q, k.transpose(1, 2)), dim=-1)
        out = torch.bmm(probs, v).view(b, self.heads, t, self.head_dim).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(out)


class _Mlp(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        assert c.hidden_act == "gelu"
        self.fc1, self.fc2 = torch.nn.Linear(c.hidden_size, c.intermediate_size), torch.nn.Linear(c.intermediate_size, c.hidden_size)

    def forward(self, x):
        return self.fc2(torch.nn.functional.gelu(self.fc1(x)))


class _Layer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.self_attn, self.mlp = _Attention(c), _Mlp(c)
        self.layer_norm1 = torch.nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.layer_norm2 = torch.nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)

    def forward(self, x):
        x = x + self.self_attn(self.layer_norm1(x))
        return x + self.mlp(self.layer_norm2(x))


class _Embeddings(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.class_embedding = torch.nn.Parameter(torch.randn(c.hidden_size))
        self.patch_embedding = torch.nn.Conv2d(c.num_channels, c.hidden_size, c.patch_size, stride=c.patch_size, bias=False)
        self.num_positions = (c.image_size // c.patch_size) ** 2 + 1
        self.position_embedding = torch.nn.Embedding(self.num_positions, c.hidden_size)

    def forward(self, pixel_values):
        patches = self.patch_embedding(pixel_values.to(self.patch_embedding.weight.dtype)).flatten(2).transpose(1, 2)
        tokens = torch.cat([self.class_embedding.expand(pixel_values.shape[0], 1, -1), patches], dim=1)
        return tokens + self.position_embedding(torch.arange(self.num_positions).unsqueeze(0))


class _VisionTransformer(torch.nn.Module):
    def __init__(self, c):
        super().__init__()
        self.embeddings = _Embeddings(c)
        self.pre_layrnorm = torch.nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)
        self.encoder = torch.nn.Module()
        self.encoder.layers = torch.nn.ModuleList(_Layer(c) for _ in range(c.num_hidden_layers))
        self.post_layernorm = torch.nn.LayerNorm(c.hidden_size, eps=c.layer_norm_eps)


class CLIPVisionModelWithProjection(torch.nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.vision_model = _VisionTransformer(config)
        self.visual_projection = torch.nn.Linear(config.hidden_size, config.projection_dim, bias=False)

    @property
    def dtype(self):
        return self.visual_projection.weight.dtype

    @property
    def device(self):
        return self.visual_projection.weight.device

    def forward(self, pixel_values):
        vision = self.vision_model
        embeddings = vision.embeddings(pixel_values)
        hidden = vision.pre_layrnorm(embeddings)
        states = [hidden]
        for layer in vision.encoder.layers:
            hidden = layer(hidden)
            states.append(hidden)
        pooled = vision.post_layernorm(hidden[:, 0, :])
        return types.SimpleNamespace(image_embeds=self.visual_projection(pooled), last_hidden_state=hidden,
                                     embeddings=embeddings, pooled_output=pooled, hidden_states=states)


class CLIPImageProcessor:
    """Only the call diffusers' SVD pipeline makes: normalise a (B, 3, H, W) tensor in [0, 1] per channel, in float32."""

    def __init__(self, config):
        self.config = config

    def __call__(self, images, do_normalize, do_center_crop, do_resize, do_rescale, return_tensors):
        assert do_normalize and not (do_center_crop or do_resize or do_rescale) and return_tensors == "pt"
        arrays = images.cpu().numpy()
        mean = np.array(self.config["image_mean"], dtype=arrays.dtype)
        std = np.array(self.config["image_std"], dtype=arrays.dtype)
        normalised = np.array([((a.T - mean) / std).T for a in arrays])
        return types.SimpleNamespace(pixel_values=torch.tensor(normalised))


CLIP_PROCESSOR_CONFIG = {
    "crop_size": {"height": 224, "width": 224}, "do_center_crop": True, "do_convert_rgb": True, "do_normalize": True,
    "do_rescale": True, "do_resize": True, "image_mean": [0.48145466, 0.4578275, 0.40821073],
    "image_processor_type": "CLIPImageProcessor", "image_std": [0.26862954, 0.26130258, 0.27577711],
    "resample": 3, "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224},
}

# ---------------------------------------------------------------------------------------------------------------


def install_stand_ins(upstream):
    sys.path.insert(0, upstream)
    safetensors = _module("safetensors", safe_open=None)
    safetensors.torch = _module("safetensors.torch", save_file=_save_file, load_file=_load_file)
    _module("transformers", CLIPVisionConfig=CLIPVisionConfig, CLIPVisionModelWithProjection=CLIPVisionModelWithProjection,
            CLIPImageProcessor=CLIPImageProcessor, __version__="4.41.0")


def perturb(model, generator):
    """Every parameter += 0.05·N(0, 1), so no weight is zero and no two layers coincide; each AlphaBlender gets its own mix."""
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("mix_factor"):
                parameter.fill_(float(torch.empty(()).uniform_(0.4, 2.0, generator=generator)) * (1 if torch.rand((), generator=generator) < 0.5 else -1))
            else:
                parameter.add_(0.05 * torch.randn(parameter.shape, generator=generator))


def make_picture(height, width, generator):
    """A smooth synthetic photo: gradients, a few discs and mild noise, as 8-bit RGB."""
    y, x = torch.meshgrid(torch.linspace(0, 1, height), torch.linspace(0, 1, width), indexing="ij")
    image = torch.stack([x, y, 0.5 + 0.5 * torch.sin(6 * x * y)], dim=-1) * 200
    for _ in range(4):
        cy, cx, r = torch.rand(3, generator=generator)
        disc = ((y - cy) ** 2 + (x - cx) ** 2 < (0.1 + 0.2 * r) ** 2).unsqueeze(-1)
        image = torch.where(disc, torch.rand(3, generator=generator) * 255, image)
    image = image + 8 * torch.randn(image.shape, generator=generator)
    return PIL.Image.fromarray(image.clamp(0, 255).round().to(torch.uint8).numpy())


def write_json(path, value):
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


def seeded_component(out, name, build, save_config, generator):
    """A network made by build() under a seed drawn from the generator, its weights perturbed, saved with its config
    in out/name; returns the model in eval mode and its folder."""
    torch.manual_seed(int(torch.randint(0, 2 ** 31, (), generator=generator)))
    model = build().eval()
    perturb(model, generator)
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    save_config(model, folder)
    _save_file(model.state_dict(), os.path.join(folder, "weights.safetensors"), {"format": "pt"})
    return model, folder


def clip_component(out, config, generator):
    model, folder = seeded_component(out, "clip_vision", lambda: CLIPVisionModelWithProjection(CLIPVisionConfig(**config)),
                                     lambda _, folder: write_json(os.path.join(folder, "config.json"), config), generator)
    pixel_values = torch.randn((2, 3, config["image_size"], config["image_size"]), generator=generator)
    with torch.no_grad():
        result = model(pixel_values)
    tensors = {"pixel_values": pixel_values, "image_embeds": result.image_embeds, "last_hidden_state": result.last_hidden_state,
               "intermediate.embeddings": result.embeddings, "intermediate.pooled_output": result.pooled_output}
    tensors.update({f"intermediate.hidden_states.{i}": h for i, h in enumerate(result.hidden_states)})
    _save_file(tensors, os.path.join(folder, "io.safetensors"))
    return model


def vae_component(out, diffusers, config, size, generator):
    model, folder = seeded_component(out, "vae", lambda: diffusers.AutoencoderKLTemporalDecoder(**config),
                                     lambda model, folder: model.save_config(folder), generator)
    height, width = size
    factor = 2 ** (len(config["block_out_channels"]) - 1)
    image = torch.randn((2, 3, height, width), generator=generator)
    tensors = {"encode.input": image, "scaling_factor": torch.tensor([model.config.scaling_factor])}
    with torch.no_grad():
        moments = model.quant_conv(model.encoder(image))
        posterior = model.encode(image).latent_dist
        tensors.update({"encode.moments": moments, "encode.mean": posterior.mean, "encode.std": posterior.std, "encode.logvar": posterior.logvar})
        for name, frames in (("decode", 3), ("decode_b2", 2)):
            z = torch.randn((frames, config["latent_channels"], height // factor, width // factor), generator=generator)
            tensors.update({f"{name}.z": z, f"{name}.num_frames": torch.tensor([float(frames)]), f"{name}.sample": model.decode(z, num_frames=frames).sample})
    _save_file(tensors, os.path.join(folder, "io.safetensors"))
    return model


def unet_component(out, diffusers, config, frames, latent_size, generator):
    model, folder = seeded_component(out, "unet", lambda: diffusers.UNetSpatioTemporalConditionModel(**config),
                                     lambda model, folder: model.save_config(folder), generator)

    h, w = latent_size
    sigma = torch.tensor([float(torch.empty(()).uniform_(0.5, 50, generator=generator))])
    inputs = {
        "sample": torch.randn((2, frames, config["in_channels"], h, w), generator=generator),
        "timestep": (0.25 * sigma.log()).to(torch.float32),
        "sigma": sigma,
        "encoder_hidden_states": torch.randn((2, 1, config["cross_attention_dim"]), generator=generator),
        "added_time_ids": torch.tensor([[5.0, 90.0, 0.04], [5.0, 90.0, 0.04]]),
        "seq3.encoder_hidden_states": torch.randn((2, 3, config["cross_attention_dim"]), generator=generator),
    }
    intermediates = {}

    def record(name, pick=lambda output: output):
        return lambda module, args, output: intermediates.__setitem__(name, pick(output).detach().clone())

    hooks = [getattr(model, name).register_forward_hook(record(name)) for name in ("time_proj", "time_embedding", "add_time_proj", "add_embedding", "conv_in", "conv_norm_out", "conv_out")]
    hooks.append(model.mid_block.register_forward_hook(record("mid_block")))
    for i, block in enumerate(model.down_blocks):
        hooks.append(block.register_forward_hook(record(f"down_blocks.{i}", lambda output: output[0])))
        for j in range(len(block.resnets) + (1 if getattr(block, "downsamplers", None) else 0)):
            hooks.append(block.register_forward_hook(record(f"down_blocks.{i}.res.{j}", lambda output, j=j: output[1][j])))
    for i, block in enumerate(model.up_blocks):
        hooks.append(block.register_forward_hook(record(f"up_blocks.{i}")))
    with torch.no_grad():
        out_sample = model(inputs["sample"], inputs["timestep"], encoder_hidden_states=inputs["encoder_hidden_states"], added_time_ids=inputs["added_time_ids"]).sample
        for hook in hooks:
            hook.remove()
        seq3 = model(inputs["sample"], inputs["timestep"], encoder_hidden_states=inputs["seq3.encoder_hidden_states"], added_time_ids=inputs["added_time_ids"]).sample
    inputs.update({"out_sample": out_sample, "seq3.out_sample": seq3})
    _save_file(inputs, os.path.join(folder, "io.safetensors"))
    _save_file(intermediates, os.path.join(folder, "unet_intermediates.safetensors"))
    return model


# The EulerDiscreteScheduler settings of img2vid-xt (diffusers adds its defaults when saving).
SVD_XT_SCHEDULER = {
    "_class_name": "EulerDiscreteScheduler", "beta_end": 0.012,
    "beta_schedule": "scaled_linear", "beta_start": 0.00085, "clip_sample": False, "interpolation_type": "linear",
    "num_train_timesteps": 1000, "prediction_type": "v_prediction", "set_alpha_to_one": False, "sigma_max": 700.0,
    "sigma_min": 0.002, "skip_prk_steps": True, "steps_offset": 1, "timestep_spacing": "leading",
    "timestep_type": "continuous", "trained_betas": None, "use_karras_sigmas": True,
}


def scheduler_component(out, diffusers, step_counts, loop_steps, loop_shape, generator):
    scheduler = diffusers.EulerDiscreteScheduler.from_config(SVD_XT_SCHEDULER)
    folder = os.path.join(out, "scheduler")
    os.makedirs(folder, exist_ok=True)
    scheduler.save_config(folder)
    os.replace(os.path.join(folder, "scheduler_config.json"), os.path.join(folder, "config.json"))
    scheduler.save_config(folder)
    tensors, schedules = {}, {}
    for n in step_counts:
        scheduler.set_timesteps(n)
        init = float(scheduler.init_noise_sigma)
        schedules[str(n)] = {"num_inference_steps": n, "sigmas": scheduler.sigmas.tolist(), "timesteps": scheduler.timesteps.tolist(), "init_noise_sigma": init}
        tensors.update({f"N{n}.sigmas": scheduler.sigmas, f"N{n}.timesteps": scheduler.timesteps, f"N{n}.init_noise_sigma": torch.tensor([init])})

    # A dummy model (0.1·t/(|t|+1) times the scaled input) drives a full loop through scheduler.step.
    scheduler.set_timesteps(loop_steps)
    noise = torch.randn(loop_shape, generator=generator)
    sample = noise * scheduler.init_noise_sigma
    loop = {"num_inference_steps": loop_steps, "shape": list(loop_shape), "initial_noise": noise.flatten().tolist(), "initial_sample": sample.flatten().tolist(), "steps": []}
    tensors.update({"loop.initial_noise": noise, "loop.initial_sample": sample})
    for i, t in enumerate(scheduler.timesteps):
        sigma, sigma_next = scheduler.sigmas[i], scheduler.sigmas[i + 1]
        scaled = scheduler.scale_model_input(sample, t)
        output = scaled * (0.1 * (t / (t.abs() + 1)))
        sample = scheduler.step(output, t, sample).prev_sample
        loop["steps"].append({"index": i, "timestep": float(t), "sigma": float(sigma), "sigma_next": float(sigma_next), "scaled_model_input": scaled.flatten().tolist(), "model_output": output.flatten().tolist(), "prev_sample": sample.flatten().tolist()})
        tensors.update({f"loop.step.{i}.timestep": t.reshape(1), f"loop.step.{i}.sigma": sigma.reshape(1), f"loop.step.{i}.sigma_next": sigma_next.reshape(1), f"loop.step.{i}.scaled_model_input": scaled, f"loop.step.{i}.model_output": output, f"loop.step.{i}.prev_sample": sample})
    loop["final_sample"] = sample.flatten().tolist()
    write_json(os.path.join(folder, "scheduler_fixture.json"), {
        "original_scheduler_config_json": SVD_XT_SCHEDULER, "effective_config": dict(scheduler.config), "schedules": schedules, "dummy_loop": loop,
        "dummy_model": "model_output = scaled_model_input * (0.1 * t / (|t| + 1)), in float32",
        "notes": "made by make_svd_set.py with diffusers' EulerDiscreteScheduler", "versions": versions(diffusers)})
    _save_file(tensors, os.path.join(folder, "io.safetensors"))
    return scheduler


def versions(diffusers):
    return {"diffusers": diffusers.__version__, "torch": torch.__version__, "numpy": np.__version__, "PIL": PIL.__version__}


def pipeline_component(out, diffusers, svd, models, call, resize_aa, generator):
    folder = os.path.join(out, "pipeline")
    os.makedirs(folder, exist_ok=True)
    picture = make_picture(call["height"], call["width"], generator)
    picture.save(os.path.join(folder, "input.png"))
    picture = PIL.Image.open(os.path.join(folder, "input.png")).convert("RGB")
    write_json(os.path.join(folder, "preprocessor_config.json"), CLIP_PROCESSOR_CONFIG)

    clip, vae, unet, scheduler = models
    pipe = svd.StableVideoDiffusionPipeline(vae=vae, image_encoder=clip, unet=unet, scheduler=scheduler, feature_extractor=CLIPImageProcessor(CLIP_PROCESSOR_CONFIG))
    pipe.set_progress_bar_config(disable=True)
    pipe.save_config(folder)

    factor = pipe.vae_scale_factor
    latent_shape = (1, call["num_frames"], unet.config.out_channels, call["height"] // factor, call["width"] // factor)
    latents_input = torch.randn(latent_shape, generator=generator)
    aug_noise = torch.randn((1, 3, call["height"], call["width"]), generator=generator)
    record = {"image": torch.from_numpy(np.asarray(picture, dtype=np.float32) / 255), "latents_input": latents_input, "aug_noise": aug_noise}

    # The pipeline draws one tensor itself (the augmentation noise, since latents are given); it gets ours.
    svd.randn_tensor = lambda shape, generator=None, device=None, dtype=None: aug_noise.clone()
    resize = svd._resize_with_antialiasing

    def recording_resize(x, size, *args, **kwargs):
        record["clip_resize_input"] = x.clone()
        record["clip_resized"] = resize(x, size, *args, **kwargs)
        return record["clip_resized"]

    svd._resize_with_antialiasing = recording_resize

    # The networks are wrapped (not hooked: torch 1.13's hooks cannot see keyword arguments) to record what they see.
    def wrap(model, before):
        forward = model.forward

        def recording(*a, **k):
            output = forward(*a, **k)
            before(a, k, output)
            return output

        model.forward = recording

    wrap(clip, lambda a, k, output: record.__setitem__("clip_pixel_values", a[0].clone()))
    wrap(vae.encoder, lambda a, k, output: record.__setitem__("vae_encoder_input", a[0].clone()))
    unet_calls = []
    wrap(unet, lambda a, k, output: unet_calls.append((a[0].clone(), a[1], output[0].clone())))
    encode_image, encode_vae = pipe._encode_image, pipe._encode_vae_image
    pipe._encode_image = lambda *a, **k: record.setdefault("image_embeddings", encode_image(*a, **k))
    pipe._encode_vae_image = lambda *a, **k: record.setdefault("image_latents", encode_vae(*a, **k))
    preprocess = pipe.video_processor.preprocess
    pipe.video_processor.preprocess = lambda *a, **k: record.setdefault("vae_image_preprocessed", preprocess(*a, **k))
    decode = pipe.decode_latents

    def recording_decode(latents, *a, **k):
        record["latents_final"] = latents.clone()
        record["frames_decoded"] = decode(latents, *a, **k)
        return record["frames_decoded"]

    pipe.decode_latents = recording_decode
    steps = []

    def on_step_end(pipeline, i, t, tensors):
        steps.append(tensors["latents"].clone())
        return {}

    with torch.no_grad():
        frames = pipe(picture, latents=latents_input, callback_on_step_end=on_step_end, **call).frames

    guidance = torch.linspace(call["min_guidance_scale"], call["max_guidance_scale"], call["num_frames"])
    record.update({
        "added_time_ids": torch.tensor([[call["fps"] - 1, call["motion_bucket_id"], call["noise_aug_strength"]]] * 2, dtype=torch.float32),
        "latents_initial_scaled": latents_input * scheduler.init_noise_sigma, "guidance_scale": guidance,
        "sigmas": scheduler.sigmas.to(torch.float32), "timesteps": scheduler.timesteps.to(torch.float32),
        "init_noise_sigma": torch.tensor([float(scheduler.init_noise_sigma)]), "frames": frames,
    })
    for i, ((unet_input, t, unet_output), latents_after) in enumerate(zip(unet_calls, steps)):
        uncond, cond = unet_output.chunk(2)
        record.update({f"step.{i}.unet_input": unet_input, f"step.{i}.timestep": torch.as_tensor(t, dtype=torch.float32).reshape(1), f"step.{i}.unet_output": unet_output,
                       f"step.{i}.noise_pred_cfg": uncond + guidance.reshape(1, -1, 1, 1, 1) * (cond - uncond), f"step.{i}.latents_after": latents_after})

    aa_input = torch.randn((1, 3) + tuple(resize_aa), generator=generator).clamp(-1, 1)
    record.update({"resize_aa.input": aa_input, "resize_aa.output": resize(aa_input, (224, 224))})
    _save_file(record, os.path.join(folder, "io.safetensors"))

    params = dict(call)
    params.update({"num_videos_per_prompt": 1, "batch_size": 1, "vae_scale_factor": factor, "latents_shape": list(latent_shape),
                   "aug_noise_shape": list(aug_noise.shape), "resize_aa": {"input_shape": [1, 3] + list(resize_aa), "size": [224, 224]},
                   "components": {"image_encoder": "../clip_vision", "vae": "../vae", "unet": "../unet", "scheduler": "../scheduler (real SVD-xt config)", "feature_extractor": "preprocessor_config.json"},
                   "versions": versions(diffusers)})
    write_json(os.path.join(folder, "params.json"), params)


def check_clip(reference):
    """The stand-in CLIP against a set made with the real transformers: every output must be bit-identical."""
    folder = os.path.join(reference, "clip_vision")
    with open(os.path.join(folder, "config.json")) as f:
        model = CLIPVisionModelWithProjection(CLIPVisionConfig(**json.load(f))).eval()
    model.load_state_dict(_load_file(os.path.join(folder, "weights.safetensors")))
    io = _load_file(os.path.join(folder, "io.safetensors"))
    with torch.no_grad():
        result = model(io["pixel_values"])
    pairs = [("image_embeds", result.image_embeds), ("last_hidden_state", result.last_hidden_state)]
    pairs += [(f"intermediate.hidden_states.{i}", h) for i, h in enumerate(result.hidden_states) if f"intermediate.hidden_states.{i}" in io]
    for name, actual in pairs:
        difference = (actual - io[name]).abs().max().item()
        print(f"check-clip {name}: max |difference| {difference}")
        if difference != 0:
            sys.exit(f"the CLIP stand-in differs from transformers on {name}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--upstream", required=True, help="folder holding the diffusers (v0.29.2) and huggingface_hub (v0.23.5) packages")
    parser.add_argument("--out", required=True)
    parser.add_argument("--seed", type=int, default=20261207)
    parser.add_argument("--unet-channels", default="32,64", help="the UNet's block_out_channels (multiples of 32: its GroupNorms have 32 groups)")
    parser.add_argument("--check-clip", help="a set made with the real transformers (svd-tiny) to check the CLIP stand-in against first")
    args = parser.parse_args()
    torch.set_num_threads(2)
    install_stand_ins(args.upstream)
    if args.check_clip:
        check_clip(args.check_clip)
    import diffusers
    import diffusers.pipelines.stable_video_diffusion.pipeline_stable_video_diffusion as svd

    generator = torch.Generator().manual_seed(args.seed)
    os.makedirs(args.out, exist_ok=True)
    # Other sizes than svd-tiny: a wider CLIP with more layers, a two-level VAE, a UNet whose blocks are in the
    # other order, a non-square photo whose sides are not a power of two, four frames decoded three at a time.
    clip = clip_component(args.out, {
        "architectures": ["CLIPVisionModelWithProjection"], "attention_dropout": 0.0, "hidden_act": "gelu", "hidden_size": 48,
        "image_size": 224, "initializer_factor": 1.0, "initializer_range": 0.02, "intermediate_size": 80, "layer_norm_eps": 1e-05,
        "model_type": "clip_vision_model", "num_attention_heads": 3, "num_channels": 3, "num_hidden_layers": 3, "patch_size": 28,
        "projection_dim": 24, "torch_dtype": "float32", "transformers_version": "4.41.0"}, generator)
    vae = vae_component(args.out, diffusers, {"block_out_channels": [32, 64], "down_block_types": ["DownEncoderBlock2D"] * 2, "layers_per_block": 1, "latent_channels": 4, "sample_size": 48}, (24, 40), generator)
    unet = unet_component(args.out, diffusers, {
        "sample_size": 12, "in_channels": 8, "out_channels": 4, "block_out_channels": [int(c) for c in args.unet_channels.split(",")], "layers_per_block": 1,
        "down_block_types": ["DownBlockSpatioTemporal", "CrossAttnDownBlockSpatioTemporal"],
        "up_block_types": ["CrossAttnUpBlockSpatioTemporal", "UpBlockSpatioTemporal"],
        "addition_time_embed_dim": 16, "projection_class_embeddings_input_dim": 48, "cross_attention_dim": 24,
        "num_attention_heads": [2, 4], "transformer_layers_per_block": 1, "num_frames": 4}, 4, (12, 20), generator)
    scheduler = scheduler_component(args.out, diffusers, [30, 7, 3], 6, (1, 3, 2, 3), generator)
    call = {"height": 40, "width": 56, "num_frames": 4, "num_inference_steps": 3, "min_guidance_scale": 1.5, "max_guidance_scale": 3.0,
            "fps": 6, "motion_bucket_id": 100, "noise_aug_strength": 0.05, "decode_chunk_size": 3, "output_type": "pt"}
    pipeline_component(args.out, diffusers, svd, (clip, vae, unet, scheduler), call, (90, 400), generator)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
