"""reel: log camera images and video with Rerun's Python API, on reel's Rust engine.

Code written for Rerun's video and image API moves over by changing the
import line (``import reel as rr``): ``rr.init``, ``rr.save``, ``rr.set_time``,
``rr.log`` and the ``Image``, ``EncodedImage``, ``AssetVideo``,
``VideoFrameReference`` and ``VideoStream`` archetypes. Reading back is
reel's own: ``reel.open(path).frame_at(entity, seconds)`` gives the frame as
a numpy array, decoded by reel.
"""

from . import components
from ._reel import __version__
from ._archetypes import (
    AssetVideo,
    ChannelDatatype,
    ColorModel,
    EncodedImage,
    Image,
    PixelFormat,
    VideoCodec,
    VideoFrameReference,
    VideoStream,
)
from ._recording import (
    RecordingStream,
    TimeColumn,
    VideoEncoder,
    disable_timeline,
    flush,
    get_global_data_recording,
    init,
    log,
    reset_time,
    save,
    send_columns,
    set_time,
    spawn,
)
from ._reading import RecordingReader, open

__all__ = [
    "AssetVideo",
    "ChannelDatatype",
    "ColorModel",
    "EncodedImage",
    "Image",
    "PixelFormat",
    "RecordingReader",
    "RecordingStream",
    "TimeColumn",
    "VideoCodec",
    "VideoEncoder",
    "VideoFrameReference",
    "VideoStream",
    "__version__",
    "components",
    "disable_timeline",
    "flush",
    "get_global_data_recording",
    "init",
    "log",
    "open",
    "reset_time",
    "save",
    "send_columns",
    "set_time",
    "spawn",
]
