#!/usr/bin/env python3
"""Writes a ~1 MB gzip file that inflates to a 1 GiB + 2 MiB IDX file.

    python3 tools/fuzz/findings/make_gzip_bomb.py /tmp/bomb.idx.gz
    $FUZZ_OUT/bin/idx_fuzzer /tmp/bomb.idx.gz     # libFuzzer: out-of-memory (~2.2 GB RSS)

datasets/file_reader.cc (ReadFileMaybeGzipped) only rejects the file once
more than kMaxDatasetFileBytes (1 GiB) has been inflated into a std::string
that grows by doubling, so it peaks at 2-3 GiB first. Too large for the
corpus (libFuzzer's inputs stay under 4 KB, which inflate to at most ~4 MB),
hence this generator.
"""
import struct
import sys
import zlib

n = (1 << 30) + (1 << 21)
header = b"\x00\x00\x08\x01" + struct.pack(">I", n)  # 1-D unsigned-byte array
compressor = zlib.compressobj(9, zlib.DEFLATED, 31)   # 31: gzip wrapper
chunk = b"\x00" * (1 << 24)
with open(sys.argv[1] if len(sys.argv) > 1 else "bomb.idx.gz", "wb") as out:
    out.write(compressor.compress(header))
    left = n
    while left:
        k = min(left, len(chunk))
        out.write(compressor.compress(chunk[:k]))
        left -= k
    out.write(compressor.flush())
