#!/usr/bin/env python3
"""Independent check of a link's key schedule (docs/protocol.md section 4.5),
written from the document alone in plain Python 3 (standard library only).

usage: verify_link.py OPENING_HEX ACCEPTANCE_HEX SHARED_SECRET_HEX
The standard library has no X25519, so the shared secret is given (the worked
example uses RFC 7748's, whose keys it also uses). Prints the salt and both
link keys; check each envelope's signature with verify_envelope.py, and a
link-authenticated one with verify_envelope.py --link-key.
"""
import hashlib
import hmac
import sys


def header_of(hex_text):
    """The envelope's header (everything before the body): the body length is the u64 before the body hash."""
    m = bytes.fromhex("".join(hex_text.split()))
    # Walk the layout (section 2.1) to find where the body starts.
    key_bytes = {0x01: 33, 0xED: 32}
    o = 8 + m[7]
    o += 1 + key_bytes[m[o]]
    target_type = m[o]
    o += 1
    o += {0: 0, 2: 32}.get(target_type) or 1 + key_bytes[m[o]]
    o += 16 + 16 + 8
    body_len = int.from_bytes(m[o:o + 8], "big")
    o += 8 + 32 + 64
    assert len(m) == o + body_len, "length mismatch"
    return m[:o], m[o:]


def hkdf_sha256(ikm, salt, info, length):
    """RFC 5869."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def main(opening_hex, acceptance_hex, shared_hex):
    opening_header, opening_body = header_of(opening_hex)
    acceptance_header, acceptance_body = header_of(acceptance_hex)
    assert len(opening_body) == 32 and len(acceptance_body) == 32, "each body is a 32-byte X25519 key"
    salt = hashlib.sha256(opening_header + acceptance_header).digest()
    okm = hkdf_sha256(bytes.fromhex(shared_hex), salt, b"borg-link/1 keys", 128)
    print(f"opener X25519 public    {opening_body.hex()}")
    print(f"acceptor X25519 public  {acceptance_body.hex()}")
    print(f"salt                    {salt.hex()}")
    print(f"opener key              {okm[:64].hex()}")
    print(f"acceptor key            {okm[64:].hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
