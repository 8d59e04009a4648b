"""Signing against the vendors' published test vectors and the vectors derived from them."""

from __future__ import annotations

import hashlib

import pytest

from airflow_provider_nxcloud.platforms import buka, nxcloud

AK, SECRET, TS = "fme2na3kdi3ki", "abciiiko2k3", 1655710885431
ROW1 = '{"name":"牛小信","id":10001}'
ROW2 = '{"id":10001,"name":"牛小信"}'
ROW3 = '{"id": 10001, "name": "牛小信"}'
ESCAPED = '{"id": 10001, "name": "\\u725b\\u5c0f\\u4fe1"}'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # published: Java/C# and the worked example, PHP/Go, Python default separators
        (ROW1, "87c3560d3331ae23f1021e2025722354"),
        (ROW2, "7750759da06333f20d0640be09355e34"),
        (ROW3, "d0c24a9886c629330d7f3f2056c65bc2"),
        # derived
        (None, "884afe159e39b6c88a0d6102ca97d704"),
        (ESCAPED, "c47d659c2eb708071aabe0f588728c6c"),
    ],
)
def test_nxcloud_md5_vectors(body, expected):
    assert nxcloud.sign(AK, SECRET, 1, "send", TS, body) == expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (None, "921e82155cc02cdf78da934307c33cdca3f412d35ddb5b965482a2e029e900f4"),
        (ROW1, "e0eec2c99ef80f269a82795e2223f618ebfc0616c8b6c8c7d438021ec38ad0eb"),
        (ROW2, "d04863619d46121592cdb312ec0a91c148a1f5daea64930ad0e1fb31a04dc808"),
        (ESCAPED, "87f9ff0d5ecb23de254f73bdf6b23b3a5db49705d835e0b64cd4d6ffcb3fc0a9"),
    ],
)
def test_nxcloud_sha256_vectors(body, expected):
    assert nxcloud.sign(AK, SECRET, "1", "send", str(TS), body, algorithm="sha256") == expected


def test_nxcloud_string_to_sign_is_the_published_text():
    headers = {
        "ts": str(TS),
        "bizType": "1",
        "action": "send",
        "accessKey": AK,
        "sign": "x",
        "algorithm": "md5",
    }
    assert nxcloud.string_to_sign(headers, ROW1, SECRET) == (
        f"accessKey={AK}&action=send&bizType=1&ts={TS}&body={ROW1}&accessSecret={SECRET}".encode()
    )


def test_nxcloud_bytes_and_text_bodies_sign_alike():
    assert nxcloud.sign(AK, SECRET, 1, "send", TS, ROW1.encode("utf-8")) == "87c3560d3331ae23f1021e2025722354"


def test_nxcloud_empty_body_is_left_out_like_none():
    assert nxcloud.sign(AK, SECRET, 1, "send", TS, "") == nxcloud.sign(AK, SECRET, 1, "send", TS, None)


def test_nxcloud_unknown_algorithm_is_refused():
    with pytest.raises(ValueError, match="algorithm"):
        nxcloud.sign(AK, SECRET, 1, "send", TS, ROW1, algorithm="sha1")


def test_serialize_body_is_compact_utf8_and_keeps_key_order():
    assert nxcloud.serialize_body({"name": "牛小信", "id": 10001}) == ROW1


def test_signed_headers_sign_the_json_body_and_name_sha256():
    endpoint = nxcloud.ENDPOINTS["number_check_query"]
    body = nxcloud.serialize_body({"page": 1}).encode()
    md5 = nxcloud.signed_headers(AK, SECRET, endpoint, TS, body)
    assert md5["sign"] == nxcloud.sign(AK, SECRET, "1", "numbercheck", TS, body)
    assert "algorithm" not in md5
    sha = nxcloud.signed_headers(AK, SECRET, endpoint, TS, body, algorithm="sha256")
    assert sha["algorithm"] == "sha256"
    assert sha["sign"] == nxcloud.sign(AK, SECRET, "1", "numbercheck", TS, body, algorithm="sha256")
    assert {k: md5[k] for k in ("accessKey", "action", "bizType", "ts")} == {
        "accessKey": AK,
        "action": "numbercheck",
        "bizType": "1",
        "ts": str(TS),
    }


def test_signed_headers_leave_multipart_bodies_unsigned():
    endpoint = nxcloud.ENDPOINTS["voice_upload"]
    headers = nxcloud.signed_headers(AK, SECRET, endpoint, TS, b"--boundary form bytes")
    assert headers["sign"] == nxcloud.sign(AK, SECRET, "8", "upload", TS, None)


def test_buka_vector_from_the_seeds():
    assert buka.sign("bDqJFiq9", "7bz1lzh9", 1630468800) == "05d7a50893e22a5c4bb3216ae3396c7c"
    assert (
        buka.sign("bDqJFiq9", "7bz1lzh9", "1630468800")
        == hashlib.md5(b"bDqJFiq97bz1lzh91630468800").hexdigest()
    )


def test_buka_headers():
    headers = buka.signed_headers("bDqJFiq9", "7bz1lzh9", 1630468800)
    assert headers == {
        "Api-Key": "bDqJFiq9",
        "Timestamp": "1630468800",
        "Sign": "05d7a50893e22a5c4bb3216ae3396c7c",
    }
