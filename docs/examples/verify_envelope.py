#!/usr/bin/env python3
"""Independent check of a borg envelope (docs/protocol.md section 2), written from
the document alone in plain Python 3 (standard library only, no borg code).

usage: verify_envelope.py HEX_OF_WHOLE_MESSAGE
Prints the decoded fields and exits 0 when the signature and body hash verify.
"""
import hashlib
import struct
import sys

# secp256k1 domain parameters (SEC 2)
P = 2**256 - 2**32 - 977
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
G = (0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
     0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8)


def add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if a[0] == b[0] and (a[1] + b[1]) % P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, P) % P
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, P) % P
    x = (lam * lam - a[0] - b[0]) % P
    return (x, (lam * (a[0] - x) - a[1]) % P)


def mul(k, point):
    result = None
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def decompress(pub):
    if len(pub) != 33 or pub[0] not in (2, 3):
        raise ValueError("sender is not a compressed public key")
    x = int.from_bytes(pub[1:], "big")
    y = pow((x * x * x + 7) % P, (P + 1) // 4, P)
    if (y * y - (x * x * x + 7)) % P:
        raise ValueError("sender is not on the curve")
    if y % 2 != pub[0] % 2:
        y = P - y
    return (x, y)


def ecdsa_verify(pub, digest, sig):
    r, s = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:], "big")
    if not (1 <= r < N and 1 <= s <= N // 2):  # low-S only
        return False
    z = int.from_bytes(digest, "big") % N
    w = pow(s, -1, N)
    point = add(mul(z * w % N, G), mul(r * w % N, decompress(pub)))
    return point is not None and point[0] % N == r


def main(hex_text):
    m = bytes.fromhex("".join(hex_text.split()))
    assert m[0:4] == b"BORG", "bad magic"
    version, flags, body_type, kind_len = m[4], m[5], m[6], m[7]
    assert version == 1 and flags & ~1 == 0 and body_type in (0, 1) and 1 <= kind_len <= 64
    o = 8
    kind = m[o:o + kind_len].decode("ascii"); o += kind_len
    sender = m[o:o + 33]; o += 33
    target_type = m[o]; o += 1
    target = m[o:o + {0: 0, 1: 33, 2: 32}[target_type]]; o += len(target)
    msg_id = m[o:o + 16]; o += 16
    ref = m[o:o + 16]; o += 16
    timestamp, body_len = struct.unpack(">QQ", m[o:o + 16]); o += 16
    body_hash = m[o:o + 32]; o += 32
    signed_part = m[:o]
    signature = m[o:o + 64]; o += 64
    body = m[o:]
    assert len(body) == body_len, "body length mismatch"
    digest = hashlib.sha256(signed_part).digest()
    print(f"kind        {kind}")
    print(f"flags       reply expected={bool(flags & 1)}  body type={'json' if body_type else 'binary'}")
    print(f"sender      {sender.hex()}")
    print(f"target      type {target_type} {target.hex()}")
    print(f"id          {msg_id.hex()}")
    print(f"ref         {ref.hex()}")
    print(f"timestamp   {timestamp}")
    print(f"body        {body!r}")
    print(f"digest      {digest.hex()}")
    ok_hash = hashlib.sha256(body).digest() == body_hash
    ok_sig = ecdsa_verify(sender, digest, signature)
    print(f"body hash   {'ok' if ok_hash else 'MISMATCH'}")
    print(f"signature   {'ok' if ok_sig else 'INVALID'}")
    return 0 if ok_hash and ok_sig else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
