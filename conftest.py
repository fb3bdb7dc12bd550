"""pytest's root settings: the doctests of graphlab/ are collected by importing each module, and
graphlab/interop/torch_twins.py defines torch.nn.Modules, so it is left out where torch is not installed
(torch is optional: the extra ``graphlab[torch]``)."""
import importlib.util

collect_ignore = [] if importlib.util.find_spec("torch") else ["graphlab/interop/torch_twins.py"]
