"""Video logged the way Rerun's docs write it, checked with ffprobe/ffmpeg
and read back with reel's decoders."""

import json
import subprocess

import av
import numpy as np
import pytest

import reel as rr

from conftest import decode_all, psnr, run, synthetic

FRAMES = 60


def test_video_stream_from_pyav_packets(tmp_path, reel_bin, ffmpeg):
    # As Rerun's video_stream_synthetic example: PyAV encodes, each packet
    # is one VideoStream sample at its presentation time.
    rr.init("rerun_example_video_stream_synthetic")
    rr.save(tmp_path / "stream.reel")
    container = av.open("/dev/null", "w", format="h264")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    stream.max_b_frames = 0
    rr.log("video_stream", rr.VideoStream(codec=rr.VideoCodec.H264), static=True)
    packets = 0

    def log_packets(packets_out):
        nonlocal packets
        for packet in packets_out:
            if packet.pts is None:
                continue
            rr.set_time("time", duration=float(packet.pts * packet.time_base))
            rr.log("video_stream", rr.VideoStream.from_fields(sample=bytes(packet)))
            packets += 1

    for i in range(FRAMES):
        log_packets(stream.encode(av.VideoFrame.from_ndarray(synthetic(i), format="rgb24")))
    log_packets(stream.encode())
    container.close()
    rr.get_global_data_recording().disconnect()
    assert packets == FRAMES

    info = run(reel_bin, "info", str(tmp_path / "stream.reel"))
    assert "/video_stream  [VideoStream]" in info, info
    assert f"rows: {FRAMES + 1} (1 static)" in info, info

    mp4 = tmp_path / "stream.mp4"
    run(reel_bin, "export-mp4", str(tmp_path / "stream.reel"), "--entity", "/video_stream", "--out", str(mp4))
    probe = json.loads(run("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(mp4)))
    video = probe["streams"][0]
    assert video["codec_name"] == "h264"
    assert int(video["nb_read_frames"]) == FRAMES
    assert (video["width"], video["height"]) == (320, 240)

    # Reading back: reel's decode of the frame at a time against ffmpeg's.
    expected = decode_all(str(mp4), 320, 240)
    recording = rr.open(tmp_path / "stream.reel")
    assert recording.entities() == ["/video_stream"]
    assert recording.timelines() == [("time", "duration")]
    for i in (0, 1, 29, 30, 59):
        got = recording.frame_at("/video_stream", i / 30 + 0.001)
        assert got.shape == (240, 320, 3) and got.dtype == np.uint8
        assert psnr(got, expected[i]) >= 45, f"frame {i}: {psnr(got, expected[i]):.1f} dB"
    # The picture really moves: consecutive frames differ.
    assert psnr(recording.frame_at("/video_stream", 0.001), expected[30]) < 30

    # A training loader's read: every frame of the first second, in order.
    frames = list(recording.frames("/video_stream", 0.0, 1.0))
    assert [round(t * 30) for t, _ in frames] == list(range(31))
    for i, (_, frame) in enumerate(frames):
        assert psnr(frame, expected[i]) >= 45, f"frame {i}"

    # The rows as a pyarrow Table: one per sample plus the static codec row.
    table = recording.rows("/video_stream")
    assert table.num_rows == FRAMES + 1
    samples = [s for s in table.column("VideoStream:sample").to_pylist() if s is not None]
    assert len(samples) == FRAMES and all(len(s) > 0 for s in samples)


def test_asset_video_with_frame_references_sent_as_columns(tmp_path, reel_bin, ffmpeg):
    # As Rerun's video_auto_frames example: the file as an asset, its frame
    # times as VideoFrameReference columns.
    mp4 = tmp_path / "clip.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(mp4)],
        check=True,
    )
    rr.init("rerun_example_asset_video_auto_frames")
    rr.save(tmp_path / "asset.reel")
    video_asset = rr.AssetVideo(path=mp4)
    rr.log("video", video_asset, static=True)
    frame_timestamps_ns = video_asset.read_frame_timestamps_nanos()
    rr.send_columns(
        "video",
        indexes=[rr.TimeColumn("video_time", duration=1e-9 * frame_timestamps_ns)],
        columns=rr.VideoFrameReference.columns_nanos(frame_timestamps_ns),
    )
    rr.get_global_data_recording().disconnect()

    # The timestamps are ffprobe's, in order (the file has B-frames).
    probe = json.loads(run("ffprobe", "-v", "error", "-select_streams", "v", "-show_frames",
                           "-show_entries", "frame=pts_time", "-of", "json", str(mp4)))
    pts = sorted(round(float(f["pts_time"]) * 1e9) for f in probe["frames"])
    assert frame_timestamps_ns.dtype == np.int64
    assert np.all(np.abs(frame_timestamps_ns - np.array(pts)) <= 1000)

    info = run(reel_bin, "info", str(tmp_path / "asset.reel"))
    assert f"rows: {len(pts) + 1} (1 static)" in info, info
    asset_bytes = mp4.stat().st_size
    assert f"AssetVideo:blob: 1 rows" in info

    expected = decode_all(str(mp4), 320, 240)
    recording = rr.open(tmp_path / "asset.reel")
    for i in (0, 17, len(pts) - 1):
        got = recording.frame_at("/video", pts[i] / 1e9, timeline="video_time")
        assert psnr(got, expected[i]) >= 45, f"frame {i}: {psnr(got, expected[i]):.1f} dB"
    # Iterating through the frame references.
    frames = list(recording.frames("/video", 0.0, 0.5, timeline="video_time"))
    assert len(frames) == 16
    for i, (t, frame) in enumerate(frames):
        assert abs(t - pts[i] / 1e9) < 1e-6
        assert psnr(frame, expected[i]) >= 45, f"frame {i}"
    assert asset_bytes > 0


def test_reel_b_frames_with_pts_and_dts(tmp_path, reel_bin):
    # Beyond Rerun: B-frame samples with their PTS/DTS.
    rr.init("b_frames")
    rr.save(tmp_path / "b.reel")
    container = av.open("/dev/null", "w", format="h264")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    rr.log("cam", rr.VideoStream(codec="h264"), static=True)
    n = 0
    for i in range(FRAMES + 1):
        frame = av.VideoFrame.from_ndarray(synthetic(i), format="rgb24") if i < FRAMES else None
        for p in stream.encode(frame):
            ns = lambda t: int(round(float(t * p.time_base) * 1e9))  # noqa: E731
            rr.set_time("time", duration=float(p.pts * p.time_base))
            rr.log("cam", rr.VideoStream(sample=bytes(p), is_keyframe=p.is_keyframe, pts_ns=ns(p.pts), dts_ns=ns(p.dts)))
            n += 1
    container.close()
    rr.get_global_data_recording().disconnect()
    assert n == FRAMES
    mp4 = tmp_path / "b.mp4"
    run(reel_bin, "export-mp4", str(tmp_path / "b.reel"), "--entity", "/cam", "--out", str(mp4))
    expected = decode_all(str(mp4), 320, 240)
    assert len(expected) == FRAMES
    recording = rr.open(tmp_path / "b.reel")
    for i in (0, 5, 31, 59):
        assert psnr(recording.frame_at("/cam", i / 30 + 0.001), expected[i]) >= 45


def test_video_encoder_logs_a_stream_from_numpy_frames(tmp_path, reel_bin, ffmpeg):
    # What Rerun's SDK lacks: frames in, a VideoStream out, no PyAV.
    rec = rr.RecordingStream("encoder")
    rec.save(tmp_path / "enc.reel")
    frames = [synthetic(i) for i in range(FRAMES)]
    with rr.VideoEncoder("camera", codec="h264", quality=90, recording=rec) as encoder:
        for i, frame in enumerate(frames):
            rec.set_time("time", duration=i / 30)
            encoder.encode(frame)
    assert encoder.samples_logged == FRAMES
    rec.disconnect()
    mp4 = tmp_path / "enc.mp4"
    run(reel_bin, "export-mp4", str(tmp_path / "enc.reel"), "--entity", "/camera", "--out", str(mp4))
    probe = json.loads(run("ffprobe", "-v", "error", "-count_frames", "-show_streams", "-of", "json", str(mp4)))
    assert probe["streams"][0]["codec_name"] == "h264"
    assert int(probe["streams"][0]["nb_read_frames"]) == FRAMES
    decoded = decode_all(str(mp4), 320, 240)
    recording = rr.open(tmp_path / "enc.reel")
    for i in (0, 30, 59):
        got = recording.frame_at("/camera", i / 30 + 0.001)
        assert psnr(got, decoded[i]) >= 45  # reel decodes as ffmpeg does
        assert psnr(got, frames[i]) >= 30, f"frame {i}: {psnr(got, frames[i]):.1f} dB"  # lossy, but the picture
    with pytest.raises(RuntimeError, match="finished"):
        encoder.encode(frames[0])


def test_video_stream_samples_sent_as_columns(tmp_path, reel_bin, ffmpeg):
    # As Rerun's docs batch a stream: the samples and their times as columns.
    mp4 = tmp_path / "clip.mp4"
    subprocess.run(
        [ffmpeg, "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30", "-t", "2",
         "-c:v", "libx264", "-bf", "0", "-pix_fmt", "yuv420p", str(mp4)],
        check=True,
    )
    samples, times = [], []
    with av.open(str(mp4)) as c:
        bsf = av.BitStreamFilterContext("h264_mp4toannexb", c.streams.video[0])
        for pkt in c.demux(c.streams.video[0]):
            for p in bsf.filter(pkt):
                if p.pts is not None:
                    samples.append(bytes(p))
                    times.append(float(p.pts * p.time_base))
    rr.init("rerun_example_video_stream_columns")
    rr.save(tmp_path / "cols.reel")
    rr.log("video", rr.VideoStream(codec=rr.VideoCodec.H264), static=True)
    rr.send_columns("video", indexes=[rr.TimeColumn("time", duration=times)], columns=rr.VideoStream.columns(sample=samples))
    rr.get_global_data_recording().disconnect()
    assert f"rows: {len(samples) + 1} (1 static)" in run(reel_bin, "info", str(tmp_path / "cols.reel"))
    out = tmp_path / "cols.mp4"
    run(reel_bin, "export-mp4", str(tmp_path / "cols.reel"), "--entity", "/video", "--out", str(out))
    expected = decode_all(str(mp4), 320, 240)
    assert len(decode_all(str(out), 320, 240)) == len(expected) == len(samples)
    recording = rr.open(tmp_path / "cols.reel")
    for i in (0, 31, len(samples) - 1):
        assert psnr(recording.frame_at("/video", times[i] + 0.001), expected[i]) >= 45
