"""The archetypes, with Rerun's names, keywords and checks.

Each validates its input when built (a wrong dtype or shape raises there,
as in Rerun) and knows how to hand itself to a native recording."""

from __future__ import annotations

import enum
import os
from typing import Any, Optional, Tuple, Union

import numpy as np

from . import _reel

PathLike = Union[str, "os.PathLike[str]"]


class ColorModel(enum.Enum):
    """How the channels of an image are to be read (Rerun's names)."""

    L = "L"
    RGB = "RGB"
    RGBA = "RGBA"
    BGR = "BGR"
    BGRA = "BGRA"


class ChannelDatatype(enum.Enum):
    """The type of one channel."""

    U8 = "U8"
    U16 = "U16"
    U32 = "U32"
    I8 = "I8"
    I16 = "I16"
    I32 = "I32"
    F16 = "F16"
    F32 = "F32"
    F64 = "F64"


class PixelFormat(enum.Enum):
    """YUV layouts an image's bytes may have."""

    NV12 = "NV12"
    YUY2 = "YUY2"
    Y_U_V420 = "I420"
    Y_U_V422 = "Y_U_V422"
    Y_U_V444 = "Y_U_V444"


class VideoCodec(enum.Enum):
    """Codecs of a `VideoStream`."""

    H264 = "H264"
    H265 = "H265"
    AV1 = "AV1"
    VP8 = "VP8"
    VP9 = "VP9"


_DTYPES = {
    np.dtype(np.uint8): ChannelDatatype.U8,
    np.dtype(np.uint16): ChannelDatatype.U16,
    np.dtype(np.uint32): ChannelDatatype.U32,
    np.dtype(np.int8): ChannelDatatype.I8,
    np.dtype(np.int16): ChannelDatatype.I16,
    np.dtype(np.int32): ChannelDatatype.I32,
    np.dtype(np.float16): ChannelDatatype.F16,
    np.dtype(np.float32): ChannelDatatype.F32,
    np.dtype(np.float64): ChannelDatatype.F64,
}

_CHANNELS = {ColorModel.L: 1, ColorModel.RGB: 3, ColorModel.BGR: 3, ColorModel.RGBA: 4, ColorModel.BGRA: 4}


def _enum(kind: type, value: Any, what: str) -> Any:
    if value is None or isinstance(value, kind):
        return value
    try:
        return kind[str(value).upper()] if str(value).upper() in kind.__members__ else kind(str(value).upper())
    except ValueError:
        known = ", ".join(kind.__members__)
        raise ValueError(f"unknown {what} {value!r}; known: {known}") from None


class Image:
    """Raw pixels: a numpy array (HxW, HxWx1, HxWx3, HxWx4 of any supported
    dtype), or `bytes` with `width`, `height` and a `pixel_format` or
    `color_model` + `datatype`."""

    def __init__(
        self,
        image: Any = None,
        color_model: Optional[Union[ColorModel, str]] = None,
        *,
        pixel_format: Optional[Union[PixelFormat, str]] = None,
        datatype: Optional[Union[ChannelDatatype, str, type, np.dtype]] = None,
        bytes: Optional[Any] = None,
        width: Optional[int] = None,
        height: Optional[int] = None,
        opacity: Optional[float] = None,
        draw_order: Optional[float] = None,
    ) -> None:
        color_model = _enum(ColorModel, color_model, "color model")
        pixel_format = _enum(PixelFormat, pixel_format, "pixel format")
        if (image is None) == (bytes is None):
            raise ValueError("Image takes either an array (image=) or bytes= with width= and height=")
        if image is not None:
            array = np.asarray(image)
            if array.dtype not in _DTYPES:
                raise ValueError(f"Image: unsupported dtype {array.dtype}; use one of {', '.join(str(d) for d in _DTYPES)}")
            if pixel_format is not None:
                raise ValueError("Image: pixel_format= goes with bytes=, width= and height=")
            if array.ndim == 3 and array.shape[2] == 1:
                array = array[:, :, 0]
            if array.ndim == 2:
                model = color_model or ColorModel.L
            elif array.ndim == 3 and array.shape[2] in (3, 4):
                model = color_model or (ColorModel.RGB if array.shape[2] == 3 else ColorModel.RGBA)
            else:
                raise ValueError(f"Image: expected an HxW, HxWx1, HxWx3 or HxWx4 array, got shape {array.shape}")
            channels = 1 if array.ndim == 2 else array.shape[2]
            if _CHANNELS[model] != channels:
                raise ValueError(f"Image: color model {model.value} has {_CHANNELS[model]} channels, the array {channels}")
            self._height, self._width = int(array.shape[0]), int(array.shape[1])
            self._layout = f"{model.value}_{_DTYPES[array.dtype].value}"
            # The native side takes the bytes as they are laid out in memory.
            self._data: Any = np.ascontiguousarray(array)
        else:
            if width is None or height is None:
                raise ValueError("Image: bytes= needs width= and height=")
            self._width, self._height = int(width), int(height)
            if pixel_format is not None:
                self._layout = pixel_format.value
            else:
                if color_model is None or datatype is None:
                    raise ValueError("Image: bytes= needs pixel_format=, or color_model= and datatype=")
                if not isinstance(datatype, (ChannelDatatype, str)):
                    datatype = _DTYPES.get(np.dtype(datatype))
                    if datatype is None:
                        raise ValueError("Image: unsupported datatype")
                datatype = _enum(ChannelDatatype, datatype, "datatype")
                self._layout = f"{color_model.value}_{datatype.value}"
            self._data = _as_bytes(bytes)

    def _pixel_bytes(self) -> bytes:
        """The pixels as `bytes`: an array is copied now (the caller may
        change it after logging), `bytes` are immutable and go as they are."""
        return self._data if isinstance(self._data, bytes) else self._data.tobytes()

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        rec.log_image(path, self._pixel_bytes(), self._width, self._height, self._layout, static)

    @classmethod
    def from_fields(cls, *, buffer: Any = None, format: Any = None, opacity: Any = None, draw_order: Any = None, clear_unset: bool = False) -> Any:
        """Rerun's partial update: a buffer with its format, or the format
        alone (for `Image.columns` rows that follow)."""
        if format is None:
            raise ValueError("Image.from_fields needs format=")
        if buffer is None:
            return _ImageFormatRow(format)
        if "_" in format.layout and format.layout.split("_")[0] in ColorModel.__members__:
            model, datatype = format.layout.split("_", 1)
            return cls(bytes=_as_bytes(buffer), width=format.width, height=format.height, color_model=model, datatype=datatype)
        pixel = next(p for p in PixelFormat if p.value == format.layout)
        return cls(bytes=_as_bytes(buffer), width=format.width, height=format.height, pixel_format=pixel)

    @classmethod
    def columns(cls, *, buffer: Any = None, format: Any = None, opacity: Any = None, draw_order: Any = None, magnification_filter: Any = None) -> "_ImageColumns":
        """Columns of images, one row per buffer (an N x ... array, or a list
        of bytes), for `rr.send_columns`; `format` defaults to the one logged
        with `Image.from_fields(format=...)`."""
        if buffer is None:
            raise ValueError("Image.columns needs buffer=")
        if isinstance(buffer, np.ndarray):
            buffers = [row.tobytes() for row in np.ascontiguousarray(buffer).reshape(len(buffer), -1)]
        else:
            buffers = [_as_bytes(b) for b in buffer]
        return _ImageColumns(buffers, None if format is None else format._native())

    def compress(self, jpeg_quality: int = 95) -> "EncodedImage":
        """This image as a JPEG `EncodedImage` (RGB, RGBA, BGR or gray, 8-bit).

        The JPEG is made when it is first needed: logged, it is compressed
        on reel's pool of worker threads (the row keeps its place and time),
        so logging goes on while earlier frames compress."""
        if not 1 <= int(jpeg_quality) <= 100:
            raise ValueError(f"jpeg_quality must be 1..100, got {jpeg_quality}")
        if not self._layout.endswith("_U8"):
            raise ValueError(f"compress takes 8-bit RGB, RGBA, BGR, BGRA or gray images, not {self._layout}")
        # The pixels as they are now: the caller may reuse the array.
        return EncodedImage._of_pixels((self._pixel_bytes(), self._width, self._height, self._layout), int(jpeg_quality))


def _as_bytes(value: Any) -> bytes:
    """`bytes` of a bytes-like value (bytes, bytearray, memoryview, numpy)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, np.ndarray):
        return value.tobytes()
    try:
        return memoryview(value).tobytes()
    except TypeError:
        raise TypeError(f"expected bytes or a bytes-like object, not {type(value).__name__}") from None


def _contents(path: Optional[PathLike], contents: Any, what: str) -> bytes:
    if (path is None) == (contents is None):
        raise ValueError(f"{what} takes either path= or contents=")
    if path is not None:
        with open(path, "rb") as f:
            return f.read()
    return _as_bytes(contents)


class EncodedImage:
    """An encoded image (JPEG, PNG) from a file or bytes."""

    def __init__(self, *, path: Optional[PathLike] = None, contents: Any = None, media_type: Optional[str] = None, opacity: Optional[float] = None, draw_order: Optional[float] = None) -> None:
        self._contents: Optional[bytes] = _contents(path, contents, "EncodedImage")
        self._media_type = media_type
        self._pixels: Optional[Tuple[Tuple[bytes, int, int, str], int]] = None

    @classmethod
    def _of_pixels(cls, pixels: Tuple[bytes, int, int, str], quality: int) -> "EncodedImage":
        """A JPEG of (bytes, width, height, layout), compressed when first
        needed (`Image.compress`)."""
        encoded = cls.__new__(cls)
        encoded._contents, encoded._media_type, encoded._pixels = None, "image/jpeg", (pixels, quality)
        return encoded

    @property
    def contents(self) -> bytes:
        """The encoded bytes."""
        if self._contents is None and self._pixels is not None:
            (data, width, height, layout), quality = self._pixels
            self._contents = _reel.compress_jpeg(data, width, height, layout, quality)
        assert self._contents is not None
        return self._contents

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        if self._contents is None and self._pixels is not None:
            (data, width, height, layout), quality = self._pixels
            rec.log_compressed(path, data, width, height, layout, quality, static)
        else:
            rec.log_encoded_image(path, self.contents, self._media_type, static)


class AssetVideo:
    """A whole video file (MP4, MOV, MKV, WebM) from a file or bytes."""

    def __init__(self, *, path: Optional[PathLike] = None, contents: Any = None, media_type: Optional[str] = None) -> None:
        self._contents = _contents(path, contents, "AssetVideo")
        if media_type is None and path is not None:
            media_type = {".mp4": "video/mp4", ".mov": "video/quicktime", ".mkv": "video/x-matroska", ".webm": "video/webm"}.get(os.path.splitext(os.fspath(path))[1].lower())
        self._media_type = media_type

    def read_frame_timestamps_nanos(self) -> np.ndarray:
        """The presentation time of every frame, in nanoseconds (int64), sorted."""
        return np.asarray(_reel.frame_timestamps_nanos(self._contents, self._media_type), dtype=np.int64)

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        rec.log_asset_video(path, self._contents, self._media_type, static)


class VideoFrameReference:
    """Which frame of a video shows: a time in the video (`seconds=` or
    `nanoseconds=`), in the video at `video_reference` (default: this entity)."""

    def __init__(self, timestamp: Any = None, *, seconds: Optional[float] = None, nanoseconds: Optional[int] = None, video_reference: Optional[str] = None) -> None:
        given = [v is not None for v in (timestamp, seconds, nanoseconds)]
        if sum(given) != 1:
            raise ValueError("VideoFrameReference takes exactly one of timestamp, seconds= or nanoseconds=")
        if nanoseconds is not None:
            self._ns = int(nanoseconds)
        elif seconds is not None:
            self._ns = int(round(float(seconds) * 1e9))
        else:
            self._ns = int(timestamp)
        self._video_reference = video_reference

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        rec.log_frame_reference(path, self._ns, self._video_reference, static)

    @classmethod
    def columns_nanos(cls, nanoseconds: Any) -> "_FrameReferenceColumns":
        """Columns of references at these video times (ns), for `rr.send_columns`."""
        return _FrameReferenceColumns(np.asarray(nanoseconds, dtype=np.int64))

    @classmethod
    def columns_secs(cls, seconds: Any) -> "_FrameReferenceColumns":
        """Columns of references at these video times (s), for `rr.send_columns`."""
        return _FrameReferenceColumns(np.round(np.asarray(seconds, dtype=np.float64) * 1e9).astype(np.int64))

    @classmethod
    def columns(cls, *, timestamp: Any = None, video_reference: Any = None) -> "_FrameReferenceColumns":
        """Columns of references (`timestamp` in ns), for `rr.send_columns`."""
        if video_reference is not None:
            raise NotImplementedError("send_columns with video_reference= is not built yet; log rows with VideoFrameReference(..., video_reference=)")
        return cls.columns_nanos(timestamp)


class _FrameReferenceColumns:
    """`VideoFrameReference` columns waiting for `send_columns`."""

    def __init__(self, nanoseconds: np.ndarray) -> None:
        if nanoseconds.ndim != 1:
            raise ValueError(f"frame reference times must be one-dimensional, got shape {nanoseconds.shape}")
        self._ns = nanoseconds

    def _send(self, rec: "_reel.Recording", path: str, indexes: list) -> None:
        rec.send_frame_references(path, indexes, self._ns.tolist())


class VideoStream:
    """Encoded video, one sample per row (`VideoCodec`: H.264/H.265 Annex B,
    AV1 OBUs, VP8/VP9 frames). reel also takes B-frames: give `pts_ns=` and
    `dts_ns=` (Rerun's VideoStream has none)."""

    def __init__(self, codec: Optional[Union[VideoCodec, str]] = None, *, sample: Any = None, is_keyframe: Optional[bool] = None, pts_ns: Optional[int] = None, dts_ns: Optional[int] = None) -> None:
        self._codec = _enum(VideoCodec, codec, "video codec")
        self._sample = None if sample is None else _as_bytes(sample)
        if self._codec is None and self._sample is None:
            raise ValueError("VideoStream needs codec= or sample=")
        self._is_keyframe = is_keyframe
        self._pts_ns = pts_ns
        self._dts_ns = dts_ns

    @classmethod
    def columns(cls, *, codec: Any = None, sample: Any = None) -> "_VideoStreamColumns":
        """Columns of samples, one row each, for `rr.send_columns` (log the
        codec once, statically, with `VideoStream(codec=...)`)."""
        if codec is not None:
            raise NotImplementedError("send_columns with codec= is not built yet; log VideoStream(codec=...) statically")
        if sample is None:
            raise ValueError("VideoStream.columns needs sample=")
        return _VideoStreamColumns([_as_bytes(s) for s in sample])

    @classmethod
    def from_fields(cls, *, codec: Optional[Union[VideoCodec, str]] = None, sample: Any = None, clear_unset: bool = False, **kwargs: Any) -> "VideoStream":
        """Rerun's partial update: the fields given."""
        return cls(codec, sample=sample, **kwargs)

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        codec = None if self._codec is None else self._codec.value
        rec.log_video_stream(path, codec, self._sample, self._is_keyframe, self._pts_ns, self._dts_ns, static)


class _VideoStreamColumns:
    """`VideoStream` sample columns waiting for `send_columns`."""

    def __init__(self, samples: list) -> None:
        self._samples = samples

    def _send(self, rec: "_reel.Recording", path: str, indexes: list) -> None:
        rec.send_video_samples(path, indexes, self._samples)


class _ImageFormatRow:
    """`Image.from_fields(format=...)` alone: remembered for the columns that follow."""

    def __init__(self, format: Any) -> None:
        self._format = format

    def _log(self, rec: "_reel.Recording", path: str, static: bool) -> None:
        rec.set_image_format(path, self._format.width, self._format.height, self._format.layout)


class _ImageColumns:
    """`Image` buffer columns waiting for `send_columns`."""

    def __init__(self, buffers: list, format: Any) -> None:
        self._buffers, self._format = buffers, format

    def _send(self, rec: "_reel.Recording", path: str, indexes: list) -> None:
        rec.send_images(path, indexes, self._buffers, self._format)
