"""Recordings and the global one `rr.init` makes, as in Rerun."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from typing import Any, Iterable, Optional, Union

import numpy as np

from . import _reel
from ._time import duration_ns, timestamp_ns

EntityPath = Union[str, Iterable[str]]


def _path(entity_path: EntityPath) -> str:
    if isinstance(entity_path, str):
        return entity_path
    return "/" + "/".join(str(p) for p in entity_path)


class RecordingStream:
    """A recording: `save(path)` gives it a file, then `log` writes rows."""

    def __init__(self, application_id: str, *, recording_id: Optional[str] = None, spawn: bool = False) -> None:
        if not isinstance(application_id, str) or not application_id:
            raise ValueError("application_id must be a non-empty string")
        self.application_id = application_id
        self.recording_id = recording_id
        self._native: Optional[_reel.Recording] = None
        # What was logged before there was a file: written to the first
        # one `save`/`spawn` opens, in order, as Rerun does.
        self._pending: list = []
        if spawn:
            self.spawn()

    def save(self, path: Union[str, "os.PathLike[str]"], default_blueprint: Any = None) -> None:
        """Writes everything logged from now on to `path` (a .reel recording)."""
        if self._native is not None:
            self._native.close()
        self._native = _reel.Recording(self.application_id, os.fspath(path))
        pending, self._pending = self._pending, []
        for op in pending:
            op(self._native)

    def spawn(self) -> str:
        """Shows the recording live: until reel streams over the network, it
        is written to a file in a temporary folder and `reel view --follow`
        opens on it, showing rows as they are logged. Returns the file."""
        folder = tempfile.mkdtemp(prefix="reel-spawn-")
        path = os.path.join(folder, f"{self.application_id}.reel")
        self.save(path)
        viewer = os.environ.get("REEL_BIN") or shutil.which("reel")
        if viewer is None:
            raise RuntimeError(
                f"spawn needs the `reel` command on PATH (cargo install --path crates/reel-cli) or REEL_BIN; "
                f"the recording is written to {path}"
            )
        subprocess.Popen(
            [viewer, "view", "--follow", path],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        return path

    def set_time(self, timeline: str, *, sequence: Optional[int] = None, duration: Any = None, timestamp: Any = None) -> None:
        """This thread's time on `timeline`, for rows logged after: exactly
        one of `sequence=` (an integer), `duration=` (seconds or timedelta)
        or `timestamp=` (seconds since the epoch or datetime)."""
        given = [v is not None for v in (sequence, duration, timestamp)]
        if sum(given) != 1:
            raise ValueError("set_time takes exactly one of sequence=, duration= or timestamp=")
        if sequence is not None:
            if isinstance(sequence, bool) or not isinstance(sequence, int) and not hasattr(sequence, "__index__"):
                raise TypeError(f"sequence= takes an integer, not {type(sequence).__name__}")
            kind, value = "sequence", int(sequence)
        elif duration is not None:
            kind, value = "duration", duration_ns(duration)
        else:
            kind, value = "timestamp", timestamp_ns(timestamp)
        self._apply(lambda native: native.set_time(timeline, kind, value))

    def disable_timeline(self, timeline: str) -> None:
        """Stops stamping rows with `timeline`."""
        self._apply(lambda native: native.disable_timeline(timeline))

    def reset_time(self) -> None:
        """Clears this thread's time."""
        self._apply(lambda native: native.reset_time())

    def log(self, entity_path: EntityPath, entity: Any, *extra: Any, static: bool = False, strict: Optional[bool] = None) -> None:
        """Logs an archetype at `entity_path` at this thread's time (or as
        static data, valid at all times)."""
        path = _path(entity_path)
        archetypes = (entity, *extra)
        for archetype in archetypes:
            if getattr(archetype, "_log", None) is None:
                raise TypeError(f"{path}: cannot log a {type(archetype).__name__}; log an archetype such as rr.Image or rr.VideoStream")

        def log_all(native: _reel.Recording) -> None:
            for archetype in archetypes:
                archetype._log(native, path, bool(static))

        self._apply(log_all)

    def send_columns(self, entity_path: EntityPath, indexes: Iterable["TimeColumn"], columns: Any, strict: Optional[bool] = None) -> None:
        """Many rows at once: one per value of the index columns, with the
        values of `columns` (e.g. `VideoFrameReference.columns_nanos(ts)`);
        this thread's time is not used."""
        send = getattr(columns, "_send", None)
        if send is None:
            raise TypeError(f"send_columns takes columns such as rr.VideoFrameReference.columns_nanos(...), not {type(columns).__name__}")
        path, index_columns = _path(entity_path), [c._native() for c in indexes]
        self._apply(lambda native: send(native, path, index_columns))

    def flush(self, blocking: bool = True) -> None:
        """Writes what is buffered to the file."""
        if self._native is not None:
            self._native.flush()

    def disconnect(self) -> None:
        """Closes the file (logging after goes nowhere until the next save)."""
        if self._native is not None:
            self._native.close()
            self._native = None

    def _apply(self, op: Any) -> None:
        """Runs `op` on the file's recording, or keeps it for the first file."""
        if self._native is None:
            self._pending.append(op)
        else:
            op(self._native)

    def __del__(self) -> None:
        try:
            self.disconnect()
        except Exception:
            pass


class TimeColumn:
    """The times of many rows on one timeline, for `send_columns`: exactly
    one of `sequence=`, `duration=` (seconds, or timedelta64 values) or
    `timestamp=` (seconds since the epoch, or datetime64 values)."""

    def __init__(self, timeline: str, *, sequence: Any = None, duration: Any = None, timestamp: Any = None) -> None:
        given = [v is not None for v in (sequence, duration, timestamp)]
        if sum(given) != 1:
            raise ValueError("TimeColumn takes exactly one of sequence=, duration= or timestamp=")
        self.timeline = timeline
        if sequence is not None:
            self._kind, values = "sequence", np.asarray(sequence)
            if values.dtype.kind not in "iu":
                raise TypeError(f"TimeColumn sequence= takes integers, not {values.dtype}")
            self._values = values.astype(np.int64)
        elif duration is not None:
            self._kind, self._values = "duration", _ns_column(duration, "timedelta64[ns]")
        else:
            self._kind, self._values = "timestamp", _ns_column(timestamp, "datetime64[ns]")

    def _native(self) -> tuple:
        return (self.timeline, self._kind, self._values.tolist())


def _ns_column(values: Any, numpy_unit: str) -> "np.ndarray":
    array = np.asarray(values)
    if array.dtype.kind in "mM":
        return array.astype(numpy_unit).astype(np.int64)
    if array.dtype.kind in "iuf":
        return np.round(array.astype(np.float64) * 1e9).astype(np.int64)
    raise TypeError(f"expected seconds or numpy time values, not {array.dtype}")


class VideoEncoder:
    """Encodes numpy frames to H.264 or AV1 and logs them as a `VideoStream`
    at `entity_path`, each at this thread's time when it was given (reel's;
    with Rerun this takes PyAV). Use as a context manager, or call
    `finish()` to log the frames the encoder still holds."""

    def __init__(self, entity_path: EntityPath, *, codec: str = "h264", quality: int = 75, keyframe_interval: int = 60, fps: float = 30.0, bitrate: Optional[int] = None, recording: Optional[RecordingStream] = None) -> None:
        rec = _current(recording)
        native = rec._native
        if native is None:
            raise RuntimeError(f"recording {rec.application_id!r} has no file yet: call save(path) first")
        if not 1 <= int(quality) <= 100:
            raise ValueError(f"quality must be 1..100, got {quality}")
        self._native = _reel.VideoEncoder(native, _path(entity_path), str(codec), int(quality), int(keyframe_interval), float(fps), bitrate)

    def encode(self, frame: Any) -> None:
        """Encodes one frame: an HxWx3 (RGB) or HxWx4 (RGBA) uint8 array, or HxW gray."""
        from ._archetypes import Image

        image = frame if isinstance(frame, Image) else Image(frame)
        self._native.encode(image._pixel_bytes(), image._width, image._height, image._layout)

    @property
    def samples_logged(self) -> int:
        """Samples logged so far."""
        return self._native.samples_logged

    def finish(self) -> None:
        """Logs what the encoder still holds; encoding after raises."""
        self._native.finish()

    def __enter__(self) -> "VideoEncoder":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.finish()


_global: Optional[RecordingStream] = None
_global_lock = threading.Lock()


def init(application_id: str, *, recording_id: Optional[str] = None, spawn: bool = False, default_enabled: bool = True, strict: Optional[bool] = None) -> None:
    """Starts the global recording (what `rr.log` and friends write to)."""
    global _global
    with _global_lock:
        if _global is not None:
            _global.disconnect()
        _global = RecordingStream(application_id, recording_id=recording_id, spawn=spawn)


def get_global_data_recording() -> Optional[RecordingStream]:
    """The recording `init` made, if any."""
    return _global


def _current(recording: Optional[RecordingStream]) -> RecordingStream:
    rec = recording or _global
    if rec is None:
        raise RuntimeError("no recording: call rr.init(application_id) first, or pass recording=")
    return rec


def spawn(*, recording: Optional[RecordingStream] = None, **viewer_options: Any) -> str:
    """See `RecordingStream.spawn` (Rerun's viewer options are accepted and ignored)."""
    return _current(recording).spawn()


def save(path: Union[str, "os.PathLike[str]"], default_blueprint: Any = None, recording: Optional[RecordingStream] = None) -> None:
    """The global recording writes to `path` from now on."""
    _current(recording).save(path)


def set_time(timeline: str, *, sequence: Optional[int] = None, duration: Any = None, timestamp: Any = None, recording: Optional[RecordingStream] = None) -> None:
    """See `RecordingStream.set_time`."""
    _current(recording).set_time(timeline, sequence=sequence, duration=duration, timestamp=timestamp)


def disable_timeline(timeline: str, recording: Optional[RecordingStream] = None) -> None:
    """See `RecordingStream.disable_timeline`."""
    _current(recording).disable_timeline(timeline)


def reset_time(recording: Optional[RecordingStream] = None) -> None:
    """See `RecordingStream.reset_time`."""
    _current(recording).reset_time()


def log(entity_path: EntityPath, entity: Any, *extra: Any, static: bool = False, recording: Optional[RecordingStream] = None, strict: Optional[bool] = None) -> None:
    """See `RecordingStream.log`."""
    _current(recording).log(entity_path, entity, *extra, static=static)


def send_columns(entity_path: EntityPath, indexes: Iterable[TimeColumn], columns: Any, recording: Optional[RecordingStream] = None, strict: Optional[bool] = None) -> None:
    """See `RecordingStream.send_columns`."""
    _current(recording).send_columns(entity_path, indexes, columns)


def flush(blocking: bool = True, recording: Optional[RecordingStream] = None) -> None:
    """See `RecordingStream.flush`."""
    _current(recording).flush(blocking)
