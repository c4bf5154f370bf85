#!/usr/bin/env python3
"""Independent check of a borg envelope (docs/protocol.md section 2), written from
the document alone in plain Python 3 (standard library only, no borg code).
Handles both signature algorithms: secp256k1 ECDSA (key algorithm 0x01) and
Ed25519 (0xed, RFC 8032).

usage: verify_envelope.py HEX_OF_WHOLE_MESSAGE [--link-key HEX]
Prints the decoded fields and exits 0 when the signature and body hash verify.
A link-authenticated envelope (flags bit 1, section 4.5) carries HMAC-SHA-512
under the link key of its direction instead of a signature: pass that key.
"""
import hashlib
import hmac
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


# Ed25519 (RFC 8032), twisted Edwards curve over GF(2^255 - 19), extended coordinates
EP = 2**255 - 19
EL = 2**252 + 27742317777372353535851937790883648493
ED = -121665 * pow(121666, -1, EP) % EP
SQRT_M1 = pow(2, (EP - 1) // 4, EP)


def ed_add(a, b):
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    e1 = (y1 - x1) * (y2 - x2) % EP
    e2 = (y1 + x1) * (y2 + x2) % EP
    e3 = 2 * t1 * t2 * ED % EP
    e4 = 2 * z1 * z2 % EP
    e, f, g, h = e2 - e1, e4 - e3, e4 + e3, e2 + e1
    return (e * f % EP, g * h % EP, f * g % EP, e * h % EP)


def ed_mul(k, point):
    result = (0, 1, 1, 0)
    while k:
        if k & 1:
            result = ed_add(result, point)
        point = ed_add(point, point)
        k >>= 1
    return result


def ed_equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % EP == 0 and (a[1] * b[2] - b[1] * a[2]) % EP == 0


def ed_decompress(data):
    if len(data) != 32:
        return None
    y = int.from_bytes(data, "little")
    sign = y >> 255
    y &= (1 << 255) - 1
    if y >= EP:
        return None
    x2 = (y * y - 1) * pow(ED * y * y + 1, -1, EP) % EP
    x = pow(x2, (EP + 3) // 8, EP)
    if (x * x - x2) % EP:
        x = x * SQRT_M1 % EP
    if (x * x - x2) % EP:
        return None
    if x == 0 and sign:
        return None
    if x & 1 != sign:
        x = EP - x
    return (x, y, 1, x * y % EP)


ED_G = ed_decompress(bytes.fromhex("5866666666666666666666666666666666666666666666666666666666666666"))


def ed25519_verify(pub, message, sig):
    a, r = ed_decompress(pub), ed_decompress(sig[:32])
    s = int.from_bytes(sig[32:], "little")
    if a is None or r is None or s >= EL:
        return False
    h = int.from_bytes(hashlib.sha512(sig[:32] + pub + message).digest(), "little") % EL
    return ed_equal(ed_mul(s, ED_G), ed_add(r, ed_mul(h, a)))


KEY_BYTES = {0x01: 33, 0xED: 32}


def parts_index_hash(body):
    """Body type 2 (protocol.md 2.7): check every part against its index entry; the body hash is SHA-256 of the index."""
    (head_len,) = struct.unpack(">I", body[0:4])
    assert head_len <= 65536, "head too long"
    (count,) = struct.unpack(">I", body[4 + head_len:8 + head_len])
    assert count <= 4096, "too many parts"
    index_end = 8 + head_len + 36 * count
    o = index_end
    print(f"head        {body[4:4 + head_len]!r}")
    for k in range(count):
        entry = body[8 + head_len + 36 * k:8 + head_len + 36 * (k + 1)]
        (length,) = struct.unpack(">I", entry[32:36])
        part = body[o:o + length]; o += length
        ok = len(part) == length and hashlib.sha256(part).digest() == entry[:32]
        print(f"part {k:<6} {length} bytes, sha256 {entry[:32].hex()} {'ok' if ok else 'MISMATCH'}")
        if not ok:
            return b""
    assert o == len(body), "index and parts do not add up to the body"
    return hashlib.sha256(body[:index_end]).digest()


def main(hex_text, link_key=None):
    m = bytes.fromhex("".join(hex_text.split()))
    assert m[0:4] == b"BORG", "bad magic"
    version, flags, body_type, kind_len = m[4], m[5], m[6], m[7]
    assert version == 1 and flags & ~3 == 0 and body_type in (0, 1, 2) and 1 <= kind_len <= 64
    o = 8
    kind = m[o:o + kind_len].decode("ascii"); o += kind_len
    sender = m[o:o + 1 + KEY_BYTES[m[o]]]; o += len(sender)
    target_type = m[o]; o += 1
    target_len = {0: 0, 2: 32}.get(target_type) or 1 + KEY_BYTES[m[o]]
    target = m[o:o + target_len]; o += target_len
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
    print(f"flags       reply expected={bool(flags & 1)}  link-authenticated={bool(flags & 2)}  body type={('binary', 'json', 'parts')[body_type]}")
    print(f"sender      {sender.hex()} ({'secp256k1' if sender[0] == 1 else 'Ed25519'})")
    print(f"target      type {target_type} {target.hex()}")
    print(f"id          {msg_id.hex()}")
    print(f"ref         {ref.hex()}")
    print(f"timestamp   {timestamp}")
    print(f"body        {body!r}")
    print(f"digest      {digest.hex()}")
    ok_hash = (parts_index_hash(body) if body_type == 2 else hashlib.sha256(body).digest()) == body_hash
    if flags & 2:
        # A link MAC: HMAC-SHA-512 of the signed part under the link key (section 4.5).
        ok_sig = link_key is not None and hmac.compare_digest(hmac.new(link_key, signed_part, hashlib.sha512).digest(), signature)
    elif sender[0] == 0x01:
        ok_sig = ecdsa_verify(sender[1:], digest, signature)  # ECDSA over SHA-256(signed part)
    else:
        ok_sig = ed25519_verify(sender[1:], signed_part, signature)  # Ed25519 over the signed part itself
    print(f"body hash   {'ok' if ok_hash else 'MISMATCH'}")
    print(f"signature   {'ok' if ok_sig else 'INVALID'}")
    return 0 if ok_hash and ok_sig else 1


if __name__ == "__main__":
    args = sys.argv[1:]
    key = None
    if "--link-key" in args:
        at = args.index("--link-key")
        key = bytes.fromhex(args[at + 1])
        del args[at:at + 2]
    sys.exit(main(args[0], key))
