"""Hypothesis strategies: random architectures as YAML text, valid by construction as far as
channels go (spatial sizes may still run out: the tests filter those with the engine's error)."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import strategies as st


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def conv(draw: Any, c_in: int, keep_size: bool = False) -> tuple[dict[str, Any], int]:
    k = draw(st.integers(1, 4))
    if keep_size:
        k = draw(st.sampled_from([1, 3]))
        args: dict[str, Any] = {"kernel": k, "padding": k // 2}
    else:
        kernel: Any = k if draw(st.booleans()) else [k, draw(st.integers(1, 4))]
        args = {"kernel": kernel, "stride": draw(st.integers(1, 3))}
        pad = draw(st.sampled_from(["same", "valid", 0, 1, 2]))
        args["padding"] = pad
        if draw(st.integers(0, 4)) == 0:
            args["dilation"] = 2
    groups = draw(st.sampled_from(_divisors(c_in)))
    out = groups * draw(st.integers(1, 3))
    args["out"] = out
    if groups > 1:
        args["groups"] = groups
    if draw(st.booleans()):
        args["bias"] = False
    return {"conv": args}, out


@st.composite
def pool(draw: Any) -> dict[str, Any]:
    kind = draw(st.sampled_from(["maxpool", "avgpool"]))
    k = draw(st.integers(1, 3))
    args: dict[str, Any] = {"kernel": k, "stride": draw(st.integers(1, 3))}
    if k > 1 and draw(st.booleans()):
        args["padding"] = draw(st.integers(0, k // 2))
    if draw(st.booleans()):
        args["ceil_mode"] = True
    if kind == "avgpool" and draw(st.booleans()):
        args["count_include_pad"] = False
    return {kind: args}


@st.composite
def layer(draw: Any, c: int, depth: int) -> tuple[Any, int]:
    """One entry of a layers list, given the incoming channels; returns it and the outgoing."""
    choices = ["conv", "conv", "pool", "act", "bn", "up", "deconv"]
    if depth < 2:
        choices += ["residual", "parallel", "dense"]
    kind = draw(st.sampled_from(choices))
    if kind == "conv":
        return draw(conv(c))
    if kind == "pool":
        return draw(pool()), c
    if kind == "act":
        return draw(st.sampled_from(["relu", "sigmoid", "tanh", {"leaky_relu": 0.1}])), c
    if kind == "bn":
        return "bn", c
    if kind == "up":
        mode = draw(st.sampled_from(["nearest", "bilinear"]))
        return {"upsample": {"scale": draw(st.integers(1, 2)), "mode": mode}}, c
    if kind == "deconv":
        k, s = draw(st.integers(1, 4)), draw(st.integers(1, 2))
        args = {
            "out": draw(st.integers(1, 4)),
            "kernel": k,
            "stride": s,
            "padding": draw(st.integers(0, k - 1)),
        }
        if s > 1 and draw(st.booleans()):
            args["output_padding"] = 1
        return {"conv_transpose": args}, args["out"]
    if kind == "residual":
        body, out = [], c
        for _ in range(draw(st.integers(1, 2))):
            entry, out = draw(conv(out, keep_size=True))
            body.append(entry)
        if draw(st.booleans()):  # a strided, widening body: the auto shortcut projects
            body[0]["conv"]["stride"] = 2
            body[0]["conv"]["padding"] = body[0]["conv"]["kernel"] // 2
        shortcut = (
            "auto"
            if (out != c or "stride" in body[0]["conv"])
            else draw(st.sampled_from(["auto", "identity"]))
        )
        entry = {"residual": {"body": body, "shortcut": shortcut}}
        if draw(st.booleans()):
            entry["residual"]["activation"] = "relu"
        return entry, out
    if kind == "parallel":
        branches, total = [], 0
        for _ in range(draw(st.integers(2, 3))):
            branch, out = draw(conv(c, keep_size=True))
            branches.append([branch])
            total += out
        return {"parallel": branches}, total
    growth = draw(st.integers(1, 3))
    steps = draw(st.integers(1, 2))
    body = ["bn", "relu", {"conv": {"out": growth, "kernel": 3, "padding": 1}}]
    return {"dense": steps, "layers": body}, c + growth * steps


@st.composite
def architecture(draw: Any) -> tuple[str, tuple[int, int, int]]:
    """A random network as YAML text, and its input shape."""
    c_in = c = draw(st.integers(1, 4))
    h, w = draw(st.integers(6, 20)), draw(st.integers(6, 20))
    layers = []
    for _ in range(draw(st.integers(1, 5))):
        entry, c = draw(layer(c, 0))
        layers.append(entry)
    if draw(st.booleans()):
        layers += ["flatten", {"linear": draw(st.integers(1, 5))}]
    text = yaml.safe_dump(
        {"name": "random", "input": [c_in, h, w], "layers": layers}, sort_keys=False
    )
    return text, (c_in, h, w)


DEFECTS = ["huge_kernel", "identity_mismatch", "concat_mismatch", "bad_groups", "dense_on_flat"]


@st.composite
def broken_architecture(draw: Any) -> tuple[str, str]:
    """A random valid prefix, then one layer named `broken` that cannot work; returns the YAML
    and the kind of defect."""
    c_in = c = draw(st.integers(1, 4))
    h, w = draw(st.integers(6, 20)), draw(st.integers(6, 20))
    layers: list[Any] = []
    for _ in range(draw(st.integers(0, 3))):
        entry, c = draw(layer(c, 0))
        layers.append(entry)
    defect = draw(st.sampled_from(DEFECTS))
    if defect == "huge_kernel":
        layers.append({"conv": {"out": 2, "kernel": 999}, "name": "broken"})
    elif defect == "identity_mismatch":
        body = [{"conv": {"out": c + 1, "kernel": 1}}]
        layers.append({"residual": {"body": body, "shortcut": "identity"}, "name": "broken"})
    elif defect == "concat_mismatch":
        branches = [[{"conv": {"out": 1, "kernel": 3, "stride": 2, "padding": 1}}],
                    [{"conv": {"out": 1, "kernel": 3, "padding": 1}}]]
        layers.append({"parallel": branches, "name": "broken"})
    elif defect == "bad_groups":
        conv = {"out": 2 * (c + 1), "kernel": 1, "groups": c + 1}
        layers.append({"conv": conv, "name": "broken"})
    else:
        layers += ["flatten", {"dense": 1, "layers": ["relu"], "name": "broken"}]
    doc = {"name": "broken", "input": [c_in, h, w], "layers": layers}
    text = yaml.safe_dump(doc, sort_keys=False)
    return text, defect
