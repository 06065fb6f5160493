"""The `maou-kit` command: one subcommand per module, argument parsing only.

Each module named in SUBCOMMANDS defines `register(subparsers)`, which adds its
parser and sets `func` to a callable taking the parsed namespace and returning an
exit code. Heavy imports (torch, polars) happen inside those callables so that
`maou-kit --help` stays fast.

`main` turns every way a command can stop into one line on stderr and an exit code,
never a traceback:

| what | exit |
|---|---|
| bad input (ValueError, a missing input, a file where a folder should be) | 2 |
| the operating system refused something while running (disk full, permissions, ...) | 1 |
| Ctrl-C (SIGINT) / SIGTERM, here or in a worker process | 130 / 143 |
| stdout closed early (`maou-kit ... \\| head`) | 141, silently |
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

SUBCOMMANDS = (
    "maou_kit.cli.convert_records",
    "maou_kit.cli.build_tables",
    "maou_kit.cli.selfplay",
    "maou_kit.cli.learn_model",
    "maou_kit.cli.evaluate",
    "maou_kit.cli.export_onnx",
    "maou_kit.cli.usi",
    "maou_kit.cli.match",
)

BROKEN_PIPE_EXIT_CODE = 141  # what a shell reports for a process ended by SIGPIPE

# What to do about an operating-system error, by errno.
_REMEDIES = {
    errno.ENOSPC: "the disk is full; free some space or write somewhere else",
    errno.EDQUOT: "the disk quota is used up; free some space or write somewhere else",
    errno.EACCES: "permission denied; change the permissions or choose another path",
    errno.EPERM: "operation not permitted; change the permissions or choose another path",
    errno.EROFS: "the file system is read-only; choose a writable path",
    errno.EEXIST: "something already exists there; remove it or choose another path",
    errno.EISDIR: "this is a folder; name a file instead",
    errno.ENOTDIR: "a file stands where a folder should be; move it or choose another path",
    errno.ENOENT: "no such file or folder; check the path",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter path",
    errno.EMFILE: "too many open files; raise the limit (ulimit -n) or use fewer workers",
    errno.ENOMEM: "out of memory; use fewer workers or a smaller input",
    errno.EIO: "input/output error; check the disk",
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="maou-kit",
        description="Curriculum training of shogi networks: data tools and the training pipeline.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module_name in SUBCOMMANDS:
        importlib.import_module(module_name).register(subparsers)
    return parser


def os_error_line(error: OSError) -> str:
    """`PATH: what is wrong; what to do` for an error the operating system raised."""
    paths = [str(name) for name in (error.filename, error.filename2) if name is not None]
    where = " -> ".join(paths) + ": " if paths else ""
    what = error.strerror or type(error).__name__
    remedy = _REMEDIES.get(error.errno)
    return f"{where}{what}" + (f" ({remedy})" if remedy else "")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _quiet_stdout() -> None:
    """After a broken pipe: point stdout at /dev/null so the final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def main(argv: list[str] | None = None) -> int:
    from maou_kit.train.interrupts import exit_code, sigterm_as_interrupt

    parser = build_parser()
    args = parser.parse_args(argv)
    prefix = f"maou-kit {args.command}: "
    try:
        # SIGTERM raises like Ctrl-C, so `finally` blocks remove temporary files.
        with sigterm_as_interrupt():
            code = int(args.func(args) or 0)
            sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
            return code
    except KeyboardInterrupt as interruption:
        code = exit_code(interruption)
        name = "SIGTERM" if code == 143 else "SIGINT"
        print(f"{prefix}interrupted ({name}); stopped, existing outputs left as they were",
              file=sys.stderr)  # fmt: skip
        return code
    except BrokenPipeError:
        _quiet_stdout()
        return BROKEN_PIPE_EXIT_CODE
    except (ValueError, FileNotFoundError, NotADirectoryError) as error:
        if isinstance(error, OSError) and error.filename is not None:
            # Raised by the operating system on a path the user named: still bad input.
            print(f"{prefix}error: {os_error_line(error)}", file=sys.stderr)
            return 2
        # Bad input is reported in one line that names what is wrong; no traceback.
        print(f"{prefix}error: {_first_line(error)}", file=sys.stderr)
        return 2
    except OSError as error:
        # The run failed on the disk or the system, not on its input.
        print(f"{prefix}error: {os_error_line(error)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
