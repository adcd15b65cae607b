#!/usr/bin/env python3
"""An independent reader of .reel recordings, written from docs/FORMAT.md only.

It uses nothing of reel: zlib for CRC-32, struct for the framing, pyarrow for
the Arrow IPC payloads. It prints a JSON summary that the Rust test compares
with what reel's own reader sees, so a disagreement between the spec and the
code fails the suite.

Usage: read_reel.py FILE.reel
"""
import json
import struct
import sys
import zlib

import pyarrow as pa
import pyarrow.ipc

MAGIC = b"\x89REEL\r\n\x1a"
SYNC = b"RLFR"
KIND_CHUNK, KIND_CHUNK_INDEX, KIND_KEYFRAME_INDEX, KIND_TRAILER = 1, 2, 3, 4


def align8(n):
    return (n + 7) // 8 * 8


def read_ipc(payload):
    return pa.ipc.open_stream(pa.py_buffer(payload)).read_all()


def main(path):
    data = open(path, "rb").read()
    assert data[:8] == MAGIC, "bad magic"
    major, minor, crc = struct.unpack_from("<HHI", data, 8)
    assert crc == zlib.crc32(data[:12]), "bad header crc"
    assert major == 1, f"unsupported major version {major}"

    entities = {}
    chunk_offsets = []
    trailer = None
    index_frames = {}
    pos = 16
    while pos < len(data):
        header = data[pos:pos + 24]
        assert len(header) == 24 and header[:4] == SYNC, f"no frame at {pos}"
        kind, flags, _reserved, plen, pcrc, hcrc = struct.unpack("<BBHQII", header[4:])
        assert hcrc == zlib.crc32(header[:20]), f"header crc at {pos}"
        payload = data[pos + 24:pos + 24 + plen]
        assert len(payload) == plen, f"cut frame at {pos}"
        assert pcrc == zlib.crc32(payload), f"payload crc at {pos}"
        if kind == KIND_CHUNK:
            chunk_offsets.append(pos)
            table = read_ipc(payload)
            meta = table.schema.metadata
            entity = meta[b"reel:entity_path"].decode()
            e = entities.setdefault(entity, {"rows": 0, "timelines": {}, "components": {}, "row_ids": []})
            e["rows"] += table.num_rows
            for field, column in zip(table.schema, table.columns):
                kind_meta = (field.metadata or {}).get(b"reel:kind", b"").decode()
                if kind_meta == "row_id":
                    e["row_ids"].extend(column.to_pylist())
                elif kind_meta == "timeline":
                    values = [v for v in column.cast(pa.int64()).to_pylist() if v is not None]
                    t = e["timelines"].setdefault(field.name, {"type": str(field.type), "min": None, "max": None})
                    if values:
                        t["min"] = min(values) if t["min"] is None else min(t["min"], min(values))
                        t["max"] = max(values) if t["max"] is None else max(t["max"], max(values))
                elif kind_meta == "component":
                    c = e["components"].setdefault(field.name, {"rows": 0, "crc32": []})
                    c["rows"] += table.num_rows - column.null_count
                    if pa.types.is_large_binary(field.type):
                        c["crc32"].extend(zlib.crc32(v) for v in column.to_pylist() if v is not None)
        elif kind in (KIND_CHUNK_INDEX, KIND_KEYFRAME_INDEX):
            index_frames[pos] = (kind, read_ipc(payload))
        elif kind == KIND_TRAILER:
            trailer = struct.unpack("<QQ", payload)
        pos = align8(pos + 24 + plen)

    index = None
    if trailer is not None:
        ci_kind, ci = index_frames[trailer[0]]
        ki_kind, ki = index_frames[trailer[1]]
        assert (ci_kind, ki_kind) == (KIND_CHUNK_INDEX, KIND_KEYFRAME_INDEX)
        assert ci.column("offset").to_pylist() == chunk_offsets, "index offsets disagree with the frames"
        index = {
            "chunks": ci.num_rows,
            "rows": sum(ci.column("num_rows").to_pylist()),
            "keyframes": [
                [e, t, v] for e, t, v in zip(
                    ki.column("entity_path").to_pylist(),
                    ki.column("timeline").to_pylist(),
                    ki.column("time").to_pylist(),
                )
            ],
        }
    for e in entities.values():
        e["row_ids_increasing"] = all(a < b for a, b in zip(e["row_ids"], e["row_ids"][1:]))
        del e["row_ids"]
    print(json.dumps({
        "version": f"{major}.{minor}",
        "chunks": len(chunk_offsets),
        "clean_close": trailer is not None,
        "index": index,
        "entities": entities,
    }, indent=1, sort_keys=True))


if __name__ == "__main__":
    main(sys.argv[1])
