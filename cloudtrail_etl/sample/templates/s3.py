"""Event templates of Amazon S3 (bucket and object calls)."""

from __future__ import annotations

import base64
from typing import Any


class S3Templates:
    def _s3_extra(self, out_bytes: int, in_bytes: int = 0) -> dict[str, Any]:
        return {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": in_bytes,
            "AuthenticationMethod": "AuthHeader",
            "x-amz-id-2": base64.b64encode(self.bits(448).to_bytes(56, "big")).decode(),
            "bytesTransferredOut": out_bytes,
        }

    def _bucket_resource(self, bucket: str) -> list[dict[str, str]]:
        return [{"accountId": self.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}]

    def s3_bucket_read(self, t: int) -> dict[str, Any]:
        bucket = self.pick(self.buckets)
        name, key, not_found = self.pick(
            (
                ("GetBucketAcl", "acl", None),
                ("GetBucketPolicy", "policy", ("NoSuchBucketPolicy", "The bucket policy does not exist")),
                (
                    "GetBucketPublicAccessBlock",
                    "publicAccessBlock",
                    ("NoSuchPublicAccessBlockConfiguration", "The public access block configuration was not found"),
                ),
                ("GetBucketVersioning", "versioning", None),
                ("GetBucketTagging", "tagging", ("NoSuchTagSet", "The TagSet does not exist")),
            )
        )
        host = f"{bucket}.s3.{self.region}.amazonaws.com"
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            name,
            {"bucketName": bucket, "Host": host, key: ""},
            read_only=True,
            extra=self._s3_extra(200 + int(self.rnd() * 600)),
            resources=self._bucket_resource(bucket),
            host=host,
            request_id=self.b32(16),
            not_found=not_found,
        )

    def s3_list_buckets(self, t: int) -> dict[str, Any]:
        host = f"s3.{self.region}.amazonaws.com"
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            "ListBuckets",
            {"Host": host},
            read_only=True,
            extra=self._s3_extra(1200 + int(self.rnd() * 4000)),
            host=host,
            request_id=self.b32(16),
        )

    def s3_list_access_points(self, t: int) -> dict[str, Any]:
        host = f"{self.account}.s3-control.{self.region}.amazonaws.com"
        # S3 Control sends maxResults as a string; EC2 and CloudTrail send it as a number.
        return self.record(
            t,
            self.s3_caller(t),
            "s3.amazonaws.com",
            "ListAccessPoints",
            {"bucket": self.pick(self.buckets), "Host": host, "maxResults": self.pick(("1", "100", "1000"))},
            read_only=True,
            extra=self._s3_extra(72),
            host=host,
            request_id=self.b32(16),
        )

    def s3_create_bucket(self, t: int) -> dict[str, Any]:
        bucket = f"tmp-{self.account}-{self.hexid(8)}"
        request: dict[str, Any] = {"bucketName": bucket, "Host": f"s3.{self.region}.amazonaws.com"}
        if self.region != "us-east-1":
            request = {
                "CreateBucketConfiguration": {
                    "LocationConstraint": self.region,
                    "xmlns": "http://s3.amazonaws.com/doc/2006-03-01/",
                },
                **request,
            }
        request["x-amz-object-ownership"] = "BucketOwnerEnforced"
        return self.record(
            t,
            self.principal(t),
            "s3.amazonaws.com",
            "CreateBucket",
            request,
            read_only=False,
            extra=self._s3_extra(0, 150),
            resources=self._bucket_resource(bucket),
            host=request["Host"],
            request_id=self.b32(16),
        )

    def s3_object(self, t: int) -> dict[str, Any]:
        bucket = self.pick(self.buckets[:4])
        put = self.rnd() < 0.35
        folder = self.pick(("uploads", "exports", "raw/events", "thumbnails"))
        key = f"{folder}/{self.hexid(12)}.{self.pick(('json', 'jpg', 'parquet', 'csv'))}"
        host = f"{bucket}.s3.{self.region}.amazonaws.com"
        size = 512 + int(self.rnd() * 2_000_000)
        response = None
        if put:
            response = {
                "x-amz-server-side-encryption": "aws:kms",
                "x-amz-server-side-encryption-aws-kms-key-id": self.key_arns[0],
                "x-amz-version-id": self.b32(32),
            }
        resources = [
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": self.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ]
        return self.record(
            t,
            self.principal(t),
            "s3.amazonaws.com",
            "PutObject" if put else "GetObject",
            {"bucketName": bucket, "Host": host, "key": key},
            response,
            read_only=not put,
            extra=self._s3_extra(0 if put else size, size if put else 0),
            resources=resources,
            data_event=True,
            host=host,
            request_id=self.b32(16),
            not_found=None if put else ("NoSuchKey", "The specified key does not exist."),
        )
