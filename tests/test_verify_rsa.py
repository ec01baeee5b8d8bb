"""The pure-Python pieces of verify: RSA PKCS#1 v1.5 SHA-256 against `cryptography`, keys, digests, hashing."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import hashlib
import json

import pytest

from cloudtrail_etl.integrity import rsa
from cloudtrail_etl.integrity.digests import parse_digest, parse_digest_name, sha256_of_gzip, string_to_sign
from cloudtrail_etl.integrity.keys import keys_from_listing, public_keys_json
from cloudtrail_etl.sample.digests import TEST_KEY, TEST_KEY_FINGERPRINT, sample_public_keys

crypto = pytest.importorskip("cryptography")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa as crypto_rsa  # noqa: E402


@pytest.fixture(scope="module")
def crypto_key():
    return crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)


def test_verify_accepts_what_cryptography_signs_and_nothing_else(crypto_key):
    der = crypto_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    key = rsa.parse_public_key(der)
    assert key.n == crypto_key.public_key().public_numbers().n and key.e == 65537
    assert rsa.encode_public_key(key) == der
    message = b"2026-01-02T14:17:28Z\nbucket/AWSLogs/x.json.gz\n" + b"ab" * 32 + b"\nnull"
    signature = crypto_key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    assert rsa.verify(key, message, signature)
    assert not rsa.verify(key, message + b" ", signature)
    flipped = bytes([signature[0] ^ 1]) + signature[1:]
    assert not rsa.verify(key, message, flipped)
    assert not rsa.verify(key, message, signature[1:])  # wrong length
    other = crypto_rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert not rsa.verify(key, message, other.sign(message, padding.PKCS1v15(), hashes.SHA256()))


def test_what_the_test_key_signs_verifies_with_cryptography():
    public = crypto_rsa.RSAPublicNumbers(TEST_KEY.public.e, TEST_KEY.public.n).public_key()
    signature = TEST_KEY.sign(b"digest string")
    public.verify(signature, b"digest string", padding.PKCS1v15(), hashes.SHA256())  # raises if invalid
    der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert hashlib.md5(der).hexdigest() == TEST_KEY_FINGERPRINT


def test_malformed_der_is_rejected():
    good = rsa.encode_public_key(TEST_KEY.public)
    for bad in (b"", good[:-1], good + b"\x00", b"\x31" + good[1:], b"\x30\x03\x02\x01\x05"):
        with pytest.raises((ValueError, IndexError)):
            rsa.parse_public_key(bad)


def test_public_keys_listing_round_trip_and_mislabelled_keys_are_dropped():
    listing = sample_public_keys()
    assert set(listing["PublicKeyList"][0]) == {"Value", "ValidityStartTime", "ValidityEndTime", "Fingerprint"}
    assert keys_from_listing(listing) == {TEST_KEY_FINGERPRINT: TEST_KEY.public}
    mislabelled = json.loads(json.dumps(listing))
    mislabelled["PublicKeyList"][0]["Fingerprint"] = "0" * 32
    assert keys_from_listing(mislabelled) == {}
    # boto3 hands Value over as bytes already decoded
    as_boto = {"PublicKeyList": [dict(listing["PublicKeyList"][0])]}
    as_boto["PublicKeyList"][0]["Value"] = base64.b64decode(as_boto["PublicKeyList"][0]["Value"])
    assert keys_from_listing(as_boto) == {TEST_KEY_FINGERPRINT: TEST_KEY.public}
    moment = dt.datetime(2026, 1, 1)
    assert public_keys_json([], moment, moment) == {"PublicKeyList": []}


def test_string_to_sign_uses_null_for_a_starting_digest():
    doc = {"digestEndTime": "2026-01-02T01:02:03Z", "digestS3Bucket": "b", "digestS3Object": "AWSLogs/k.json.gz"}
    assert string_to_sign({**doc, "previousDigestSignature": None}, "ff") == (
        b"2026-01-02T01:02:03Z\nb/AWSLogs/k.json.gz\nff\nnull"
    )
    assert string_to_sign({**doc, "previousDigestSignature": "abcd"}, "ff").endswith(b"\nff\nabcd")


def test_hash_of_a_multi_member_gzip_is_of_all_its_content():
    data = gzip.compress(b'{"Records":[') + gzip.compress(b"]}")
    assert sha256_of_gzip(data) == hashlib.sha256(b'{"Records":[]}').hexdigest()
    with pytest.raises(Exception):  # noqa: B017 - zlib.error or EOFError, both "not what CloudTrail hashed"
        sha256_of_gzip(data[:-5])


def test_digest_names_including_backfill_and_underscored_trail_names():
    name = parse_digest_name(
        "AWSLogs/o-abcdefghij/111122223333/CloudTrail-Digest/ap-northeast-2/2026/01/02/"
        "111122223333_CloudTrail-Digest_ap-northeast-2_my_trail_us-east-1_20260102T141728Z_backfill.json.gz"
    )
    assert (name.account, name.region, name.trail, name.home_region, name.backfill) == (
        "111122223333",
        "ap-northeast-2",
        "my_trail",
        "us-east-1",
        True,
    )
    assert name.end.isoformat() == "2026-01-02T14:17:28+00:00"
    assert parse_digest_name("AWSLogs/111122223333/CloudTrail/us-east-1/2026/01/02/x.json.gz") is None


def test_a_digest_without_its_fields_is_a_format_error():
    from cloudtrail_etl.integrity.digests import DigestFormatError

    with pytest.raises(DigestFormatError):
        parse_digest("d.json.gz", gzip.compress(b'{"logFiles": []}'), None)
    with pytest.raises(DigestFormatError):
        parse_digest("d.json.gz", b"not gzip", None)
