"""Zoo models against torchvision, module by module: for every torchvision module with
parameters or MACs (and every parameter held directly by a module, ConvNeXt's `layer_scale`),
the cnncalc row of the same path must have the same parameter count, the same MACs and the same
output shape; then the totals. An independent check of the zoo files: torchvision builds the
model, cnncalc reads the YAML, and nothing is shared.

    CNNCALC=/path/to/cnncalc /work/venvs/tv/bin/python benchmarks/torchvision_compare.py [NAME ...]

Needs torch and torchvision (not a test: CI has neither); cnncalc runs as a command (CNNCALC,
default `cnncalc` on PATH, reading this checkout's zoo), so the two need not share a venv.
MACs of a torchvision module: Conv2d numel(out)·(C_in/groups)·k_h·k_w, Linear
numel(out)·in_features (a Linear on a channels-last map is cnncalc's 1x1 conv). Exit status 1
on any difference.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import torch
import torchvision

ZOO = Path(__file__).resolve().parents[1] / "architectures"

MODELS = {  # zoo name: (torchvision builder, input size)
    "shufflenet_v2_x1_0": ("shufflenet_v2_x1_0", 224),
    "convnext_tiny": ("convnext_tiny", 224),
}


def torchvision_rows(builder: str, size: int) -> tuple[dict[str, tuple], int]:
    """path -> (params, MACs, output shape C x H x W or F), and the total parameters."""
    model = getattr(torchvision.models, builder)(weights=None).eval()
    rows: dict[str, tuple] = {}

    def hook(name):
        def record(module, inputs, output):
            params = sum(p.numel() for p in module.parameters(recurse=False))
            shape = tuple(output.shape[1:])
            if isinstance(module, torch.nn.Conv2d):
                k = math.prod(module.kernel_size)
                macs = output.numel() * module.in_channels // module.groups * k
            elif isinstance(module, torch.nn.Linear):
                macs = output.numel() * module.in_features
            else:
                macs = 0
            # channels last (between ConvNeXt's Permutes): a Linear, or a plain LayerNorm (not
            # its LayerNorm2d subclass, which permutes itself), as C x H x W
            channels_last = isinstance(module, torch.nn.Linear) or (
                type(module) is torch.nn.LayerNorm
            )
            if channels_last and output.dim() == 4:
                shape = (shape[2], shape[0], shape[1])
            if name in rows:  # a module run twice would be counted once: say so
                raise SystemExit(f"{builder}: {name} runs twice")
            rows[name] = (params, macs, shape)

        return record

    for name, module in model.named_modules():
        if not list(module.children()):
            module.register_forward_hook(hook(name))
        else:  # parameters held by a container (layer_scale): their own rows
            for pname, p in module.named_parameters(recurse=False):
                rows[f"{name}.{pname}"] = (p.numel(), 0, None)
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return rows, sum(p.numel() for p in model.parameters())


def compare(zoo: str) -> list[str]:
    builder, size = MODELS[zoo]
    theirs, total = torchvision_rows(builder, size)
    command = [os.environ.get("CNNCALC", "cnncalc"), "summary", str(ZOO / f"{zoo}.yaml"),
               "--input", f"3x{size}x{size}", "-f", "json"]
    report = json.loads(subprocess.run(command, capture_output=True, check=True, text=True).stdout)
    ours = {r["path"]: r for r in report["layers"]}
    problems = []
    checked = 0
    for path, (params, macs, shape) in theirs.items():
        if params == 0 and macs == 0:
            continue  # relu, pooling, permute: no count to compare (shapes follow from the rest)
        row = ours.get(path)
        if row is None:
            problems.append(f"{path}: no cnncalc row (torchvision: {params} params, {macs} MACs)")
            continue
        checked += 1
        mine = (row["params"], row["macs"], tuple(row["output"]) if shape is not None else None)
        if mine != (params, macs, shape):
            problems.append(f"{path}: cnncalc {mine}, torchvision {(params, macs, shape)}")
    their_macs = sum(m for _, m, _ in theirs.values())
    params, macs = report["totals"]["params"], report["totals"]["macs"]
    print(f"{zoo}: {checked} modules compared; params cnncalc {params:,} torchvision {total:,}; "
          f"MACs cnncalc {macs:,} torchvision {their_macs:,} ({their_macs / 1e9:.2f} G)")
    if params != total:
        problems.append(f"total params {params:,} != {total:,}")
    if macs != their_macs:
        problems.append(f"total MACs {macs:,} != {their_macs:,}")
    return problems


def main() -> int:
    names = sys.argv[1:] or list(MODELS)
    bad = False
    for zoo in names:
        if not (ZOO / f"{zoo}.yaml").exists():
            print(f"{zoo}: not in the zoo (architectures/{zoo}.yaml), skipped")
            continue
        problems = compare(zoo)
        for line in problems:
            print("  ✗", line)
        bad |= bool(problems)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
