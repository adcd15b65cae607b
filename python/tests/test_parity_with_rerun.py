"""The same code logged with `import rerun as rr` and `import reel as rr`:
the recordings hold the same entities, rows, timelines and bytes."""

import os

import av
import numpy as np
import pytest

import reel

from conftest import synthetic

rerun = pytest.importorskip("rerun") if os.environ.get("REEL_REQUIRE_MEDIA_TOOLS") != "1" else __import__("rerun")


def log_the_docs_way(rr, path, samples):
    """Images of several dtypes, a JPEG, a VideoStream: Rerun's API only."""
    rec = rr.RecordingStream("parity")
    rec.save(str(path))
    rec.log("video", rr.VideoStream(codec=rr.VideoCodec.H264), static=True)
    for i, sample in enumerate(samples):
        rec.set_time("frame", sequence=i)
        rec.set_time("time", duration=i / 30)
        rec.log("video", rr.VideoStream.from_fields(sample=sample))
        if i % 10 == 0:
            rec.log("camera/rgb", rr.Image(synthetic(i, 64, 48)))
            rec.log("camera/depth", rr.Image(np.full((48, 64), i, np.uint16)))
            rec.log("camera/jpeg", rr.Image(synthetic(i, 64, 48)).compress(jpeg_quality=75))
    rec.flush()
    rec.disconnect()


def rerun_contents(path):
    """entity -> (rows, timelines, sample or buffer bytes) of a Rerun .rrd."""
    out = {}
    for chunk in rerun.chunk.RrdReader(str(path)).stream().to_chunks():
        entity = str(chunk.entity_path)
        if entity.startswith("/__"):
            continue
        batch = chunk.to_record_batch()
        rows, timelines, nbytes = out.get(entity, (0, set(), 0))
        timelines |= {n for n in batch.schema.names if n in ("frame", "time")}
        for name in batch.schema.names:
            if name.endswith(("VideoStream:sample", "Image:buffer", "EncodedImage:blob")):
                for v in batch.column(name).to_pylist():
                    if v is not None:
                        nbytes += sum(len(x) for x in v) if isinstance(v, list) and v and isinstance(v[0], (bytes, list)) else len(v)
        out[entity] = (rows + batch.num_rows, timelines, nbytes)
    return out


def reel_contents(path):
    recording = reel.open(path)
    out = {}
    for entity in recording.entities():
        table = recording.rows(entity)
        timelines = {n for n in table.column_names if n in ("frame", "time")}
        nbytes = 0
        for name in table.column_names:
            if name in ("VideoStream:sample", "Image:buffer", "EncodedImage:blob"):
                nbytes += sum(len(v) for v in table.column(name).to_pylist() if v is not None)
        out[entity] = (table.num_rows, timelines, nbytes)
    return out


def test_the_same_code_logs_the_same_recording(tmp_path):
    samples = []
    container = av.open("/dev/null", "w", format="h264")
    stream = container.add_stream("libx264", rate=30)
    stream.width, stream.height, stream.pix_fmt = 320, 240, "yuv420p"
    stream.max_b_frames = 0
    for i in range(31):
        frame = av.VideoFrame.from_ndarray(synthetic(i), format="rgb24") if i < 30 else None
        samples += [bytes(p) for p in stream.encode(frame)]
    container.close()

    log_the_docs_way(rerun, tmp_path / "rerun.rrd", samples)
    log_the_docs_way(reel, tmp_path / "reel.reel", samples)
    theirs, ours = rerun_contents(tmp_path / "rerun.rrd"), reel_contents(tmp_path / "reel.reel")
    assert sorted(ours) == sorted(theirs) == ["/camera/depth", "/camera/jpeg", "/camera/rgb", "/video"]
    for entity in theirs:
        rows, timelines, nbytes = theirs[entity]
        assert ours[entity][0] == rows, f"{entity}: rows"
        assert ours[entity][1] == timelines, f"{entity}: timelines"
        if entity != "/camera/jpeg":  # two JPEG encoders: same quality, other bytes
            assert ours[entity][2] == nbytes, f"{entity}: bytes"
        else:
            assert nbytes > 0 and ours[entity][2] > 0
