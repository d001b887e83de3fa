"""The error boundary of the command line: operating-system errors on input and output, closed
pipes, a full or closed stdout, signals, the zoo folder, verify's memory guard and the exit
status of every command. Each failure is one line on stderr, exit status 2, no traceback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from cnncalc import cli_args, load, zoo
from cnncalc.cli import app
from cnncalc.errors import LimitError
from cnncalc.verify import verify
from cnncalc.verify_memory import default_max_memory, parse_bytes, peak_memory

runner = CliRunner()
LONG = "a" * 300  # longer than NAME_MAX (255)
CNNCALC = [sys.executable, "-m", "cnncalc"]


def one_error(result, *fragments: str) -> str:
    """The run failed as it should: exit 2, exactly one line on stderr, no traceback."""
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("cnncalc: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def run(args: list[str], timeout: float = 5, **kwargs) -> subprocess.CompletedProcess:
    """cnncalc in a process of its own; pass stdout= to send its output elsewhere."""
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(CNNCALC + args, text=True, timeout=timeout, **kwargs)


# ------------------------------------------------------------------ input paths


def test_a_folder_as_the_architecture(tmp_path):
    one_error(runner.invoke(app, ["params", str(tmp_path)]), str(tmp_path), "is a folder")


def test_a_name_too_long_for_the_architecture(tmp_path):
    for arch in (LONG, str(tmp_path / LONG), f"{LONG}.yaml"):
        one_error(runner.invoke(app, ["params", arch]), "cannot read", "File name too long")


def test_a_folder_we_may_not_read(tmp_path, monkeypatch):
    """As root nothing is unreadable, so the refusal is simulated where the tests run as root."""
    closed = tmp_path / "closed"
    closed.mkdir()
    (closed / "net.yaml").write_text("name: t\ninput: [3, 8, 8]\nlayers: [relu]\n")
    closed.chmod(0)
    try:
        if os.geteuid() == 0:
            real = Path.stat

            def refuse(self, *args, **kwargs):
                if str(self).startswith(str(closed)):
                    raise PermissionError(13, "Permission denied", str(self))
                return real(self, *args, **kwargs)

            monkeypatch.setattr(Path, "stat", refuse)
        one_error(
            runner.invoke(app, ["params", str(closed / "net.yaml")]),
            str(closed / "net.yaml"),
            "Permission denied",
        )
    finally:
        closed.chmod(0o755)


NO_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search",
          "--inh-caps=-dac_override,-dac_read_search", "--"]


@pytest.mark.skipif(
    os.geteuid() != 0 or not any(
        os.access(os.path.join(d, "setpriv"), os.X_OK) for d in os.defpath.split(":") + ["/usr/bin"]
    ),
    reason="needs root and setpriv, to drop the capabilities that let root read anything",
)
def test_permissions_for_real_as_root_without_dac_override(tmp_path):
    closed, readonly = tmp_path / "closed", tmp_path / "readonly"
    closed.mkdir()
    (closed / "net.yaml").write_text("name: t\ninput: [3, 8, 8]\nlayers: [relu]\n")
    readonly.mkdir()
    closed.chmod(0)
    readonly.chmod(0o555)
    try:
        for args, message in (
            (["params", str(closed / "net.yaml")], f"cannot read {closed / 'net.yaml'}"),
            (["show", "vgg16", "-o", str(readonly / "x.yaml")], f"cannot write {readonly}/x.yaml"),
        ):
            result = subprocess.run(
                NO_DAC + CNNCALC + args, capture_output=True, text=True, timeout=10
            )
            assert result.returncode == 2, result.stderr
            assert result.stderr == f"cnncalc: error: {message}: Permission denied\n"
    finally:
        closed.chmod(0o755)
        readonly.chmod(0o755)


# ------------------------------------------------------------------ output paths


def test_output_names_too_long_or_in_a_missing_folder(tmp_path):
    one_error(
        runner.invoke(app, ["show", "vgg16", "-o", str(tmp_path / LONG)]),
        "cannot write",
        "File name too long",
    )
    one_error(
        runner.invoke(app, ["show", "vgg16", "-o", str(tmp_path / "missing" / "x.yaml")]),
        str(tmp_path / "missing" / "x.yaml"),
        "No such file or directory",
    )
    assert list(tmp_path.iterdir()) == []


def test_output_into_a_folder_we_may_not_write(tmp_path, monkeypatch):
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    one_error(
        runner.invoke(app, ["show", "vgg16", "-o", str(tmp_path / "x.yaml")]),
        str(tmp_path / "x.yaml"),
        "Permission denied",
    )


def test_force_never_replaces_a_folder_a_device_a_pipe_or_a_link(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    outside = tmp_path / "outside.yaml"
    outside.write_text("keep me\n")
    link = tmp_path / "link.yaml"
    link.symlink_to(outside)
    cases = [(folder, "is a folder"), (fifo, "not a regular file"), (link, "symbolic link")]
    try:  # a device node of our own (never the system's /dev/null): needs root
        device = tmp_path / "null"
        os.mknod(device, 0o666 | 0o020000, os.makedev(1, 3))
        cases.append((device, "not a regular file"))
    except (PermissionError, AttributeError):
        device = None
    for target, why in cases:
        one_error(
            runner.invoke(app, ["show", "vgg16", "-o", str(target), "--force"]), str(target), why
        )
    assert folder.is_dir() and fifo.is_fifo() and link.is_symlink()
    assert outside.read_text() == "keep me\n"
    if device is not None:
        assert device.is_char_device()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files


def test_new_files_honour_the_umask_and_replaced_files_keep_their_mode(tmp_path):
    old = os.umask(0o027)
    try:
        new = tmp_path / "new.yaml"
        assert runner.invoke(app, ["show", "vgg16", "-o", str(new)]).exit_code == 0
        assert new.stat().st_mode & 0o777 == 0o640  # 0666 & ~027, not mkstemp's 0600
        kept = tmp_path / "kept.yaml"
        kept.write_text("old\n")
        kept.chmod(0o604)
        assert runner.invoke(app, ["show", "vgg16", "-o", str(kept), "--force"]).exit_code == 0
        assert kept.stat().st_mode & 0o777 == 0o604
        assert kept.read_text().startswith("name: vgg16")
    finally:
        os.umask(old)


SLOW_WRITE = """
import os, sys, time
marker = sys.argv[1]
def stalled(fd):
    open(marker, "w").close()
    time.sleep(30)
os.fsync = stalled  # the temporary file exists, the rename has not happened yet
sys.argv = ["cnncalc", "summary", "densenet121", "-f", "json", "-o", sys.argv[2]]
from cnncalc.cli import main
main()
"""


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_the_write_leaves_no_temporary_file(tmp_path, sig, status):
    out, marker = tmp_path / "out" / "net.json", tmp_path / "writing"
    out.parent.mkdir()
    child = subprocess.Popen(
        [sys.executable, "-c", SLOW_WRITE, str(marker), str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    deadline = time.monotonic() + 20
    while not marker.exists():
        assert child.poll() is None and time.monotonic() < deadline, child.communicate()
        time.sleep(0.02)
    assert len(list(out.parent.iterdir())) == 1  # the hidden temporary file
    child.send_signal(sig)
    _, stderr = child.communicate(timeout=5)
    assert child.returncode == status and "Traceback" not in stderr, stderr
    assert list(out.parent.iterdir()) == []


# ------------------------------------------------------------------ stdout


def test_a_closed_pipe_ends_quietly_with_status_0():
    """The reader is gone before the first write, so every write meets EPIPE."""
    read, write = os.pipe()
    os.close(read)
    try:
        result = subprocess.run(
            [*CNNCALC, "list"], stdout=write, stderr=subprocess.PIPE, text=True, timeout=10
        )
    finally:
        os.close(write)
    assert result.returncode == 0 and result.stderr == "", result.stderr


def test_a_pipe_closed_by_head():
    result = subprocess.run(
        f"{' '.join(CNNCALC)} summary resnet152 | head -1; exit ${{PIPESTATUS[0]}}",
        shell=True, executable="/bin/bash", capture_output=True, text=True, timeout=10,
    )
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert result.stdout.startswith("resnet152")


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("args", [["params", "vgg16"], ["params", "vgg16", "-f", "json"]])
def test_stdout_on_a_full_disk(args):
    with open("/dev/full", "w") as full:
        result = run(args, stdout=full)
    assert result.returncode == 2
    assert result.stderr == (
        "cnncalc: error: cannot write to standard output: No space left on device\n"
    )


def test_a_closed_stdout():
    result = run(["params", "vgg16"], preexec_fn=lambda: os.close(1))
    assert result.returncode == 2
    assert result.stderr == (
        "cnncalc: error: cannot write to standard output: standard output is closed\n"
    )


def test_a_closed_stdout_does_not_matter_with_output(tmp_path):
    out = tmp_path / "vgg16.yaml"
    result = run(["show", "vgg16", "-o", str(out)], preexec_fn=lambda: os.close(1))
    assert result.returncode == 0 and result.stderr == ""
    assert out.read_text().startswith("name: vgg16")


# ------------------------------------------------------------------ messages


def test_control_characters_in_messages_are_escaped(tmp_path):
    net = tmp_path / "net.yaml"
    net.write_text(
        'name: t\ninput: [3, 8, 8]\nlayers:\n  - "conv\\e[31mRED\\nx\\u202e": {out: 4}\n'
    )
    line = one_error(runner.invoke(app, ["params", str(net)]), "unknown layer type")
    assert "\x1b" not in line and "\u202e" not in line
    assert "conv\\x1b[31mRED\\nx\\u202e" in line
    hostile = str(tmp_path / "net\x1b]0;owned\x07\n.yaml")  # a file name is quoted raw
    line = one_error(runner.invoke(app, ["params", hostile]), "no such file")
    assert "\x1b" not in line and "\x07" not in line
    assert line.endswith("net\\x1b]0;owned\\x07\\n.yaml")


def test_a_bug_is_reported_as_one(monkeypatch):
    from cnncalc import engine

    def broken(*args, **kwargs):
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(engine, "analyze_architecture", broken)
    result = runner.invoke(app, ["params", "vgg16"])
    assert result.exit_code == 70
    assert "Traceback" in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "cnncalc: error: internal error (ZeroDivisionError): this is a bug in cnncalc"
    )


# ------------------------------------------------------------------ the zoo folder


def test_a_zoo_name_never_leaves_the_zoo_folder(tmp_path, monkeypatch):
    (tmp_path / "x.yaml").write_text("name: stolen\ninput: [3, 8, 8]\nlayers: [relu]\n")
    monkeypatch.chdir(tmp_path / "..")  # `x` is no file here, nor anything below
    escape = os.path.relpath(tmp_path / "x", zoo.zoo_dir())  # ../../../tmp/.../x
    for arch in (escape, str(tmp_path / "x"), "../" * 12 + str(tmp_path / "x")[1:]):
        result = runner.invoke(app, ["show", arch])
        one_error(result, "no such file")
        assert "stolen" not in result.stdout
    assert zoo.zoo_path(escape) is None
    assert zoo.zoo_path("vgg16-bn") == zoo.zoo_dir() / "vgg16_bn.yaml"  # names as before
    one_error(runner.invoke(app, ["show", "vgg16x"]), "neither a zoo name nor a file")


def test_real_paths_work_as_before(tmp_path):
    path = tmp_path / "net.yml"
    path.write_text("name: mine\ninput: [3, 8, 8]\nlayers: [relu]\n")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 0 and result.stdout.startswith("name: mine")
    result = runner.invoke(app, ["show", str(zoo.zoo_dir() / "vgg16.yaml")])
    assert result.exit_code == 0 and result.stdout.startswith("name: vgg16")


# ------------------------------------------------------------------ verify's memory


def test_verify_refuses_above_max_memory():
    start = time.monotonic()
    line = one_error(
        runner.invoke(app, ["verify", "resnet18", "--max-memory", "10M"]),
        "verify would need about",
        "MiB",
        "more than the 10 MiB allowed",
        "--max-memory",
    )
    assert time.monotonic() - start < 5
    needed = line.split("pass --max-memory ")[1].split()[0]
    assert parse_bytes(needed) >= peak_memory(load("resnet18"))  # the advice is enough


def test_verify_refuses_a_huge_input_by_default():
    start = time.monotonic()
    one_error(
        runner.invoke(app, ["verify", "vgg16", "--input", "3x20000x20000"]),
        "GiB",
        "allowed",
    )
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("bad", ["1.5x", "0", "-1", "²", "1e9", ""])
def test_bad_max_memory(bad):
    one_error(runner.invoke(app, ["verify", "resnet18", "--max-memory", bad]), "--max-memory")


def test_parse_bytes():
    assert parse_bytes("1500") == 1500
    assert parse_bytes("512M") == 512 << 20
    assert parse_bytes("2g") == 2 << 30
    assert parse_bytes("1.5GiB") == 3 << 29
    assert parse_bytes("64KB") == 64 << 10


def test_running_out_of_memory_is_not_a_disagreement(monkeypatch):
    from cnncalc import reference

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(reference, "conv2d", exhausted)
    one_error(
        runner.invoke(app, ["verify", "resnet18", "--input", "64"]), "ran out of memory"
    )
    with pytest.raises(LimitError, match="ran out of memory"):
        verify(load("resnet18"), (3, 64, 64))


def test_the_default_limit_is_half_the_available_memory(monkeypatch):
    from cnncalc import verify_memory

    monkeypatch.setattr(verify_memory, "available_memory", lambda: 6 << 30)
    assert default_max_memory() == 3 << 30
    monkeypatch.setattr(verify_memory, "available_memory", lambda: None)
    assert default_max_memory() == verify_memory.FALLBACK_BYTES


# im2col dominates: 16·9·9 columns per output pixel, one output channel
WIDE_KERNEL = "name: wide\ninput: [16, 40, 40]\nlayers:\n  - conv: {out: 1, kernel: 9}\n"


@pytest.mark.parametrize(
    ("name", "size"),
    [("resnet18", "64"), ("googlenet", "64"), ("basic-block", None), ("segnet", "64"),
     (WIDE_KERNEL, None)],
    ids=["resnet18", "googlenet", "basic-block", "segnet", "wide-kernel"],
)
def test_the_memory_estimate_bounds_the_real_peak(name, size, tmp_path):
    """tracemalloc sees every NumPy allocation: the prediction is above the measured peak of
    the pass, and within 3x of it."""
    if name.startswith("name:"):
        (tmp_path / "net.yaml").write_text(name)
        name = str(tmp_path / "net.yaml")
    arch = load(name)
    shape = cli_args.input_for(arch, size) if size else None
    bindings = {"C": 64, "H": 56, "W": 56} if arch.symbols else None
    predicted = peak_memory(arch, shape, bindings, np.float32)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        assert verify(arch, shape, bindings, max_memory=1 << 40).ok
        real = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert real <= predicted <= 3 * real, (real, predicted)


# ------------------------------------------------------------------ every command


BAD_ARGS: dict[str, list[list[str]]] = {
    "params": [["--bogus"], ["nope/x.yaml"], ["vgg16", "-i", "0"], ["vgg16", "-b", "0"],
               ["vgg16", "-f", "xml"], ["vgg16", "-d", "0"], ["vgg16", "-s", "Q=1"]],
    "shapes": [["vgg17"], [LONG], ["vgg16", "-i", "3x"], ["vgg16", "-o", f"/nonexistent/{LONG}"]],
    "flops": [[], ["vgg16", "--dtype", "fp8"], ["vgg16", "-i", "1x1"]],
    "rf": [["."], ["vgg16", "extra"], ["vgg16", "-i", "f10"]],
    "summary": [["vgg16", "-b", "x"], ["vgg16", "--set", "x"], ["../x"]],
    "compare": [["vgg16"], ["vgg16", "vs", "nope"], ["vgg16", "vs", "vgg11", "-f", "x"]],
    "sizes": [["nope"], ["vgg16", "-n", "0"], ["vgg16", "-n", "x"]],
    "verify": [["nope"], ["vgg16", "--seed", "x"], ["vgg16", "--max-memory", "1x"],
               ["vgg16", "--rf", "--layer", "nope", "-i", "32", "--max-memory", "1K"],
               ["7x7"]],
    "list": [["extra"], ["-f", "xml"]],
    "show": [["nope"], ["vgg16", "-o", "/nonexistent/x"], ["/"]],
    "layers": [["extra"], ["--bogus"]],
    "conv": [["x"], ["56", "-k", "0"], ["56", "-f", "xml"], ["56", "--groups", "0"],
             ["3", "-k", "5"]],
    "convolutionalize": [["nope"], ["inception-naive", "-i", "x"], ["inception-naive"]],
    "schema": [["extra"], ["--nope"], ["-o", "/nonexistent-folder/x.json"]],
    "import": [[], ["nope.onnx"], ["vgg16"], ["/"]],
    "export": [["nope"], ["vgg16", "--to", "keras"], ["vgg16", "-i", "x"], ["resnet18"],
               ["vgg16", "-o", "/nonexistent/x.py"], ["vgg16", "-i", "8"]],
}


def test_every_command_is_in_the_table():
    group = typer.main.get_command(app)
    assert sorted(group.commands) == sorted(BAD_ARGS)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "args", [[command, *args] for command, cases in BAD_ARGS.items() for args in cases], ids=str
)
def test_every_command_fails_with_status_2_and_one_line(args):
    start = time.monotonic()
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (args, result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert time.monotonic() - start < 5
