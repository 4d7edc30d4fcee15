#!/usr/bin/python3
"""mkelf.py OUT CLASS ENDIAN KIND: write a minimal ELF file (never run, only read by
`socksify --check-engine`) to test how the socksify command tells programs apart.

  CLASS   32 or 64
  ENDIAN  little or big
  KIND    dynamic      a PT_INTERP program header
          static       only a PT_LOAD
          go-section   static, with a section named .go.buildinfo
          go-magic     static, no section headers, Go's build-info magic 16-byte
                       aligned in the writable PT_LOAD
"""
import struct
import sys

out, cls, endian, kind = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
e = "<" if endian == "little" else ">"
is64 = cls == 64
EH, PH, SH = (64, 56, 64) if is64 else (52, 32, 40)
PT_LOAD, PT_INTERP, PF_R, PF_W = 1, 3, 4, 2

phdrs, body = [], b""
data_off = EH + 2 * PH                     # room for two program headers
interp = b"/lib/ld-fake.so.1\0"
magic = b"\xff Go buildinf:" + b"\x08\x02" + b"\0" * 16


def phdr(ptype, flags, off, size):
    if is64:
        return struct.pack(e + "IIQQQQQQ", ptype, flags, off, 0, 0, size, size, 16)
    return struct.pack(e + "IIIIIIII", ptype, off, 0, 0, size, size, flags, 16)


if kind == "dynamic":
    phdrs.append(phdr(PT_INTERP, PF_R, data_off, len(interp)))
    body += interp
# the writable segment: 48 bytes of zeros, then (go-magic) the magic at offset 48
seg = b"\0" * 48 + (magic if kind == "go-magic" else b"\0" * len(magic))
seg_off = data_off + len(body)
while seg_off % 16:
    body += b"\0"
    seg_off += 1
phdrs.append(phdr(PT_LOAD, PF_R | PF_W, seg_off, len(seg)))
body += seg

shoff, shnum, shstrndx, shdata = 0, 0, 0, b""
if kind in ("go-section", "static", "dynamic"):
    names = b"\0.shstrtab\0" + (b".go.buildinfo\0" if kind == "go-section" else b".data\0")
    str_off = data_off + len(body)
    body += names
    shoff = data_off + len(body)

    def shdr(name, stype, off, size):
        if is64:
            return struct.pack(e + "IIQQQQIIQQ", name, stype, 0, 0, off, size, 0, 0, 1, 0)
        return struct.pack(e + "IIIIIIIIII", name, stype, 0, 0, off, size, 0, 0, 1, 0)

    shdata = shdr(0, 0, 0, 0) + shdr(1, 3, str_off, len(names)) + shdr(11, 1, seg_off, len(seg))
    shnum, shstrndx = 3, 1

ident = b"\x7fELF" + bytes([2 if is64 else 1, 1 if endian == "little" else 2, 1]) + b"\0" * 9
machine = 62 if is64 else 3
if is64:
    hdr = ident + struct.pack(e + "HHIQQQIHHHHHH", 2, machine, 1, 0, EH, shoff, 0, EH, PH,
                              len(phdrs), SH, shnum, shstrndx)
else:
    hdr = ident + struct.pack(e + "HHIIIIIHHHHHH", 2, machine, 1, 0, EH, shoff, 0, EH, PH,
                              len(phdrs), SH, shnum, shstrndx)
blob = hdr + b"".join(phdrs)
blob += b"\0" * (data_off - len(blob)) + body + shdata
with open(out, "wb") as f:
    f.write(blob)
