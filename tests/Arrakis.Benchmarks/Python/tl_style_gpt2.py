#!/usr/bin/env python3
"""A TransformerLens-style GPT-2 in PyTorch eager: the peer Arrakis's forward pass is measured against.

The components follow TransformerLens's own (transformer_lens/components: LayerNorm, Attention, MLP with gelu_new,
Embed, PosEmbed, Unembed, TransformerBlock, HookPoint), with the same hook names and the same order of operations,
so the comparison is against the engine TransformerLens users run, not against a hand-tuned kernel. Weights come
from a Hugging Face GPT-2 folder (model.safetensors + config.json), converted as TransformerLens's
convert_gpt2_weights does.

No package beyond torch (and the standard library) is needed: safetensors are parsed here.

Driven over stdin/stdout by tests/Arrakis.Benchmarks (ForwardVersusPyTorchProbe) and by tests/gpu, one command a
line, one JSON reply a line:
    load FOLDER                 load (or reload) the model; replies {"ms": load time}
    tokens PATH BATCH POS       int64 tokens, raw little-endian, row-major
    forward | cache | ablate | backward     one timed operation; replies {"ms": …, "check": a logit}
    dump PATH                   writes the last logits as raw float32
    memory                      {"rss_mb", "peak_rss_mb", "cuda_peak_mb", "cuda_mb"}, then resets both peaks
    quit
Options: --device cpu|cuda, --dtype float32|bfloat16|float16, --threads N.
"""
import argparse
import contextlib
import json
import math
import os
import resource
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------- safetensors reading
_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64, "I64": torch.int64}


def read_safetensors(path):
    """Reads every tensor of a safetensors file (the whole file is read once, then viewed)."""
    with open(path, "rb") as f:
        data = f.read()
    (header_len,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_len])
    base = 8 + header_len
    buffer = bytearray(data)  # writable, so torch.frombuffer does not warn
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        dtype = _DTYPES[info["dtype"]]
        count = (end - start) // torch.empty((), dtype=dtype).element_size()
        t = torch.frombuffer(buffer, dtype=dtype, count=count, offset=base + start)
        out[name] = t.reshape(info["shape"])
    return out


def convert_gpt2_weights(hf, cfg):
    """transformer_lens.pretrained.weight_conversions.gpt2.convert_gpt2_weights, in plain torch."""
    p = "transformer." if "transformer.wte.weight" in hf else ""
    h, dh, d = cfg["n_heads"], cfg["d_head"], cfg["d_model"]
    sd = {"embed.W_E": hf[p + "wte.weight"], "pos_embed.W_pos": hf[p + "wpe.weight"]}
    for l in range(cfg["n_layers"]):
        n = f"{p}h.{l}."
        b = f"blocks.{l}."
        sd[b + "ln1.w"] = hf[n + "ln_1.weight"]
        sd[b + "ln1.b"] = hf[n + "ln_1.bias"]
        W = hf[n + "attn.c_attn.weight"]
        W_Q, W_K, W_V = torch.tensor_split(W, 3, dim=1)
        sd[b + "attn.W_Q"] = W_Q.reshape(d, h, dh).permute(1, 0, 2)  # "m (i h)->i m h"
        sd[b + "attn.W_K"] = W_K.reshape(d, h, dh).permute(1, 0, 2)
        sd[b + "attn.W_V"] = W_V.reshape(d, h, dh).permute(1, 0, 2)
        qkv_bias = hf[n + "attn.c_attn.bias"].reshape(3, h, dh)
        sd[b + "attn.b_Q"], sd[b + "attn.b_K"], sd[b + "attn.b_V"] = qkv_bias[0], qkv_bias[1], qkv_bias[2]
        sd[b + "attn.W_O"] = hf[n + "attn.c_proj.weight"].reshape(h, dh, d)
        sd[b + "attn.b_O"] = hf[n + "attn.c_proj.bias"]
        sd[b + "ln2.w"] = hf[n + "ln_2.weight"]
        sd[b + "ln2.b"] = hf[n + "ln_2.bias"]
        sd[b + "mlp.W_in"] = hf[n + "mlp.c_fc.weight"]
        sd[b + "mlp.b_in"] = hf[n + "mlp.c_fc.bias"]
        sd[b + "mlp.W_out"] = hf[n + "mlp.c_proj.weight"]
        sd[b + "mlp.b_out"] = hf[n + "mlp.c_proj.bias"]
    sd["ln_final.w"] = hf[p + "ln_f.weight"]
    sd["ln_final.b"] = hf[p + "ln_f.bias"]
    sd["unembed.W_U"] = hf["lm_head.weight"].T if "lm_head.weight" in hf else hf[p + "wte.weight"].T
    sd["unembed.b_U"] = torch.zeros(cfg["d_vocab"], dtype=sd["unembed.W_U"].dtype)
    return sd


# ------------------------------------------------------------------------------------------ TransformerLens-style model
class HookPoint(nn.Module):
    """TL HookPoint: an identity whose forward hooks may read or replace the activation."""

    def __init__(self):
        super().__init__()
        self.name = None

    def forward(self, x):
        return x


class LayerNorm(nn.Module):
    def __init__(self, cfg, length):
        super().__init__()
        self.eps = cfg["eps"]
        self.w = nn.Parameter(torch.ones(length))
        self.b = nn.Parameter(torch.zeros(length))
        self.hook_scale = HookPoint()
        self.hook_normalized = HookPoint()

    def forward(self, x):
        x = x - x.mean(-1, keepdim=True)
        scale = self.hook_scale((x.pow(2).mean(-1, keepdim=True) + self.eps).sqrt())
        x = x / scale
        return self.hook_normalized(x * self.w + self.b)


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        h, d, dh = cfg["n_heads"], cfg["d_model"], cfg["d_head"]
        self.cfg = cfg
        self.W_Q = nn.Parameter(torch.empty(h, d, dh))
        self.W_K = nn.Parameter(torch.empty(h, d, dh))
        self.W_V = nn.Parameter(torch.empty(h, d, dh))
        self.W_O = nn.Parameter(torch.empty(h, dh, d))
        self.b_Q = nn.Parameter(torch.zeros(h, dh))
        self.b_K = nn.Parameter(torch.zeros(h, dh))
        self.b_V = nn.Parameter(torch.zeros(h, dh))
        self.b_O = nn.Parameter(torch.zeros(d))
        self.register_buffer("mask", torch.tril(torch.ones(cfg["n_ctx"], cfg["n_ctx"]).bool()), persistent=False)
        self.register_buffer("IGNORE", torch.tensor(-torch.inf), persistent=False)
        self.attn_scale = math.sqrt(dh)
        for name in ["hook_k", "hook_q", "hook_v", "hook_z", "hook_attn_scores", "hook_pattern"]:
            setattr(self, name, HookPoint())

    @staticmethod
    def _linear(x, W, b):
        # TL's simple_attn_linear: rearrange the weight to [(head d_head), d_model] and call F.linear.
        w = W.permute(0, 2, 1).reshape(-1, W.shape[1])  # "head_index d_model d_head -> (head_index d_head) d_model"
        return F.linear(x, w, b.reshape(-1)).reshape(x.shape[0], x.shape[1], b.shape[0], b.shape[1])

    def forward(self, x):
        q = self.hook_q(self._linear(x, self.W_Q, self.b_Q))
        k = self.hook_k(self._linear(x, self.W_K, self.b_K))
        v = self.hook_v(self._linear(x, self.W_V, self.b_V))
        # TL calculate_attention_scores: "batch query_pos head_index d_head, batch key_pos head_index d_head -> batch head_index query_pos key_pos"
        q_ = q.permute(0, 2, 1, 3)
        k_ = k.permute(0, 2, 3, 1)
        attn_scores = q_ @ k_ / self.attn_scale
        pos = x.shape[1]
        attn_scores = torch.where(self.mask[:pos, :pos], attn_scores, self.IGNORE)  # TL apply_causal_mask
        attn_scores = self.hook_attn_scores(attn_scores)
        pattern = F.softmax(attn_scores, dim=-1)
        pattern = torch.where(torch.isnan(pattern), torch.zeros_like(pattern), pattern)
        pattern = self.hook_pattern(pattern)
        pattern = pattern.to(self.cfg["dtype"])
        # TL calculate_z_scores
        v_ = v.permute(0, 2, 1, 3)
        z = self.hook_z((pattern @ v_).permute(0, 2, 1, 3))
        # TL: F.linear over z flattened, with W_O rearranged "head_index d_head d_model -> d_model (head_index d_head)"
        w = self.W_O.reshape(-1, self.W_O.shape[-1]).T
        return F.linear(z.reshape(z.shape[0], z.shape[1], -1), w, self.b_O)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d, f = cfg["d_model"], cfg["d_mlp"]
        self.W_in = nn.Parameter(torch.empty(d, f))
        self.b_in = nn.Parameter(torch.zeros(f))
        self.W_out = nn.Parameter(torch.empty(f, d))
        self.b_out = nn.Parameter(torch.zeros(d))
        self.hook_pre = HookPoint()
        self.hook_post = HookPoint()

    def forward(self, x):
        # TL MLP: batch_addmm(b_in, W_in, x), act_fn = gelu_new, batch_addmm(b_out, W_out, post)
        pre = self.hook_pre(torch.addmm(self.b_in, x.reshape(-1, x.shape[-1]), self.W_in).reshape(*x.shape[:-1], -1))
        post = self.hook_post(0.5 * pre * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (pre + 0.044715 * torch.pow(pre, 3.0)))))
        return torch.addmm(self.b_out, post.reshape(-1, post.shape[-1]), self.W_out).reshape(*post.shape[:-1], -1)


class TransformerBlock(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln1 = LayerNorm(cfg, cfg["d_model"])
        self.attn = Attention(cfg)
        self.ln2 = LayerNorm(cfg, cfg["d_model"])
        self.mlp = MLP(cfg)
        for name in ["hook_attn_out", "hook_mlp_out", "hook_resid_pre", "hook_resid_mid", "hook_resid_post"]:
            setattr(self, name, HookPoint())

    def forward(self, resid_pre):
        resid_pre = self.hook_resid_pre(resid_pre)
        attn_out = self.hook_attn_out(self.attn(self.ln1(resid_pre)))
        resid_mid = self.hook_resid_mid(resid_pre + attn_out)
        mlp_out = self.hook_mlp_out(self.mlp(self.ln2(resid_mid)))
        return self.hook_resid_post(resid_mid + mlp_out)


class HookedGpt2(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Module()
        self.embed.W_E = nn.Parameter(torch.empty(cfg["d_vocab"], cfg["d_model"]))
        self.hook_embed = HookPoint()
        self.pos_embed = nn.Module()
        self.pos_embed.W_pos = nn.Parameter(torch.empty(cfg["n_ctx"], cfg["d_model"]))
        self.hook_pos_embed = HookPoint()
        self.blocks = nn.ModuleList([TransformerBlock(cfg) for _ in range(cfg["n_layers"])])
        self.ln_final = LayerNorm(cfg, cfg["d_model"])
        self.unembed = nn.Module()
        self.unembed.W_U = nn.Parameter(torch.empty(cfg["d_model"], cfg["d_vocab"]))
        self.unembed.b_U = nn.Parameter(torch.zeros(cfg["d_vocab"]))
        for name, module in self.named_modules():
            if isinstance(module, HookPoint):
                module.name = name

    def forward(self, tokens):
        pos = tokens.shape[1]
        residual = self.hook_embed(self.embed.W_E[tokens, :]) + self.hook_pos_embed(self.pos_embed.W_pos[:pos, :].unsqueeze(0))
        for block in self.blocks:
            residual = block(residual)
        residual = self.ln_final(residual)
        # TL Unembed: einsum over d_model, then + b_U
        return residual @ self.unembed.W_U + self.unembed.b_U

    def hook_points(self):
        return [m for m in self.modules() if isinstance(m, HookPoint)]

    def run_with_cache(self, tokens):
        """TL run_with_cache: a forward hook on every point keeps the detached activation."""
        cache = {}
        handles = [hp.register_forward_hook(lambda m, i, o: cache.__setitem__(m.name, o.detach())) for hp in self.hook_points()]
        try:
            with torch.no_grad():
                logits = self(tokens)
        finally:
            for h in handles:
                h.remove()
        return logits, cache


def load(folder, device, dtype):
    with open(os.path.join(folder, "config.json")) as f:
        hf_cfg = json.load(f)
    d = hf_cfg["n_embd"]
    cfg = {
        "d_model": d, "n_heads": hf_cfg["n_head"], "d_head": d // hf_cfg["n_head"], "n_layers": hf_cfg["n_layer"],
        "d_mlp": hf_cfg.get("n_inner") or 4 * d, "d_vocab": hf_cfg["vocab_size"], "n_ctx": hf_cfg["n_positions"],
        "eps": hf_cfg.get("layer_norm_epsilon", 1e-5), "dtype": dtype,
    }
    hf = read_safetensors(os.path.join(folder, "model.safetensors"))
    state = convert_gpt2_weights(hf, cfg)
    # Parameters are made with torch.empty (no initialisation cost), on the device where torch can (2.0 and later).
    on_device = torch.device(device) if hasattr(torch.device, "__enter__") else contextlib.nullcontext()
    with on_device:
        model = HookedGpt2(cfg)
    model = model.to(device)
    model.load_state_dict(state, strict=True)  # copies into the model's own (contiguous) parameters, as TL does
    del hf, state
    return model.to(dtype).eval()


# --------------------------------------------------------------------------------------------------------- the driver
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    cuda = device.type == "cuda"

    def sync():
        if cuda:
            torch.cuda.synchronize()

    model = None
    tokens = None
    logits = None
    folder = None
    reply = lambda obj: (sys.stdout.write(json.dumps(obj) + "\n"), sys.stdout.flush())
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(), "device": str(device)}
    try:
        config = torch.__config__.show()
        info["blas"] = [part.strip() for part in config.replace("\n", ",").split(",") if "BLAS_INFO" in part or "BLAS" in part.split("=")[0]][:3]
    except Exception:  # noqa: BLE001 - informational only
        pass
    reply(info)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        cmd = parts[0]
        try:
            if cmd == "quit":
                break
            if cmd == "load":
                folder = parts[1] if len(parts) > 1 else folder
                model = logits = None
                if cuda:
                    torch.cuda.empty_cache()
                sync()
                start = time.perf_counter()
                model = load(folder, device, dtype)
                sync()
                reply({"ms": (time.perf_counter() - start) * 1000})
            elif cmd == "tokens":
                path, batch, pos = parts[1], int(parts[2]), int(parts[3])
                with open(path, "rb") as f:
                    raw = bytearray(f.read())
                tokens = torch.frombuffer(raw, dtype=torch.int64).reshape(batch, pos).to(device)
                reply({"ok": True})
            elif cmd in ("forward", "cache", "ablate", "backward"):
                logits = None
                sync()
                start = time.perf_counter()
                if cmd == "forward":
                    with torch.no_grad():
                        logits = model(tokens)
                    check = logits[0, 0, 0].item()
                elif cmd == "cache":
                    logits, cache = model.run_with_cache(tokens)
                    check = logits[0, 0, 0].item()
                    del cache
                elif cmd == "ablate":
                    def zero_head(module, inputs, output):
                        output[:, :, 0, :] = 0.0
                        return output
                    handle = model.blocks[0].attn.hook_z.register_forward_hook(zero_head)
                    try:
                        with torch.no_grad():
                            logits = model(tokens)
                    finally:
                        handle.remove()
                    check = logits[0, 0, 0].item()
                else:
                    model.zero_grad(set_to_none=True)
                    out = model(tokens)
                    loss = F.cross_entropy(out[:, :-1].reshape(-1, out.shape[-1]).float(), tokens[:, 1:].reshape(-1))
                    loss.backward()
                    check = loss.item()
                    del out, loss
                    model.zero_grad(set_to_none=True)
                sync()
                reply({"ms": (time.perf_counter() - start) * 1000, "check": check})
            elif cmd == "dump":
                logits.float().cpu().contiguous().numpy().tofile(parts[1])
                reply({"ok": True})
            elif cmd == "memory":
                status = {}
                with open("/proc/self/status") as f:
                    for row in f:
                        key, _, value = row.partition(":")
                        if key in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                            status[key] = int(value.split()[0]) / 1024
                result = {"rss_mb": status.get("VmRSS"), "peak_rss_mb": status.get("VmHWM"),
                          "anon_mb": status.get("RssAnon"), "file_mb": status.get("RssFile")}
                if cuda:
                    result["cuda_peak_mb"] = torch.cuda.max_memory_allocated() / 2**20
                    result["cuda_mb"] = torch.cuda.memory_allocated() / 2**20
                    torch.cuda.reset_peak_memory_stats()
                try:  # "5" resets VmHWM (Linux 4.0 and later), so the next reading is the peak of what follows
                    with open("/proc/self/clear_refs", "w") as f:
                        f.write("5")
                except OSError:
                    pass
                reply(result)
            else:
                reply({"error": f"unknown command {cmd}"})
        except Exception as e:  # noqa: BLE001 - reported to the driver, which fails the probe
            reply({"error": f"{type(e).__name__}: {e}"})


if __name__ == "__main__":
    main()
