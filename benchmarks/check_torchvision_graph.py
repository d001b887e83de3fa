"""Cross-check the zoo's graph models (aux heads, named references) against torchvision, layer
by layer: for every torchvision module with parameters of its own (conv, bn, linear) there must
be a cnncalc row of the same path with the same parameter count and output shape, and the
totals must equal torchvision's and the published figure. torchvision runs in training mode
(batch 2), so the aux heads run and their shapes are seen.

    python benchmarks/check_torchvision_graph.py [--torch-python /work/venvs/tv/bin/python]

cnncalc runs in this interpreter; torch and torchvision in the one given (a separate venv: CI
has no torchvision, so this is a script, not a test). Exit status 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import cnncalc

MODELS = {
    # zoo name: (torchvision call, input size, published params)
    "inception_v3": (
        "inception_v3(weights=None, aux_logits=True, init_weights=False)", 299, 27_161_264
    ),
    "googlenet-aux": (
        "googlenet(weights=None, aux_logits=True, init_weights=False)", 224, 13_004_888
    ),
    # the segmentation models' aux head runs in eval mode too (not train_only)
    "fcn_resnet50": (
        "segmentation.fcn_resnet50(weights=None, weights_backbone=None, aux_loss=True)",
        520, 35_322_218,
    ),
    "deeplabv3_resnet50": (
        "segmentation.deeplabv3_resnet50(weights=None, weights_backbone=None, aux_loss=True)",
        520, 42_004_074,
    ),
}

DUMP = """
import json, sys, torch, torchvision
model = eval("torchvision.models." + sys.argv[1]).train()
size = int(sys.argv[2])
shapes = {}
for path, m in model.named_modules():
    if path:
        m.register_forward_hook(lambda m, i, o, p=path: shapes.__setitem__(p, list(o.shape[1:]))
                                if isinstance(o, torch.Tensor) else None)  # a backbone: a dict
with torch.no_grad():
    model(torch.zeros(2, 3, size, size))
own = {p: sum(q.numel() for q in m.parameters(recurse=False)) for p, m in model.named_modules()}
print(json.dumps({"params": {p: n for p, n in own.items() if n}, "shapes": shapes,
                  "total": sum(q.numel() for q in model.parameters())}))
"""


def check(name: str, torch_python: str) -> bool:
    call, size, published = MODELS[name]
    done = subprocess.run([torch_python, "-c", DUMP, call, str(size)], check=True,
                          capture_output=True, text=True)
    tv = json.loads(done.stdout)
    report = cnncalc.analyze(name, mode="train")
    # cnncalc's fixed segment `shortcut` (a residual's projection) is torchvision's `downsample`
    rows = {r.path.replace(".shortcut.", ".downsample."): r for r in report.rows}
    bad = []
    for path, n in tv["params"].items():
        row = rows.get(path)
        if row is None or row.params != n or list(row.output) != tv["shapes"].get(path):
            bad.append(f"{path}: torchvision {n} params {tv['shapes'].get(path)}, cnncalc "
                       + (f"{row.params} params {list(row.output)}" if row else "no such row"))
    ok = not bad and tv["total"] == report.totals.params == published
    eval_macs = cnncalc.analyze(name).totals.macs
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {len(tv['params'])} torchvision modules with "
          f"parameters compared; params cnncalc {report.totals.params:,}, torchvision "
          f"{tv['total']:,}, published {published:,}; cnncalc MACs eval {eval_macs:,}, "
          f"train {report.totals.macs:,}")
    for line in bad[:10]:
        print("  " + line)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--torch-python", default="/work/venvs/tv/bin/python")
    args = parser.parse_args()
    results = [check(name, args.torch_python) for name in MODELS]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
