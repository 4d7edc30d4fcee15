#!/usr/bin/python3
"""gssframes.py SKIP FILE [NEEDLE]: check that FILE, after its first SKIP bytes (the
SOCKS 5 greeting or method selection), is a whole sequence of RFC 1961 frames
(01 MTYP LEN16 TOKEN), ending with protected data frames (mtyp 3).  Prints
"frames=N data=N data_bytes=N plain=yes|no", plain meaning NEEDLE appears in
the bytes (as it does at level integrity: krb5 wrap tokens carry the data in
the clear beside a checksum; not at level confidentiality).  Exit 1 if the
stream is not frames."""
import sys


def main():
    skip = int(sys.argv[1])
    data = open(sys.argv[2], "rb").read()
    needle = sys.argv[3].encode() if len(sys.argv) > 3 else None
    pos, frames, ndata, dbytes = skip, 0, 0, 0
    while pos < len(data):
        if len(data) - pos < 4 or data[pos] != 1 or data[pos + 1] not in (1, 2, 3):
            print("not a frame at offset %d: %r" % (pos, data[pos:pos + 8]))
            return 1
        n = data[pos + 2] << 8 | data[pos + 3]
        if pos + 4 + n > len(data):
            print("truncated frame at offset %d" % pos)
            return 1
        if data[pos + 1] == 3:
            ndata += 1
            dbytes += n
        frames += 1
        pos += 4 + n
    plain = "yes" if needle is not None and needle in data else "no"
    print("frames=%d data=%d data_bytes=%d plain=%s" % (frames, ndata, dbytes, plain))
    return 0


if __name__ == "__main__":
    sys.exit(main())
