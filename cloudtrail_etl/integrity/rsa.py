"""RSA PKCS#1 v1.5 with SHA-256 (CloudTrail's SHA256withRSA), in pure Python.

Why: verifying a digest's signature is one modular exponentiation and a byte comparison; the Pythons of EMR and Glue
may lack `cryptography`, so the job carries no crypto dependency. Keys are PKCS#1 DER RSAPublicKey bytes, as
`aws cloudtrail list-public-keys` returns them (base64). Signing is here too, for the sample generator's test key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

# DER of DigestInfo{ AlgorithmIdentifier{ sha256, NULL }, OCTET STRING(32) } up to the hash itself (RFC 8017 9.2).
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


@dataclass(frozen=True)
class RsaPublicKey:
    n: int
    e: int

    @property
    def size(self) -> int:
        """Modulus length in bytes: the length of every signature."""
        return (self.n.bit_length() + 7) // 8


def _read_length(data: bytes, pos: int) -> tuple[int, int]:
    first = data[pos]
    pos += 1
    if first < 0x80:
        return first, pos
    count = first & 0x7F
    if count == 0 or count > 4 or pos + count > len(data):
        raise ValueError("bad DER length")
    return int.from_bytes(data[pos : pos + count], "big"), pos + count


def _read_tlv(data: bytes, pos: int, tag: int) -> tuple[bytes, int]:
    if pos >= len(data) or data[pos] != tag:
        raise ValueError(f"expected DER tag {tag:#04x} at byte {pos}")
    length, pos = _read_length(data, pos + 1)
    end = pos + length
    if end > len(data):
        raise ValueError("DER value runs past the end")
    return data[pos:end], end


def parse_public_key(der: bytes) -> RsaPublicKey:
    """RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER } (PKCS#1), DER-encoded."""
    body, end = _read_tlv(der, 0, 0x30)
    if end != len(der):
        raise ValueError("trailing bytes after the RSAPublicKey")
    n_bytes, pos = _read_tlv(body, 0, 0x02)
    e_bytes, pos = _read_tlv(body, pos, 0x02)
    if pos != len(body):
        raise ValueError("RSAPublicKey holds more than modulus and exponent")
    n, e = int.from_bytes(n_bytes, "big"), int.from_bytes(e_bytes, "big")
    if n <= 0 or e <= 0 or n_bytes[0] & 0x80 or e_bytes[0] & 0x80:
        raise ValueError("negative or zero RSA number")
    return RsaPublicKey(n, e)


def _der_integer(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")  # the extra byte keeps the sign bit clear
    while len(body) > 1 and body[0] == 0 and not body[1] & 0x80:
        body = body[1:]
    return b"\x02" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def encode_public_key(key: RsaPublicKey) -> bytes:
    """The DER RSAPublicKey, as CloudTrail publishes it (its MD5 is the key's fingerprint)."""
    body = _der_integer(key.n) + _der_integer(key.e)
    return b"\x30" + _der_length(len(body)) + body


def fingerprint(der: bytes) -> str:
    """CloudTrail's key fingerprint: hex MD5 of the DER bytes (an identifier, not a security function)."""
    return hashlib.md5(der, usedforsecurity=False).hexdigest()


def _encoded_message(message: bytes, size: int) -> bytes:
    """EMSA-PKCS1-v1_5 of SHA-256(message) for a modulus of `size` bytes."""
    tail = _SHA256_DIGEST_INFO + hashlib.sha256(message).digest()
    if size < len(tail) + 11:
        raise ValueError("RSA key too short for SHA-256 signatures")
    return b"\x00\x01" + b"\xff" * (size - len(tail) - 3) + b"\x00" + tail


def verify(key: RsaPublicKey, message: bytes, signature: bytes) -> bool:
    """True when `signature` is the RSASSA-PKCS1-v1_5 SHA-256 signature of `message` under `key`."""
    if len(signature) != key.size:
        return False
    s = int.from_bytes(signature, "big")
    if s >= key.n:
        return False
    recovered = pow(s, key.e, key.n).to_bytes(key.size, "big")
    return recovered == _encoded_message(message, key.size)


@dataclass(frozen=True)
class RsaPrivateKey:
    """A private key by its primes (CRT signing is ~3x faster than pow with d)."""

    p: int
    q: int
    e: int = 65537

    @property
    def public(self) -> RsaPublicKey:
        return RsaPublicKey(self.p * self.q, self.e)

    @cached_property
    def _crt(self) -> tuple[int, int, int]:
        d = pow(self.e, -1, (self.p - 1) * (self.q - 1))
        return d % (self.p - 1), d % (self.q - 1), pow(self.q, -1, self.p)

    def sign(self, message: bytes) -> bytes:
        """RSASSA-PKCS1-v1_5 SHA-256 signature of `message`."""
        p, q, public = self.p, self.q, self.public
        dp, dq, q_inv = self._crt
        m = int.from_bytes(_encoded_message(message, public.size), "big")
        s1, s2 = pow(m, dp, p), pow(m, dq, q)
        s = s2 + q * ((q_inv * (s1 - s2)) % p)
        return s.to_bytes(public.size, "big")
