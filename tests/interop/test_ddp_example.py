"""examples/ddp_continue_training.py: a graphlab model exported to PyTorch, trained further with
DistributedDataParallel over 2 CPU processes (gloo on localhost), imported back and evaluated in graphlab."""
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

SCRIPT = Path(__file__).resolve().parents[2] / "examples" / "ddp_continue_training.py"


def localhost_is_usable() -> bool:
    try:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not torch.distributed.is_available() or not torch.distributed.is_gloo_available(),
                    reason="this PyTorch build has no torch.distributed with the gloo backend")
@pytest.mark.skipif(not localhost_is_usable(), reason="no loopback network here (the processes meet on 127.0.0.1)")
def test_export_train_with_ddp_on_two_processes_and_import_back():
    completed = subprocess.run([sys.executable, str(SCRIPT), "--graphlab-steps", "30", "--steps", "40"],
                               capture_output=True, text=True, timeout=400)
    assert completed.returncode == 0, completed.stderr[-3000:]
    summary = json.loads(completed.stdout.strip().splitlines()[-1])
    assert summary["same_weights"] is True                     # DDP averaged the gradients of both processes
    assert summary["after"] == summary["pytorch_after"]        # graphlab evaluates the imported model as PyTorch
    assert summary["after"] > summary["before"]                # the PyTorch steps went on training it
    assert summary["parameters"] == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert "2 processes x 40 steps" in completed.stdout
