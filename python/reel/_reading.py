"""Reading a recording back: reel's own (Rerun's SDK has no such API)."""

from __future__ import annotations

import os
from typing import List, Optional, Union

import numpy as np

from . import _reel


class RecordingReader:
    """A recording opened for reading: its entities and the frames they show."""

    def __init__(self, path: Union[str, "os.PathLike[str]"]) -> None:
        self._native = _reel.Reader(os.fspath(path))

    def entities(self) -> List[str]:
        """Entity paths, sorted."""
        return self._native.entities()

    def frame_at(self, entity: str, seconds: float, timeline: Optional[str] = None) -> Optional[np.ndarray]:
        """The frame `entity` (a VideoStream, an AssetVideo with its frame
        references, or references into a stream) shows at `seconds` on
        `timeline` (its default if None), decoded by reel: an HxWx3 uint8
        array, or None before its first frame."""
        return self._native.frame_at(entity, float(seconds), timeline)


def open(path: Union[str, "os.PathLike[str]"]) -> RecordingReader:
    """Opens a `.reel` recording for reading."""
    return RecordingReader(path)
