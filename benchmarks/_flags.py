"""Command-line pieces the benchmark scripts share, checked before any work starts."""
import argparse


def keep_openblas_flag(parser: argparse.ArgumentParser, help_text: str = "keep OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE "
                       "(by default they are unset for this run)") -> None:
    """``--keep-openblas-env``: ``_openblas_env.unset_openblas_environment`` reads it from argv
    before numpy loads; the parser only has to accept it."""
    parser.add_argument("--keep-openblas-env", action="store_true", help=help_text)


def require_counts(parser: argparse.ArgumentParser, args: argparse.Namespace, *names: str, minimum: int = 1) -> None:
    """parser.error (exit 2, usage on stderr) for any of ``names`` set below ``minimum``."""
    for name in names:
        value = getattr(args, name)
        if value is not None and value < minimum:
            parser.error(f"--{name.replace('_', '-')} must be at least {minimum}, got {value}")
