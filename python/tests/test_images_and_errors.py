"""Images of several dtypes, JPEG compression, and bad input."""

import numpy as np
import pytest

import reel as rr

from conftest import psnr, run, synthetic


def test_images_of_several_dtypes_and_a_compressed_jpeg(tmp_path, reel_bin):
    rr.init("rerun_example_image_formats")
    rr.save(tmp_path / "images.reel")
    rgb = synthetic(3, 64, 48)
    for i in range(3):
        rr.set_time("frame", sequence=i)
        rr.log("image/rgb", rr.Image(rgb))
        rr.log("image/bgr", rr.Image(rgb[:, :, ::-1], color_model="BGR"))
        rr.log("image/rgba", rr.Image(np.dstack([rgb, np.full((48, 64), 255, np.uint8)])))
        rr.log("image/gray16", rr.Image(np.full((48, 64), 1000 * i, np.uint16)))
        rr.log("image/depth", rr.Image(np.full((48, 64), 0.5 * i, np.float32)))
        rr.log("image/nv12", rr.Image(bytes=bytes(64 * 48 * 3 // 2), width=64, height=48, pixel_format=rr.PixelFormat.NV12))
        rr.log("image/jpeg", rr.Image(rgb).compress(jpeg_quality=75))
    rr.get_global_data_recording().disconnect()
    # compress() made lazily and on the worker pool gives the same JPEG as at once.
    lazy = rr.Image(rgb).compress(jpeg_quality=75)
    eager = rr._reel.compress_jpeg(np.ascontiguousarray(rgb).tobytes(), 64, 48, "RGB_U8", 75)
    assert lazy.contents == eager and eager[:2] == b"\xff\xd8"
    printed = run(reel_bin, "print", str(tmp_path / "images.reel"))
    for entity, shown in [
        ("/image/rgb", "Image 64x48 RGB8 (9216 B)"),
        ("/image/bgr", "Image 64x48 BGR8"),
        ("/image/rgba", "Image 64x48 RGBA8 (12288 B)"),
        ("/image/gray16", "Image 64x48 L16 (6144 B)"),
        ("/image/depth", "(12288 B)"),
        ("/image/nv12", "Image 64x48 NV12 (4608 B)"),
        ("/image/jpeg", "media_type=image/jpeg"),
    ]:
        section = printed.split(entity + ":")[1].split("\n/")[0]
        assert section.count(shown) == 3, f"{entity}: {section}"


def test_bad_input_raises_clear_python_errors(tmp_path):
    with pytest.raises(ValueError, match="dtype"):
        rr.Image(np.zeros((4, 4, 3), np.complex64))
    with pytest.raises(ValueError, match="shape"):
        rr.Image(np.zeros((4, 4, 2), np.uint8))
    with pytest.raises(ValueError, match="channels"):
        rr.Image(np.zeros((4, 4, 3), np.uint8), color_model="RGBA")
    with pytest.raises(ValueError, match="width"):
        rr.Image(bytes=b"\0" * 10, pixel_format="NV12")
    with pytest.raises(ValueError, match="unknown video codec"):
        rr.VideoStream(codec="mpeg2")
    with pytest.raises(TypeError, match="integer"):
        rec = rr.RecordingStream("errors")
        rec.save(tmp_path / "e.reel")
        rec.set_time("frame", sequence=1.5)
    not_video = tmp_path / "notes.mp4"
    not_video.write_text("not a video")
    with pytest.raises(ValueError, match="notes|video|mp4"):
        rr.AssetVideo(path=not_video).read_frame_timestamps_nanos()
    with pytest.raises(ValueError, match="notes.mp4"):
        rr.open(not_video)
    rec = rr.RecordingStream("closed")
    rec.save(tmp_path / "closed.reel")
    rec.disconnect()
    native = rr._reel.Recording("closed2", str(tmp_path / "closed2.reel"))
    native.close()
    with pytest.raises(RuntimeError, match="closed"):
        native.log_encoded_image("img", b"\xff\xd8\xff", None, False)
    # Wrong sizes of raw bytes: the native check says which entity.
    rec = rr.RecordingStream("sizes")
    rec.save(tmp_path / "sizes.reel")
    with pytest.raises(ValueError, match="/cam"):
        rec.log("/cam", rr.Image(bytes=b"\0" * 10, width=64, height=48, pixel_format="NV12"))
    rec.disconnect()


def test_spawn_opens_the_viewer_on_a_followed_file(tmp_path, monkeypatch, reel_bin):
    # A stand-in viewer records how it was started.
    argv_file = tmp_path / "argv"
    fake = tmp_path / "fake-reel"
    fake.write_text(f"#!/bin/sh\necho \"$@\" > {argv_file}\n")
    fake.chmod(0o755)
    monkeypatch.setenv("REEL_BIN", str(fake))
    rr.init("rerun_example_spawn", spawn=True)
    rr.set_time("frame", sequence=0)
    rr.log("image", rr.Image(synthetic(0, 64, 48)))
    path = rr.get_global_data_recording()._native.path
    rr.get_global_data_recording().disconnect()
    import time

    for _ in range(100):
        if argv_file.exists() and argv_file.read_text().strip():
            break
        time.sleep(0.05)
    assert argv_file.read_text().split() == ["view", "--follow", str(path)]
    assert "rows: 1 (0 static)" in run(reel_bin, "info", str(path))


def test_rows_logged_before_save_reach_the_file(tmp_path, reel_bin):
    # Rerun buffers what is logged before a sink exists; so does reel.
    rec = rr.RecordingStream("early")
    rec.set_time("frame", sequence=0)
    rec.log("image", rr.Image(synthetic(0, 64, 48)))
    rec.save(tmp_path / "early.reel")
    rec.set_time("frame", sequence=1)
    rec.log("image", rr.Image(synthetic(1, 64, 48)))
    rec.disconnect()
    printed = run(reel_bin, "print", str(tmp_path / "early.reel"))
    assert "frame=#0" in printed and "frame=#1" in printed, printed


def test_image_columns_the_way_rerun_documents_them(tmp_path, reel_bin):
    # Rerun's image_column_updates example: the format once, buffers as columns.
    times = np.arange(0, 20)
    width, height = 300, 200
    images = np.zeros((len(times), height, width, 3), dtype=np.uint8)
    images[:, :, :, 2] = 255
    for t in times:
        images[t, 50:150, (t * 10) : (t * 10 + 100), 1] = 255
    rr.init("rerun_example_image_column_updates")
    rr.save(tmp_path / "columns.reel")
    fmt = rr.components.ImageFormat(width=width, height=height, color_model="RGB", channel_datatype="U8")
    rr.log("images", rr.Image.from_fields(format=fmt), static=True)
    rr.send_columns("images", indexes=[rr.TimeColumn("step", sequence=times)], columns=rr.Image.columns(buffer=images.reshape(len(times), -1)))
    rr.set_time("step", sequence=20)
    rr.log("images", rr.Image.from_fields(buffer=images[0].tobytes(), format=fmt))
    rr.get_global_data_recording().disconnect()
    printed = run(reel_bin, "print", "-n", "30", str(tmp_path / "columns.reel"))
    assert printed.count("Image 300x200 RGB8 (180000 B)") == 21, printed
    assert "step=#19" in printed
    # A buffer of the wrong size is refused, naming the entity.
    rec = rr.RecordingStream("columns_bad")
    rec.save(tmp_path / "bad.reel")
    with pytest.raises(ValueError, match="/images"):
        rec.send_columns("/images", indexes=[rr.TimeColumn("step", sequence=[0])], columns=rr.Image.columns(buffer=[b"\0" * 10], format=fmt))
    with pytest.raises(ValueError, match="format"):
        rec.send_columns("/other", indexes=[rr.TimeColumn("step", sequence=[0])], columns=rr.Image.columns(buffer=[b"\0" * 10]))
    rec.disconnect()


def test_jpeg_quality_matches_pillow():
    """A quality means what it means in Pillow (and so in Rerun's `compress`):
    at q75, reel's JPEGs are within 0.2 dB of Pillow's on the same frames,
    both decoded by Pillow (libjpeg-turbo), and about as large."""
    Image = pytest.importorskip("PIL.Image")
    import io

    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:480, 0:640].astype(np.float64)
    blob = np.exp(-(((x / 640 - 0.6) ** 2) + ((y / 480 - 0.4) ** 2)) * 12) * 120
    photo = np.stack([60 + 120 * x / 640 + blob, 80 + 90 * y / 480 + 0.6 * blob, 140 - 60 * x / 640 + 40 * np.sin(x / 32) * y / 480], -1)
    photo = np.clip(photo + rng.integers(-4, 5, photo.shape), 0, 255).astype(np.uint8)
    frames = [photo] + [synthetic(i, 640, 480) for i in (0, 17, 40)]

    def decode(jpeg: bytes) -> np.ndarray:
        return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))

    for n, rgb in enumerate(frames):
        ours = rr._reel.compress_jpeg(rgb.tobytes(), 640, 480, "RGB_U8", 75)
        out = io.BytesIO()
        Image.fromarray(rgb).save(out, format="JPEG", quality=75)
        pillows = out.getvalue()
        ours_db, pillow_db = psnr(rgb, decode(ours)), psnr(rgb, decode(pillows))
        print(f"frame {n}: reel {ours_db:.2f} dB {len(ours)} B, Pillow {pillow_db:.2f} dB {len(pillows)} B")
        assert abs(ours_db - pillow_db) <= 0.2, f"frame {n}: reel {ours_db:.2f} dB, Pillow {pillow_db:.2f} dB"
        assert len(ours) <= 1.1 * len(pillows), f"frame {n}: {len(ours)} B vs Pillow's {len(pillows)} B"
