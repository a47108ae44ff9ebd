"""Cold import of the built Lambda package, against the floor of a bare interpreter start.

Builds the function exactly as `sam build` does (src/Makefile), but for this machine's CPU so
it can be imported here, plus boto3 as the Lambda runtime provides it; then starts fresh
CPython 3.13 processes. Prints medians and ratios measured in this one run.

    make coldstart        (or: python -m tests.bench.coldstart)
"""

from __future__ import annotations

import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from tests.bench._python313 import find_python313

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "webhook_to_track" / "sources"
RUNS = 15
IMPORT = (
    "import time; t = time.perf_counter(); import webhook_to_track.handler; "
    "print((time.perf_counter() - t) * 1000)"
)
# The part of that import spent compiling the shipped source files (done again after the import,
# in the same fresh process, so file reads and rule compilation are timed alone).
COMPILE = (
    "import time, webhook_to_track.registry as r; t = time.perf_counter(); r.load_registry(); "
    "print((time.perf_counter() - t) * 1000)"
)
BOTO3 = next(
    line.strip()
    for line in (ROOT / "requirements-dev.txt").read_text().splitlines()
    if line.startswith("boto3==")
)


def build(python313: str, target: Path, arch: str) -> None:
    subprocess.run(
        [
            "make",
            "-s",
            "-f",
            str(ROOT / "src" / "Makefile"),
            "build-IngestFunction",
            f"ARTIFACTS_DIR={target}",
            f"ARCH={arch}",
            f"PYTHON313={python313}",
            f"PYTHON={sys.executable}",
        ],
        cwd=ROOT / "src",
        check=True,
        stdout=subprocess.DEVNULL,
    )


def runtime_boto3(python313: str, target: Path, arch: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-compile",
            "--only-binary=:all:",
            "--implementation",
            "cp",
            "--python-version",
            "3.13",
            "--platform",
            f"manylinux2014_{arch}",
            "--target",
            str(target),
            BOTO3,
        ],
        check=True,
        stderr=subprocess.DEVNULL,
    )
    subprocess.run([python313, "-m", "compileall", "-q", "-j", "0", str(target)], check=True)


def lambda_environment(path: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": path,
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only in Lambda
        "LAMBDA_TASK_ROOT": "/var/task",
        "AWS_LAMBDA_FUNCTION_NAME": "webhook-to-track",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "IDEMPOTENCY_TABLE": "t",
        "SECRETS_NAME": "s",
        "POWERTOOLS_SERVICE_NAME": "webhook-to-track",
        "POWERTOOLS_METRICS_NAMESPACE": "WebhookToTrack",
    }


def wall_ms(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def median_of(runs: int, measure) -> float:
    measure()  # warm the file cache
    return statistics.median(measure() for _ in range(runs))


def zipped_size(directory: Path) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.tell()


def main() -> int:
    python313 = find_python313()
    if python313 is None:
        print("no CPython 3.13 found (set PYTHON313=/path/to/python3.13)", file=sys.stderr)
        return 1
    arch = platform.machine()
    with tempfile.TemporaryDirectory() as tmp:
        package, nopyc, boto = Path(tmp, "pkg"), Path(tmp, "nopyc"), Path(tmp, "boto3")
        build(python313, package, arch)
        shutil.copytree(package, nopyc, ignore=shutil.ignore_patterns("__pycache__"))
        runtime_boto3(python313, boto, arch)
        with_pyc = lambda_environment(f"{package}:{boto}")
        without_pyc = lambda_environment(f"{nopyc}:{boto}")

        def in_process(env: dict[str, str], code: str = IMPORT) -> float:
            out = subprocess.run(
                [python313, "-c", code], env=env, check=True, capture_output=True, text=True
            )
            return float(out.stdout.strip().splitlines()[-1])

        floor = median_of(RUNS, lambda: wall_ms([python313, "-c", "pass"], with_pyc))
        process = median_of(
            RUNS, lambda: wall_ms([python313, "-c", "import webhook_to_track.handler"], with_pyc)
        )
        imported = median_of(RUNS, lambda: in_process(with_pyc))
        imported_nopyc = median_of(RUNS, lambda: in_process(without_pyc))
        compiled = median_of(RUNS, lambda: in_process(with_pyc, COMPILE))
        source_files = len([p for p in SOURCES.glob("*.json") if ".schema." not in p.name])
        unzipped = sum(p.stat().st_size for p in package.rglob("*") if p.is_file())
        zipped = zipped_size(package)

    print(
        f"CPython {platform.python_version()} runs this script; {python313} ({arch}) is measured;"
        f" median of {RUNS} fresh processes each"
    )
    print(
        f"package ({arch}): {unzipped / 1e6:.1f} MB unzipped, {zipped / 1e6:.1f} MB zipped"
        " (with .pyc, without boto3)"
    )
    built = ROOT / ".aws-sam" / "build" / "IngestFunction"
    if built.is_dir():  # what `sam build` made for Lambda (arm64): sized, not importable here
        size = sum(p.stat().st_size for p in built.rglob("*") if p.is_file())
        print(
            f"sam build ({built.relative_to(ROOT)}): {size / 1e6:.1f} MB unzipped,"
            f" {zipped_size(built) / 1e6:.1f} MB zipped"
        )
    rows = [
        ("floor: interpreter start (python -c pass)", floor, ""),
        ("interpreter start + import handler", process, f"{process / floor:.1f}x floor"),
        ("import handler (in-process, with .pyc)", imported, ""),
        (
            "import handler (in-process, no .pyc)",
            imported_nopyc,
            f"{imported_nopyc / imported:.1f}x the .pyc build",
        ),
        ("compile the shipped source files (again)", compiled, f"{source_files} files"),
    ]
    for label, value, note in rows:
        print(f"{label:<44}{value:8.1f} ms  {note}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
