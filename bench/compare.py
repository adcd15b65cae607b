#!/usr/bin/env python3
"""Side-by-side benchmark: reel vs the Python Rerun SDK 0.41 vs FFmpeg.

Run through bench/compare.sh, which builds reel, makes the inputs and the
Python environment. Every workload runs REPEATS times per tool on identical
inputs; its output is checked (frame or packet counts) before its time
counts. Prints a table (median, min, ratio to reel) and writes it to
docs/BENCHMARKS.md.

Usage: compare.py WORK_DIR REEL_BIN BENCH_BIN
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPEATS = 5
W, H, N = 640, 480, 600

work, reel_bin, bench_bin = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
try:
    import av  # noqa: F401
    import numpy as np
    import rerun as rr
    RERUN = True
except Exception as e:  # the Rerun column is skipped, with the reason
    RERUN = False
    RERUN_WHY = f"{type(e).__name__}: {e}"

try:  # reel's Python SDK (python/, installed by compare.sh): the same Python code
    import reel as reel_py
    REEL_PY = True
except Exception as e:
    REEL_PY = False
    REEL_PY_WHY = f"{type(e).__name__}: {e}"

results = {}  # (workload, tool) -> list of (seconds, bytes)
notes = {}


def record(workload, tool, seconds, nbytes=0):
    results.setdefault((workload, tool), []).append((seconds, nbytes))


def run(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return out.stdout


def settle():
    """Writes back what earlier workloads left dirty (hundreds of MB for the
    image workloads), so that no tool pays for another's write-back."""
    os.sync()


def timed(cmd):
    settle()
    t = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t


def bench_reel(workload, *args):
    settle()
    line = run([bench_bin, workload, *map(str, args)]).strip().splitlines()[-1]
    return json.loads(line)


def ffprobe_packets(path):
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets",
               "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(path)])
    return int(out.strip() or 0)


def reel_rows(path, entity="/camera"):
    info = json.loads(run([reel_bin, "info", str(path), "--json"]))
    for e in info["entities"]:
        if e["path"] == entity:
            return e["rows"] - e["static_rows"]
    return 0


def rrd_rows(path, component_hint):
    reader = rr.chunk.RrdReader(str(path))
    rows = 0
    for chunk in reader.stream().to_chunks():
        if chunk.is_static:
            continue
        batch = chunk.to_record_batch()
        if any(component_hint in name for name in batch.schema.names):
            rows += batch.num_rows
    return rows


frames_path = work / "frames_640x480_600.rgb"
h264_b = work / "h264_720p30_60s_bframes.mp4"
h264_nob = work / "h264_640x480_600_nob.mp4"
h264_nob_720 = work / "h264_720p30_60s_gop60_nob.mp4"
av1_720 = work / "av1_720p30_60s_gop60.mp4"

if RERUN or REEL_PY:
    import numpy as np
    frames = np.fromfile(frames_path, dtype=np.uint8).reshape(N, H, W, 3)


def rotated(jobs, rep):
    """The tools of one workload, run back to back and in an order that
    turns every round: none is always first after another workload's
    memory and file traffic (on this VM, page-cache pages freed by one run
    are handed back to the host and cost the next run host faults)."""
    k = rep % len(jobs)
    return jobs[k:] + jobs[:k]


# The Python workloads, written once against Rerun's API and run with
# `import rerun as rr` and with `import reel as rr`.
python_sdks = ([("Rerun", rr)] if RERUN else []) + ([("reel (Python)", reel_py)] if REEL_PY else [])

# 3a: the same pre-encoded samples for both (Annex B via PyAV's bitstream
# filter).
py_samples = []
if python_sdks:
    import av
    with av.open(str(h264_nob)) as c:
        bsf = av.BitStreamFilterContext("h264_mp4toannexb", c.streams.video[0])
        for pkt in c.demux(c.streams.video[0]):
            for out_pkt in bsf.filter(pkt):
                py_samples.append(bytes(out_pkt))


def rr_log(sdk, path, fn):
    settle()
    rec = sdk.RecordingStream("bench")
    rec.save(str(path))
    t = time.perf_counter()
    fn(rec)
    rec.flush()
    rec.disconnect()
    return time.perf_counter() - t


def py_image(sdk, rec):
    for i in range(N):
        rec.set_time("frame", sequence=i)
        rec.log("camera", sdk.Image(frames[i]))


def py_jpeg(sdk, rec):
    for i in range(N):
        rec.set_time("frame", sequence=i)
        rec.log("camera", sdk.Image(frames[i]).compress(jpeg_quality=75))


def py_stream(sdk, rec):
    rec.log("camera", sdk.VideoStream(codec=sdk.VideoCodec.H264), static=True)
    for i, s in enumerate(py_samples):
        rec.set_time("frame", sequence=i)
        rec.log("camera", sdk.VideoStream.from_fields(sample=s))


def py_encode_log(sdk, rec):
    """3b as in Rerun's video_stream_synthetic (PyAV libx264)."""
    codec = av.CodecContext.create("libx264", "w")
    codec.width, codec.height, codec.pix_fmt = W, H, "yuv420p"
    codec.options = {"tune": "zerolatency", "g": "30"}
    rec.log("camera", sdk.VideoStream(codec=sdk.VideoCodec.H264), static=True)
    for i in range(N):
        frame = av.VideoFrame.from_ndarray(frames[i], format="rgb24")
        for pkt in codec.encode(frame):
            rec.set_time("frame", sequence=i)
            rec.log("camera", sdk.VideoStream.from_fields(sample=bytes(pkt)))
    for pkt in codec.encode(None):
        rec.log("camera", sdk.VideoStream.from_fields(sample=bytes(pkt)))


def reel_job(wl, reel_wl, src=frames_path):
    def job(rep):
        out = work / f"reel_{reel_wl}.reel"
        r = bench_reel(reel_wl, src, out)
        assert reel_rows(out) == N, f"reel {wl}: rows"
        record(wl, "reel", r["seconds"], r["bytes"])
    return job


def python_job(wl, tool, sdk, name, fn):
    def job(rep):
        p = work / f"py_{name}.{'rrd' if tool == 'Rerun' else 'reel'}"
        record(wl, tool, rr_log(sdk, p, lambda rec: fn(sdk, rec)), p.stat().st_size)
        if rep == 0:
            if tool != "Rerun":
                assert reel_rows(p) == N, f"{tool} {wl}: rows"
            elif name == "image":
                assert rrd_rows(p, "Image") == N
    return job


def logging_jobs(wl, reel_wl, py_name=None, py_fn=None, src=frames_path, sdks=python_sdks):
    """reel's Rust run of a logging workload, and the Python code on `sdks`."""
    return [reel_job(wl, reel_wl, src)] + (
        [python_job(wl, tool, sdk, py_name, py_fn) for tool, sdk in sdks] if py_fn else [])


# 1-3: logging; reel's Rust beside the same Python code on both SDKs (3b:
# Rerun's Python only).
logging_workloads = [
    logging_jobs("1 Image", "image", "image", py_image),
    logging_jobs("2 JPEG q75", "jpeg", "jpeg", py_jpeg),
    logging_jobs("2 JPEG q75, worker pool", "jpeg-pool"),
    logging_jobs("3a VideoStream logging (pre-encoded H.264)", "stream-log", "stream", py_stream, src=h264_nob),
    logging_jobs("3b H.264 encode + log", "encode-log", "encode", py_encode_log,
                 sdks=[("Rerun", rr)] if RERUN else []),
]

for rep in range(REPEATS):
    print(f"round {rep + 1}/{REPEATS}", file=sys.stderr)
    for jobs in logging_workloads:
        for job in rotated(jobs, rep):
            job(rep)

    # 4. Frame timestamps of a 60 s 720p H.264 file with B-frames.
    packets = ffprobe_packets(h264_b)
    r = bench_reel("timestamps", h264_b)
    assert r["count"] == packets
    record("4 frame timestamps, 60 s 720p", "reel", r["seconds"])
    settle()
    t = time.perf_counter()
    out = run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts", "-of", "csv=p=0", str(h264_b)])
    record("4 frame timestamps, 60 s 720p", "ffprobe", time.perf_counter() - t)
    assert len(out.split()) == packets
    if RERUN:
        settle()
        t = time.perf_counter()
        ts = rr.AssetVideo(path=str(h264_b)).read_frame_timestamps_nanos()
        record("4 frame timestamps, 60 s 720p", "Rerun", time.perf_counter() - t)
        assert len(ts) == packets

    # 5. Remux a logged 60 s stream (no B-frames: Rerun cannot log them) to MP4.
    rec5 = work / "reel_remux_src.reel"
    run([reel_bin, "import", str(h264_nob_720), "-o", str(rec5)])
    out5 = work / "reel_remux.mp4"
    record("5 remux 60 s stream to MP4", "reel", timed([reel_bin, "export-mp4", str(rec5), "-e", "/video", "-o", str(out5)]),
           out5.stat().st_size)
    assert ffprobe_packets(out5) == ffprobe_packets(h264_nob_720)
    outf = work / "ffmpeg_remux.mp4"
    record("5 remux 60 s stream to MP4", "ffmpeg -c copy",
           timed(["ffmpeg", "-v", "error", "-y", "-i", str(h264_nob_720), "-c", "copy", str(outf)]), outf.stat().st_size)
    if RERUN:
        rrd5 = work / "rerun_remux_src.rrd"
        if rep == 0 or not rrd5.exists():
            rr.experimental.Mp4Reader(str(h264_nob_720), mode="stream").stream().write_rrd(str(rrd5), application_id="bench", recording_id="remux")
        out_rr = work / "rerun_remux.mp4"
        settle()
        t = time.perf_counter()
        # Query the samples back and mux them with PyAV (Rerun's documented path).
        samples, times = [], []
        for chunk in rr.chunk.RrdReader(str(rrd5)).stream().to_chunks():
            b = chunk.to_record_batch()
            names = b.schema.names
            sample_col = next((n for n in names if n.endswith("VideoStream:sample")), None)
            time_col = next((n for n in names if n == "video"), None)
            if sample_col is None or time_col is None:
                continue
            for s, tm in zip(b.column(sample_col).to_pylist(), b.column(time_col).cast("int64").to_pylist()):
                if s is not None:
                    samples.append(bytes(s[0]) if isinstance(s, list) else bytes(s))
                    times.append(tm)
        with av.open(str(out_rr), "w") as c:
            st = c.add_stream("h264")
            st.width, st.height = 1280, 720
            from fractions import Fraction
            st.time_base = Fraction(1, 1_000_000_000)
            for s, tm in zip(samples, times):
                pkt = av.Packet(s)
                pkt.pts = pkt.dts = tm
                pkt.time_base = st.time_base
                pkt.stream = st
                c.mux(pkt)
        record("5 remux 60 s stream to MP4", "Rerun", time.perf_counter() - t, out_rr.stat().st_size)
        notes["5"] = f"Rerun's output: {ffprobe_packets(out_rr)} packets (source {ffprobe_packets(h264_nob_720)})"

    # 6. Import an MP4 with B-frames as a stream.
    rec6 = work / "reel_import.reel"
    record("6 import B-frame MP4 as stream", "reel", timed([reel_bin, "import", str(h264_b), "-o", str(rec6)]), rec6.stat().st_size)
    assert reel_rows(rec6, "/video") == packets
    if RERUN:
        rrd6 = work / "rerun_import.rrd"
        settle()
        t = time.perf_counter()
        rr.experimental.Mp4Reader(str(h264_b), mode="stream").stream().write_rrd(str(rrd6), application_id="bench", recording_id="import")
        record("6 import B-frame MP4 as stream", "Rerun", time.perf_counter() - t, rrd6.stat().st_size)

    # 7. Decode throughput and random seeks, 720p.
    for path, label in [(h264_nob_720, "H.264"), (av1_720, "AV1")]:
        wl = f"7 decode 60 s 720p {label}"

        def reel_decode(path=path, wl=wl):
            record(wl, "reel", bench_reel("decode", path)["seconds"])

        def reel_keep_history(path=path, wl=wl):
            # Keeping every frame behind the playhead up to the 512 MiB
            # budget from the start: what filling a cache with new memory
            # costs (ffmpeg -f null keeps no frames).
            record(wl, "reel, history kept to 512 MiB", bench_reel("decode", path, "keep-history")["seconds"])

        def ffmpeg_one_thread(path=path, wl=wl):
            record(wl, "ffmpeg -threads 1",
                   timed(["ffmpeg", "-v", "error", "-threads", "1", "-i", str(path), "-f", "null", "-"]))

        def ffmpeg_all_threads(path=path, wl=wl):
            record(wl, "ffmpeg (all threads)", timed(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"]))

        for job in rotated([reel_decode, ffmpeg_all_threads, reel_keep_history, ffmpeg_one_thread], rep):
            job()
        r = bench_reel("seek", path)
        record(f"7 random seek p50, {label} 2 s GOP", "reel", r["seconds"])

def fmt_s(s):
    return f"{s * 1e3:.1f} ms" if s < 10 else f"{s:.1f} s"


lines = ["| workload | tool | median | min | vs reel | bytes on disk |", "|---|---|---:|---:|---:|---:|"]
workloads = sorted({w for w, _ in results}, key=lambda w: (w.split()[0], w))
for w in workloads:
    reel_med = statistics.median(s for s, _ in results.get((w, "reel"), [(float("nan"), 0)]))
    for (w2, tool), runs in sorted(results.items(), key=lambda kv: (kv[0][1] != "reel", kv[0][1])):
        if w2 != w:
            continue
        secs = [s for s, _ in runs]
        med = statistics.median(secs)
        size = runs[-1][1]
        ratio = "1.00x" if tool == "reel" else f"{med / reel_med:.2f}x"
        lines.append(f"| {w} | {tool} | {fmt_s(med)} | {fmt_s(min(secs))} | {ratio} | {size / 1e6:.1f} MB |" if size else
                     f"| {w} | {tool} | {fmt_s(med)} | {fmt_s(min(secs))} | {ratio} | |")
table = "\n".join(lines)
print(table)

# Where a peer beat reel, said plainly.
slower = []
for w in workloads:
    reel_runs = results.get((w, "reel"))
    if not reel_runs:
        continue
    reel_med = statistics.median(s for s, _ in reel_runs)
    for (w2, tool), runs in results.items():
        # Peers only: reel's own variants (Python, a smaller cache) are not.
        if w2 == w and not tool.startswith("reel"):
            med = statistics.median(s for s, _ in runs)
            if med < reel_med:
                slower.append(f"- **{w}**: {tool} took {fmt_s(med)}, reel {fmt_s(reel_med)} ({reel_med / med:.2f}x slower).")
slower_md = "\n".join(slower) if slower else "- none in this run."
print("\nWhere reel is slower:\n" + slower_md)

# The same Python code, `import reel as rr` against `import rerun as rr`.
python_lines = []
for w in workloads:
    ours, theirs = results.get((w, "reel (Python)")), results.get((w, "Rerun"))
    if ours and theirs:
        a = statistics.median(s for s, _ in ours)
        b = statistics.median(s for s, _ in theirs)
        per_frame = f"{a / N * 1e3:.2f} vs {b / N * 1e3:.2f} ms per frame"
        sizes = f"{ours[-1][1] / 1e6:.1f} vs {theirs[-1][1] / 1e6:.1f} MB"
        verdict = f"reel {b / a:.2f}x faster" if a < b else f"**Rerun {a / b:.2f}x faster**"
        python_lines.append(f"- **{w}**: {per_frame}, {sizes} on disk: {verdict}.")
python_md = "\n".join(python_lines) if python_lines else (
    "- not run: " + ("; ".join(x for x in [None if RERUN else f"rerun-sdk ({RERUN_WHY})", None if REEL_PY else f"reel's Python SDK ({REEL_PY_WHY})"] if x)))
print("\nreel's Python SDK beside Rerun's (same code):\n" + python_md)

machine = f"{platform.machine()}, {subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, {platform.platform()}"
why = "" if RERUN else f"\n\n**Rerun column skipped**: could not import rerun-sdk 0.41 ({RERUN_WHY}).\n"
md = f"""# Benchmarks: reel beside Rerun and FFmpeg

Made by `bench/compare.sh` ({REPEATS} runs of each workload; outputs checked
before their time counts). Machine: {machine}. Times are wall-clock per
workload; "vs reel" is the tool's median divided by reel's (above 1: slower
than reel). Inputs: {N} frames of 640x480 RGB8 (reel's synthetic pattern),
60 s 1280x720 30 fps H.264 (libx264 with B-frames, and without them with a
2 s GOP), 60 s 720p AV1 (SVT-AV1).

{table}
{why}
## Where reel is slower

{slower_md}

## reel's Python SDK beside Rerun's

The workloads 1, 2 and 3a in Python, the same code run with `import reel as
rr` (the `reel (Python)` rows; `python/`, built with `pip install ./python`)
and with `import rerun as rr`:

{python_md}

## Notes

- 3a logs the same pre-encoded H.264 samples (no B-frames) with both SDKs.
- 5 uses a stream without B-frames because Rerun cannot log B-frames as a
  VideoStream; Rerun's path reads the samples back with its chunk reader and
  muxes them with PyAV. {notes.get("5", "")}
- 6: Rerun's MP4 reader re-encodes files with B-frames through ffmpeg; reel
  copies the samples.
- 1: the files are created before the clock starts and the workload ends
  when the recording is closed, for every tool; `sync` runs before each
  timed run so that no tool pays for an earlier one's disk writeback.
- 2: reel's JPEG is libjpeg-turbo (the `turbojpeg` feature, built where
  cmake and nasm are installed), the library Pillow uses: the same bytes.
- Order: each workload's tools run back to back, in an order that turns
  every round (on this VM, memory one run frees goes back to the host and
  costs the next run host page faults; no tool is always the one after).
- 7: reel decodes in-process with FFmpeg's libavcodec (loaded at run time;
  for AV1 its libdav1d), reading the file in order for throughput: its
  groups of pictures (keyframe to keyframe, 2 s here) are decoded side by
  side, one per core, each by a one-thread decoder, where `ffmpeg` runs
  one decoder with frame threads that wait on each other's reference
  rows. Each picture holds libavcodec's buffer (no copy) and goes to reel's
  frame cache, which keeps 32 MiB of frames behind the playhead until
  frames evicted from there are asked for again (then twice as much each
  time, up to its 512 MiB budget). The row "history kept to 512 MiB" fills
  the cache from the start: the new memory it faults in is what `ffmpeg -f
  null`, which keeps no frame, never pays. The seek rows use one decoder
  with all threads (random access does not read on).
"""
(Path(__file__).resolve().parent.parent / "docs" / "BENCHMARKS.md").write_text(md)
