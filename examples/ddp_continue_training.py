"""Scale out with PyTorch: a model trained a little in graphlab, exported with ``gl.to_torch``, trained
further with DistributedDataParallel over 2 CPU processes (gloo, localhost), imported back with
``gl.from_torch`` and evaluated in graphlab.

graphlab is for seeing and checking backpropagation; for GPUs and many machines, export the model
and train it with PyTorch. The same script runs on GPUs with the "nccl" backend and one process
per GPU.

    .venv/bin/python examples/ddp_continue_training.py                 # 2 processes, 300 steps
    .venv/bin/python examples/ddp_continue_training.py --steps 20      # a quick run

The last line printed is a JSON summary (accuracies before and after, and whether the two
processes ended with the same weights), which tests/interop/test_ddp_example.py reads.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))    # run from a checkout without installing
import graphlab as gl  # noqa: E402

import graphlab.functional as F  # noqa: E402


def spiral_model():
    """A small MLP for CS231n's three-armed spiral (2 inputs, 3 classes)."""
    return gl.nn.Sequential(gl.nn.Linear(2, 32), gl.nn.ReLU(), gl.nn.Linear(32, 32), gl.nn.ReLU(),
                            gl.nn.Linear(32, 3))


def accuracy(model, inputs: np.ndarray, labels: np.ndarray) -> float:
    """The fraction of points whose largest logit is their class, computed by graphlab."""
    with gl.no_grad():
        logits = model.eval()(gl.tensor(inputs)).data
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_in_graphlab(model, inputs, labels, steps: int, lr: float = 0.5) -> None:
    """Full-batch gradient descent in graphlab (where every node of the graph can be looked at)."""
    optimizer = gl.optim.SGD(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        F.cross_entropy(model(gl.tensor(inputs)), labels).backward()
        optimizer.step()


def torch_accuracy(module, inputs, labels) -> float:
    """The same accuracy computed by PyTorch (a check that the import back computes the same)."""
    import torch
    with torch.no_grad():
        logits = module.eval()(torch.from_numpy(inputs)).numpy()
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def worker(rank: int, world_size: int, port: int, folder: str, steps: int, lr: float) -> None:
    """One process of the data-parallel run: its shard of the data, gradients averaged by DDP."""
    import torch
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world_size, timeout=datetime.timedelta(seconds=60))
    module = torch.load(Path(folder) / "exported.pt", weights_only=False)
    data = np.load(Path(folder) / "data.npz")
    inputs = torch.from_numpy(data["inputs"][rank::world_size])
    labels = torch.from_numpy(data["labels"][rank::world_size])
    model = DistributedDataParallel(module)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(model(inputs), labels).backward()
        optimizer.step()
    torch.save(module.state_dict(), Path(folder) / f"trained{rank}.pt")
    dist.destroy_process_group()


def continue_in_pytorch(model, inputs, labels, steps: int, processes: int = 2, lr: float = 0.5):
    """``model`` exported to PyTorch and trained with DDP over ``processes`` CPU processes.
    Returns the trained PyTorch module and whether every process ended with the same weights."""
    import torch
    import torch.multiprocessing as mp

    exported = gl.to_torch(model)
    with tempfile.TemporaryDirectory() as folder:
        torch.save(exported, Path(folder) / "exported.pt")
        np.savez(Path(folder) / "data.npz", inputs=inputs, labels=labels)
        mp.spawn(worker, args=(processes, free_port(), folder, steps, lr), nprocs=processes, join=True)
        states = [torch.load(Path(folder) / f"trained{rank}.pt") for rank in range(processes)]
    same = all(torch.equal(states[0][key], state[key]) for state in states[1:] for key in states[0])
    exported.load_state_dict(states[0])
    return exported, same


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--graphlab-steps", type=int, default=50, help="steps of training in graphlab first")
    parser.add_argument("--steps", type=int, default=300, help="steps of DDP training in PyTorch")
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args(argv)

    gl.manual_seed(0)
    data = gl.data.spiral(100, 3, seed=0)
    inputs, labels = data.arrays
    model = spiral_model()
    train_in_graphlab(model, inputs, labels, args.graphlab_steps)
    before = accuracy(model, inputs, labels)
    print(f"graphlab, {args.graphlab_steps} steps: accuracy {before:.3f}")

    exported, same = continue_in_pytorch(model, inputs, labels, args.steps, args.processes)
    print(f"PyTorch DDP, {args.processes} processes x {args.steps} steps: done (same weights everywhere: {same})")

    back = gl.from_torch(exported, inputs[:4])
    after = accuracy(back, inputs, labels)
    print(f"back in graphlab: accuracy {after:.3f}")
    summary = {"before": before, "after": after, "same_weights": same,
               "pytorch_after": torch_accuracy(exported, inputs, labels),
               "parameters": [name for name, _ in back.named_parameters()]}
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
