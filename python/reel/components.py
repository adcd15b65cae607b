"""Components Rerun's API passes on their own (a subset)."""

from __future__ import annotations

from typing import Any, Optional, Union

from ._archetypes import ChannelDatatype, ColorModel, PixelFormat, _enum


class ImageFormat:
    """The size and pixel layout of images whose buffers come apart
    (`rr.Image.from_fields(format=...)`, `rr.Image.columns(format=...)`)."""

    def __init__(
        self,
        width: int,
        height: int,
        pixel_format: Optional[Union[PixelFormat, str]] = None,
        color_model: Optional[Union[ColorModel, str]] = None,
        channel_datatype: Optional[Union[ChannelDatatype, str]] = None,
    ) -> None:
        self.width, self.height = int(width), int(height)
        pixel_format = _enum(PixelFormat, pixel_format, "pixel format")
        if pixel_format is not None:
            self.layout = pixel_format.value
        else:
            model = _enum(ColorModel, color_model, "color model") or ColorModel.RGB
            datatype = _enum(ChannelDatatype, channel_datatype, "datatype") or ChannelDatatype.U8
            self.layout = f"{model.value}_{datatype.value}"

    def _native(self) -> Any:
        return (self.width, self.height, self.layout)
