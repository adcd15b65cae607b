"""Reading a recording back: reel's own (Rerun's SDK has no such API)."""

from __future__ import annotations

import os
from typing import Any, Iterator, List, Optional, Tuple, Union

import numpy as np

from . import _reel


class RecordingReader:
    """A recording opened for reading: its entities and the frames they show."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self._native = _reel.Reader(os.fspath(path))

    def entities(self) -> List[str]:
        """Entity paths, sorted."""
        return self._native.entities()

    def timelines(self) -> List[Tuple[str, str]]:
        """(name, kind) of every timeline, sorted; kind is "sequence",
        "duration" or "timestamp"."""
        return self._native.timelines()

    def frame_at(self, entity: str, seconds: float, timeline: Optional[str] = None) -> Optional[np.ndarray]:
        """The frame `entity` (a VideoStream, an AssetVideo with its frame
        references, or references into a stream) shows at `seconds` on
        `timeline` (its default if None), decoded by reel: an HxWx3 uint8
        array, or None before its first frame."""
        return self._native.frame_at(entity, float(seconds), timeline)

    def frames(self, entity: str, start: float, end: float, timeline: Optional[str] = None) -> Iterator[Tuple[float, np.ndarray]]:
        """The frames `entity` shows from `start` to `end` seconds (both
        included), one per logged row: `(seconds, HxWx3 uint8 array)` pairs,
        decoded in order (each frame decoded once)."""
        return self._native.frames(entity, float(start), float(end), timeline)

    def rows(self, entity: str) -> Any:
        """The rows of `entity` as a `pyarrow.Table`, its columns sharing
        reel's Arrow buffers (the Arrow C data interface: no copy)."""
        return self._native.rows(entity)


def open(path: Union[str, "os.PathLike[str]"]) -> RecordingReader:
    """Opens a `.reel` recording for reading."""
    return RecordingReader(path)
