#!/usr/bin/python3
"""udpcap.py: what the wire between client and proxy carries, for UDP (no tcpdump
needed: an AF_PACKET socket on the root side of the test's veth).

  udpcap.py capture IFACE FILE
      Record every IPv4 UDP datagram on IFACE, one line each: "SRC SPORT DST DPORT
      HEX" (payload in hex).  Prints "ready" once listening; runs until killed.
      IP fragments are reassembled (a large datagram spans several frames).
  udpcap.py check FILE PROXY_IP LEVEL NEEDLE...
      The datagrams to and from PROXY_IP.  LEVEL integrity or confidentiality:
      each must be exactly one RFC 1961 message 01 03 LEN TOKEN (LEN = the rest).
      Prints "to_proxy=N from_proxy=N frames=N plain=yes|no", plain meaning some
      NEEDLE appears in some payload.  Exit 1 if a datagram is not a frame at
      those levels, or nothing was captured in either direction.
"""
import socket
import struct
import sys

ETH_P_ALL = 0x0003      # ETH_P_IP would miss the frames sent on IFACE


def capture(iface, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    out = open(path, "w", buffering=1)
    frags = {}
    print("ready", flush=True)
    while True:
        pkt = s.recv(70000)
        if len(pkt) < 34 or pkt[12:14] != b"\x08\x00":
            continue
        ip = pkt[14:]
        if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        total = struct.unpack("!H", ip[2:4])[0]
        body = ip[ihl:total]
        ident = struct.unpack("!H", ip[4:6])[0]
        fl = struct.unpack("!H", ip[6:8])[0]
        more, off = fl & 0x2000, (fl & 0x1fff) * 8
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        if more or off:
            key = (src, dst, ident)
            parts = frags.setdefault(key, {})
            parts[off] = body
            if not more:
                parts["end"] = off + len(body)
            if "end" not in parts:
                continue
            data, pos = b"", 0
            while pos < parts["end"] and pos in parts:
                data += parts[pos]
                pos += len(parts[pos])
            if pos != parts["end"]:
                continue
            del frags[key]
            body = data
        if len(body) < 8:
            continue
        sport, dport = struct.unpack("!HH", body[0:4])
        out.write("%s %d %s %d %s\n" % (src, sport, dst, dport, body[8:].hex()))


def check(path, proxy, level, needles):
    to_p = from_p = frames = 0
    plain = False
    bad = []
    for line in open(path):
        src, sport, dst, dport, hx = (line.split() + [""])[:5]
        if proxy not in (src, dst):
            continue
        d = bytes.fromhex(hx)
        if dst == proxy:
            to_p += 1
        else:
            from_p += 1
        if any(n.encode() in d for n in needles):
            plain = True
        if level in ("integrity", "confidentiality"):
            ok = len(d) >= 4 and d[0] == 1 and d[1] == 3 and (d[2] << 8 | d[3]) == len(d) - 4
            if ok:
                frames += 1
            else:
                bad.append("%s:%s -> %s:%s %r" % (src, sport, dst, dport, d[:16]))
    print("to_proxy=%d from_proxy=%d frames=%d plain=%s" %
          (to_p, from_p, frames, "yes" if plain else "no"))
    for b in bad[:5]:
        print("not an RFC 1961 frame: " + b)
    return 1 if bad or not to_p or not from_p else 0


def main():
    if sys.argv[1] == "capture":
        capture(sys.argv[2], sys.argv[3])
        return 0
    return check(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])


if __name__ == "__main__":
    sys.exit(main())
