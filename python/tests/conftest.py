"""Shared helpers: the `reel` binary the suite built, ffmpeg, and media."""

import os
import shutil
import subprocess

import numpy as np
import pytest


def _required() -> bool:
    return os.environ.get("REEL_REQUIRE_MEDIA_TOOLS") == "1"


@pytest.fixture(scope="session")
def reel_bin() -> str:
    path = os.environ.get("REEL_BIN") or shutil.which("reel")
    if not path:
        if _required():
            raise RuntimeError("REEL_BIN is not set (scripts/test.sh sets it)")
        pytest.skip("no reel binary (set REEL_BIN)")
    return path


@pytest.fixture(scope="session")
def ffmpeg() -> str:
    path = shutil.which("ffmpeg")
    if not path:
        if _required():
            raise RuntimeError("ffmpeg is required (REEL_REQUIRE_MEDIA_TOOLS=1) but missing")
        pytest.skip("ffmpeg missing")
    return path


def run(*args: str) -> str:
    out = subprocess.run(args, capture_output=True, text=True)
    assert out.returncode == 0, f"{args}: {out.stderr}"
    return out.stdout


def decode_all(path: str, width: int, height: int) -> np.ndarray:
    """Every frame of a video file as RGB, decoded by ffmpeg (an independent decoder)."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def synthetic(i: int, width: int = 320, height: int = 240) -> np.ndarray:
    """A moving gradient with a square: what Rerun's synthetic video examples draw."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.zeros((height, width, 3), np.uint8)
    img[..., 0] = (x + 4 * i) % 256
    img[..., 1] = (y + 2 * i) % 256
    img[..., 2] = 128
    s = (8 * i) % (width - 40)
    img[100:140, s : s + 40] = 255
    return img
