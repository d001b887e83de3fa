"""Cross-check a cnncalc architecture against the torchvision model it describes, layer by layer.

Run it with a Python that has torch and torchvision (never from the tests: CI has neither); it
reads cnncalc's side through `cnncalc summary -f json` in a subprocess, so that Python needs no
cnncalc and cnncalc needs no torch:

    /work/venvs/tv/bin/python benchmarks/torchvision_compare.py resnext50_32x4d \\
        --cnncalc /work/venvs/z/bin/cnncalc
    python benchmarks/torchvision_compare.py fcn_resnet50 --input 3x520x520
    python benchmarks/torchvision_compare.py googlenet --kw aux_logits=false
    python benchmarks/torchvision_compare.py squeezenet1_0 my_squeeze.yaml --input 3x224x224 -v

Arguments: TORCHVISION_NAME (as `torchvision.models.get_model` takes it), then optionally the
cnncalc zoo name or file (default: the same name), `--input CxHxW` (default: the cnncalc
file's own input), `--kw key=value` for the torchvision builder (repeatable; ints, floats,
true/false; googlenet and inception_v3 build their aux heads unless `--kw aux_logits=false`;
the segmentation models are built with theirs, `aux_loss=True`, as the zoo's files and the
released weights have it, unless `--kw aux_loss=false`), `--set` passed on to cnncalc,
and `--cnncalc CMD` (default: `cnncalc` on PATH, else `$CNNCALC`).

What it compares. torchvision's side is recorded with a forward hook on every leaf module (one
without children), in the order the calls finish, in eval mode, on one zero image: the module
name, class, output shape (per sample) and parameter count, and the MACs of each Conv2d
(C_out·H_o·W_o · C_in/groups · k_h·k_w), ConvTranspose2d (C_in·H_i·W_i · C_out/groups · k_h·k_w)
and Linear (in·out per output vector). A module called twice (torchvision's ResNets reuse one
`relu`) is recorded twice; its parameters count once in the totals. cnncalc's side is its rows.

The two sides are matched on the layers that hold parameters (conv, linear, batch norm), which
both sides list in execution order (a pair may be up to 12 rows out of order: cnncalc lists a
residual's shortcut after its body, where RegNet runs its `proj` first); functional steps
(torch.flatten, F.interpolate, `+=`) have no module and pooling has no parameters, but a wrong
pool shows at the next weight layer. For
each pair: the kind (Conv2d ↔ conv, …), the output shape and the parameter count must agree;
the first disagreement is printed with its neighbours and the exit status is 1. Then the
totals: parameters (model.parameters()), MACs of conv/linear (hooks) against cnncalc's
`totals.macs`, and the final output shape (a segmentation model's `out`). Names are reported,
not required: how many matched pairs carry torchvision's module name, after mapping cnncalc's
fixed segment `shortcut` (a residual's projection) to torchvision's `downsample`, and the first
that does not.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

KINDS = {  # torch class -> cnncalc type, for the layers that hold parameters
    "Conv2d": "conv",
    "ConvTranspose2d": "conv_transpose",
    "Linear": "linear",
    "BatchNorm2d": "bn",
    "GroupNorm": "group_norm",
    "LayerNorm2d": "layer_norm",  # ConvNeXt's, over the channels
    "LayerNorm": "layer_norm",  # ConvNeXt's block runs it channels last: cnncalc's layer_norm
    "Linear (channels last)": "conv",  # a Linear on a channels-last map is a 1x1 conv
    "Parameter": "layer_scale",  # held by a module with children (ConvNeXt's CNBlock)
}
SEGMENTS = {"shortcut": "downsample"}  # cnncalc's fixed path segments -> torchvision's
WINDOW = 12  # how far ahead a pair may be found (RegNetY: 8 weight rows before `proj`)


@dataclass
class Call:
    name: str
    kind: str  # torch class name
    output: tuple[int, ...]
    params: int
    macs: int


def parse_value(text: str) -> Any:
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "none":
        return None
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def torch_calls(name: str, kwargs: dict[str, Any], shape: list[int]) -> tuple[list[Call], Any, int]:
    """Run torchvision's model once; return its leaf calls, its output and its parameter count."""
    import torch
    import torchvision

    builder = torchvision.models.get_model_builder(name)
    if "weights_backbone" in inspect.signature(builder).parameters:
        kwargs = {"weights_backbone": None, **kwargs}  # else it downloads ImageNet weights
    if "aux_loss" in inspect.signature(builder).parameters:
        kwargs = {"aux_loss": True, **kwargs}  # the zoo's segmentation files have the aux head
    model = builder(weights=None, **kwargs).eval()
    calls: list[Call] = []

    def hook(module: Any, inputs: Any, output: Any, qualname: str) -> None:
        kind = type(module).__name__
        params = sum(p.numel() for p in module.parameters(recurse=False))
        out = tuple(output.shape[1:]) if isinstance(output, torch.Tensor) else ()
        macs = 0
        if isinstance(module, torch.nn.Conv2d):
            kh, kw = module.kernel_size
            macs = output[0].numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, torch.nn.ConvTranspose2d):
            kh, kw = module.kernel_size
            macs = inputs[0][0].numel() * (module.out_channels // module.groups) * kh * kw
        elif isinstance(module, torch.nn.Linear):
            macs = output[0].numel() * module.in_features
        if kind in ("Linear", "LayerNorm") and len(out) == 3:  # channels last: H x W x C
            out = (out[2], out[0], out[1])
            kind = "Linear (channels last)" if kind == "Linear" else kind
        calls.append(Call(qualname, kind, out, params, macs))

    def held(module: Any, inputs: Any, output: Any, qualname: str) -> None:
        """Parameters of a module with children (ConvNeXt's layer_scale), after its children."""
        for pname, p in module.named_parameters(recurse=False):
            calls.append(Call(f"{qualname}.{pname}", "Parameter", tuple(output.shape[1:]),
                              p.numel(), 0))

    for qualname, module in model.named_modules():
        if not any(True for _ in module.children()):
            module.register_forward_hook(
                lambda m, i, o, q=qualname: hook(m, i, o, q)  # type: ignore[misc]
            )
        elif any(True for _ in module.parameters(recurse=False)):
            module.register_forward_hook(
                lambda m, i, o, q=qualname: held(m, i, o, q)  # type: ignore[misc]
            )
    with torch.no_grad():
        output = model(torch.zeros(1, *shape))
    if isinstance(output, dict):  # segmentation models: {"out": ..., "aux": ...}
        output = output["out"]
    if isinstance(output, tuple):  # GoogLeNet/Inception in training: (logits, aux...)
        output = output[0]
    total = sum(p.numel() for p in model.parameters())
    called = {c.name for c in calls}
    idle = sum(
        p.numel()
        for q, m in model.named_modules()
        if q not in called and not any(True for _ in m.children())
        for p in m.parameters(recurse=False)
    )
    if idle:  # an aux head that eval mode skips: its parameters count, it never runs
        print(f"torchvision: {idle:,} parameters sit in modules this forward never calls")
    return calls, tuple(output.shape[1:]), total


def cnncalc_report(
    cli: list[str], arch: str, shape: str | None, bind: str | None
) -> dict[str, Any]:
    args = [*cli, "summary", arch, "-f", "json"]
    if shape:
        args += ["--input", shape]
    if bind:
        args += ["--set", bind]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"cnncalc failed ({' '.join(args)}):\n{done.stderr.strip()}")
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def torch_name(path: str) -> str:
    return ".".join(SEGMENTS.get(seg, seg) for seg in path.split("."))


def describe(call: Call | None, row: dict[str, Any] | None) -> str:
    left = (
        f"torchvision {call.name} ({call.kind}) -> {'x'.join(map(str, call.output))}, "
        f"{call.params:,} params"
        if call
        else "torchvision: (nothing more)"
    )
    right = (
        f"cnncalc {row['path']} ({row['type']}) -> {'x'.join(map(str, row['output']))}, "
        f"{row['params']:,} params"
        if row
        else "cnncalc: (nothing more)"
    )
    return f"  {left}\n  {right}"


def agrees(call: Call, row: dict[str, Any]) -> bool:
    return (
        KINDS.get(call.kind) == row["type"]
        and list(call.output) == row["output"]
        and call.params == row["params"]
    )


def compare(calls: list[Call], rows: list[dict[str, Any]], verbose: bool) -> tuple[bool, int]:
    """Pair the weight layers in order; print the first disagreement.

    A row may pair out of order within the next WINDOW unpaired rows: cnncalc lists a
    residual's shortcut after its body, where a block may run it first (RegNet's `proj`).
    -> (all pairs agree, how many pairs carry torchvision's name)."""
    weighted = [c for c in calls if c.params > 0]
    mine = [r for r in rows if isinstance(r["params"], int) and r["params"] > 0]
    free = list(range(len(mine)))  # the unpaired rows, in order
    same_names = swapped = 0
    first_name: tuple[str, str] | None = None
    last: tuple[Call, dict[str, Any]] | None = None
    for k, call in enumerate(weighted):
        pick = next((j for j in free[:WINDOW] if agrees(call, mine[j])), None)
        if pick is None:
            row = mine[free[0]] if free else None
            print(f"first mismatch at weight layer {k}:")
            if last:
                print("after the last agreeing pair:")
                print(describe(*last))
            print("these differ:")
            print(describe(call, row))
            return False, same_names
        swapped += pick != free[0]
        free.remove(pick)
        row = mine[pick]
        last = (call, row)
        if verbose:
            print(f"{k:4d} {call.name:45s} {row['path']:45s} {call.params:>12,}")
        if torch_name(row["path"]) == call.name:
            same_names += 1
        elif first_name is None:
            first_name = (row["path"], call.name)
    if free:
        print("first mismatch: cnncalc has more weight layers:")
        print(describe(None, mine[free[0]]))
        return False, same_names
    print(f"all {len(weighted)} weight layers agree in kind, output shape and parameters")
    if swapped:
        print(f"({swapped} of them paired out of order, within {WINDOW} rows)")
    if first_name:
        print(
            f"names: {same_names} of {len(weighted)} are torchvision's; first other: "
            f"cnncalc {first_name[0]} for torchvision {first_name[1]}"
        )
    else:
        print(f"names: all {len(weighted)} are torchvision's (shortcut = downsample)")
    return True, same_names


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("torchvision_name")
    parser.add_argument("arch", nargs="?", help="cnncalc zoo name or file (default: the same)")
    parser.add_argument("--input", help="CxHxW (default: the cnncalc file's input)")
    parser.add_argument("--kw", action="append", default=[], help="key=value for the builder")
    parser.add_argument("--set", dest="bind", help="passed to cnncalc --set")
    parser.add_argument("--cnncalc", help="the cnncalc command (default: cnncalc on PATH)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every pair")
    args = parser.parse_args()

    command = args.cnncalc or shutil.which("cnncalc") or os.environ.get("CNNCALC")
    if not command:
        sys.exit("no cnncalc found: pass --cnncalc /path/to/venv/bin/cnncalc")
    arch = args.arch or args.torchvision_name
    report = cnncalc_report(command.split(), arch, args.input, args.bind)
    shape = [int(d) for d in report["input"]]
    kwargs = {k: parse_value(v) for k, v in (kv.split("=", 1) for kv in args.kw)}
    calls, out_shape, tv_params = torch_calls(args.torchvision_name, kwargs, shape)

    size = "x".join(map(str, shape))
    print(f"{args.torchvision_name} (torchvision) vs {arch} (cnncalc) at {size}")
    ok, _ = compare(calls, report["layers"], args.verbose)
    totals = report["totals"]
    tv_macs = sum(c.macs for c in calls)
    for label, theirs, ours in (
        ("params", tv_params, totals["params"]),
        ("MACs (conv/linear)", tv_macs, totals["macs"]),
        ("output", "x".join(map(str, out_shape)), "x".join(map(str, report["output"]))),
    ):
        same = theirs == ours
        ok = ok and same
        shown = f"{theirs:,}" if isinstance(theirs, int) else theirs
        mine = f"{ours:,}" if isinstance(ours, int) else ours
        verdict = "=" if same else "DIFFER"
        print(f"{label:20s} torchvision {shown:>18s}   cnncalc {mine:>18s}   {verdict}")
    if isinstance(tv_macs, int):
        print(f"GFLOPS (torchvision's docs: MACs in G) {tv_macs / 1e9:.2f}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
