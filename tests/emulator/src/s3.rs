//! S3 (restXml), path-style only: `PutObject` stores objects in buckets the fixture or the admin
//! API created; every other S3 operation is answered with S3's own "not implemented" error.
//!
//! The rules follow the S3 API reference pages "PutObject", "Error responses", "Common Response
//! Headers", "Signature Calculations for the Authorization Header: Transferring Payload in
//! Multiple Chunks (Chunked Upload)" and "Signature calculations for trailing headers", and the
//! user guide's "Bucket naming rules"; the README names the rule each page backs.
//!
//! Buckets are one store for every account and region, because bucket names are global within a
//! partition ("Bucket naming rules": a name is unique across all accounts in all the Regions of a
//! partition); each bucket remembers its owner and Region.

use crate::fixture::S3Bucket;
use crate::protocol::ApiError;
use crate::util::iso;
use axum::http::{HeaderMap, Method};
use base64::Engine as _;
use md5::Digest as _;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Prefix of every S3 operation name in call counts and fault rules, e.g. `s3:PutObject`.
pub const OPERATION_PREFIX: &str = "s3:";

/// Longest object key, in bytes of UTF-8 ("Creating object key names", S3 user guide: "The object
/// key name ... can be up to 1,024 bytes long").
const MAX_KEY_BYTES: usize = 1024;

/// Content type S3 gives an object uploaded without one (PutObject: "default is
/// binary/octet-stream").
const DEFAULT_CONTENT_TYPE: &str = "binary/octet-stream";

/// One stored object (the current version only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Object {
    /// The key.
    pub key: String,
    /// The decoded bytes, as PutObject stored them.
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The quoted hex MD5 of the body, as the `ETag` header carries it.
    pub etag: String,
    /// The `Content-Type` it was uploaded with.
    pub content_type: String,
    /// Size in bytes.
    pub size: usize,
    /// When it was stored, RFC 3339 (emulated time).
    pub last_modified: String,
    /// `AES256` or `aws:kms`: the encryption S3 applied.
    pub server_side_encryption: String,
    /// The KMS key of an `aws:kms` object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<String>,
    /// The version id, on a versioned bucket.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
}

impl Object {
    /// The body as text, when it is UTF-8.
    pub fn text(&self) -> Option<&str> {
        std::str::from_utf8(&self.body).ok()
    }

    /// The object for the admin API: its metadata, and its body as `body` (UTF-8 text) or
    /// `bodyBase64`.
    pub fn to_json(&self) -> Value {
        let mut value = json!(self);
        match self.text() {
            Some(text) => value["body"] = json!(text),
            None => {
                value["bodyBase64"] =
                    json!(base64::engine::general_purpose::STANDARD.encode(&self.body));
            }
        }
        value
    }
}

/// One bucket.
#[derive(Debug, Clone)]
struct Bucket {
    spec: S3Bucket,
    objects: BTreeMap<String, Object>,
    /// How many versions were written, for the state dump.
    versions_written: u64,
}

/// S3 state: every bucket by name.
#[derive(Debug, Clone)]
pub struct S3 {
    buckets: BTreeMap<String, Bucket>,
}

impl S3 {
    /// The buckets of the fixture, each owned by its account (default: home) in its Region
    /// (default: the home Region); the fixture has checked the names.
    pub fn new(buckets: &[S3Bucket], home_account: &str, home_region: &str) -> Self {
        let mut s3 = Self {
            buckets: BTreeMap::new(),
        };
        for spec in buckets {
            s3.insert(spec, home_account, home_region);
        }
        s3
    }

    fn insert(&mut self, spec: &S3Bucket, home_account: &str, home_region: &str) {
        let mut spec = spec.clone();
        spec.account_id
            .get_or_insert_with(|| home_account.to_owned());
        spec.region.get_or_insert_with(|| home_region.to_owned());
        self.buckets.insert(
            spec.name.clone(),
            Bucket {
                spec,
                objects: BTreeMap::new(),
                versions_written: 0,
            },
        );
    }

    /// Creates a bucket (the admin API's and the tests' way; CreateBucket itself is not
    /// emulated). Refused when the name breaks the naming rules or is taken.
    pub fn create_bucket(
        &mut self,
        spec: &S3Bucket,
        home_account: &str,
        home_region: &str,
    ) -> Result<(), String> {
        spec.check()?;
        if self.buckets.contains_key(&spec.name) {
            return Err(format!("bucket {} exists already", spec.name));
        }
        self.insert(spec, home_account, home_region);
        Ok(())
    }

    /// The objects of `bucket` whose key starts with `prefix`, in key order; `None` when there
    /// is no such bucket.
    pub fn objects(&self, bucket: &str, prefix: &str) -> Option<Vec<Object>> {
        let bucket = self.buckets.get(bucket)?;
        Some(
            bucket
                .objects
                .range(prefix.to_owned()..)
                .take_while(|(key, _)| key.starts_with(prefix))
                .map(|(_, object)| object.clone())
                .collect(),
        )
    }

    /// The state dump: buckets with their settings and object keys (no bodies).
    pub fn snapshot(&self) -> Value {
        let buckets: Vec<Value> = self
            .buckets
            .values()
            .map(|b| {
                let mut value = json!(b.spec);
                value["versionsWritten"] = json!(b.versions_written);
                value["objects"] = json!(b.objects.values().collect::<Vec<_>>());
                value
            })
            .collect();
        json!({ "buckets": buckets })
    }
}

/// What a path-style request names: no bucket (`/`), a bucket, or an object in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The decoded bucket name, empty for `/`.
    pub bucket: String,
    /// The decoded key, empty for a bucket-level request.
    pub key: String,
}

impl Target {
    /// The bucket and key of a path-style path: `/{bucket}/{key...}`, both percent-decoded (the
    /// SDKs encode every key byte outside the unreserved set, and keep `/` as is).
    pub fn parse(path: &str) -> Self {
        let rest = path.strip_prefix('/').unwrap_or(path);
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        Self {
            bucket: decode(bucket),
            key: decode(key),
        }
    }

    /// The resource an error names, as S3's `<Resource>` shows it: `/bucket/key`.
    pub fn resource(&self) -> String {
        match (self.bucket.is_empty(), self.key.is_empty()) {
            (true, _) => "/".to_owned(),
            (false, true) => format!("/{}", self.bucket),
            (false, false) => format!("/{}/{}", self.bucket, self.key),
        }
    }
}

/// The operation a request names, from its method, whether it names a key, and its query
/// subresources. Only `PutObject` is carried out; the names make call counts and fault rules
/// readable for the others. `None`: a method S3 has no operation for.
pub fn operation(
    method: &Method,
    target: &Target,
    query: &BTreeMap<String, String>,
) -> Option<String> {
    // The SDKs add `x-id=<Operation>` to some requests; it names no subresource.
    let sub = query
        .keys()
        .find(|k| k.as_str() != "x-id" && !k.starts_with("X-Amz-"))
        .map(|k| upper_camel(k));
    let verb = match *method {
        Method::GET => "Get",
        Method::PUT => "Put",
        Method::DELETE => "Delete",
        Method::HEAD => "Head",
        Method::POST => "Post",
        _ => return None,
    };
    let op = if target.bucket.is_empty() {
        "ListBuckets".to_owned()
    } else if target.key.is_empty() {
        match (verb, sub.as_deref()) {
            ("Put", None) => "CreateBucket".to_owned(),
            ("Delete", None) => "DeleteBucket".to_owned(),
            ("Head", None) => "HeadBucket".to_owned(),
            ("Get", None) => "ListObjects".to_owned(),
            ("Get", Some("ListType")) => "ListObjectsV2".to_owned(),
            ("Post", Some("Delete")) => "DeleteObjects".to_owned(),
            (verb, Some(sub)) => format!("{verb}Bucket{sub}"),
            (verb, None) => format!("{verb}Bucket"),
        }
    } else {
        let multipart = query.contains_key("uploadId");
        match (verb, sub.as_deref()) {
            ("Put", _) if multipart => "UploadPart".to_owned(),
            ("Post", _) if multipart => "CompleteMultipartUpload".to_owned(),
            ("Delete", _) if multipart => "AbortMultipartUpload".to_owned(),
            ("Get", _) if multipart => "ListParts".to_owned(),
            ("Post", Some("Uploads")) => "CreateMultipartUpload".to_owned(),
            ("Put" | "Get" | "Delete" | "Head", None) => format!("{verb}Object"),
            (verb, Some(sub)) => format!("{verb}Object{sub}"),
            (verb, None) => format!("{verb}Object"),
        }
    };
    Some(op)
}

/// `list-type` → `ListType`, `versionId` → `VersionId`.
fn upper_camel(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A successful S3 answer: status 200, an empty body and these headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Response headers beyond the request ids.
    pub headers: Vec<(&'static str, String)>,
}

/// Who sends a request (the account of its access key) and when (the emulated time).
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    /// The account of the access key.
    pub account: &'a str,
    /// The emulated time, epoch seconds.
    pub now: i64,
}

/// One S3 request as the operations read it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The HTTP method.
    pub method: &'a Method,
    /// The bucket and key of the path.
    pub target: &'a Target,
    /// The request headers.
    pub headers: &'a HeaderMap,
    /// The raw body.
    pub body: &'a [u8],
}

/// Runs one S3 operation (`op` without [`OPERATION_PREFIX`]); only PutObject is emulated.
pub fn execute(
    s3: &mut S3,
    op: Option<&str>,
    req: Request<'_>,
    caller: Caller<'_>,
    rng: &mut fastrand::Rng,
) -> Result<Reply, ApiError> {
    let Request {
        method,
        target,
        headers,
        body,
    } = req;
    let resource = target.resource();
    match op {
        None => Err(error(
            "MethodNotAllowed",
            format!("The specified method is not allowed against this resource: {method}"),
            &resource,
        )),
        Some("PutObject") if headers.contains_key("x-amz-copy-source") => {
            Err(not_implemented("CopyObject", &resource))
        }
        Some("PutObject") => put_object(s3, target, headers, body, caller, rng),
        Some("PostObject") => Err(error(
            "MethodNotAllowed",
            "The specified method is not allowed against this resource: POST".to_owned(),
            &resource,
        )),
        Some(other) => Err(not_implemented(other, &resource)),
    }
}

/// An S3 error naming the resource it is about.
fn error(code: &str, message: String, resource: &str) -> ApiError {
    ApiError::new(code, message).with("Resource", resource)
}

/// S3's answer to an operation the emulator does not carry out ("Error responses":
/// `NotImplemented`, 501, "A header that you provided implies functionality that is not
/// implemented").
fn not_implemented(op: &str, resource: &str) -> ApiError {
    error(
        "NotImplemented",
        format!("dr-emulator does not implement the S3 operation {op}; it serves PutObject only"),
        resource,
    )
}

/// PutObject: decode the body (aws-chunked when the request says so), check every digest the
/// request carries, then store the object as the current version of its key.
fn put_object(
    s3: &mut S3,
    target: &Target,
    headers: &HeaderMap,
    body: &[u8],
    caller: Caller<'_>,
    rng: &mut fastrand::Rng,
) -> Result<Reply, ApiError> {
    let resource = target.resource();
    let bucket = s3.buckets.get_mut(&target.bucket).ok_or_else(|| {
        error(
            "NoSuchBucket",
            "The specified bucket does not exist".to_owned(),
            &resource,
        )
    })?;
    // Without a bucket policy, only the owner's account may write (no policies are emulated).
    if bucket.spec.account_id.as_deref() != Some(caller.account) {
        return Err(error("AccessDenied", "Access Denied".to_owned(), &resource));
    }
    if target.key.len() > MAX_KEY_BYTES {
        return Err(error(
            "KeyTooLongError",
            "Your key is too long".to_owned(),
            &resource,
        ));
    }
    let payload = Payload::decode(headers, body).map_err(|e| e.at(&resource))?;
    payload.verify(headers).map_err(|e| e.at(&resource))?;
    let data = payload.data;
    let md5 = md5::Md5::digest(&data);
    let etag = format!("\"{}\"", hex(&md5));
    let (sse, kms_key_id) = encryption(headers, &bucket.spec);
    let version_id = bucket
        .spec
        .versioning
        .then(|| (0..32).map(|_| rng.alphanumeric()).collect::<String>());
    let object = Object {
        key: target.key.clone(),
        size: data.len(),
        body: data,
        etag: etag.clone(),
        content_type: header(headers, "content-type")
            .unwrap_or(DEFAULT_CONTENT_TYPE)
            .to_owned(),
        last_modified: iso(caller.now),
        server_side_encryption: sse.clone(),
        kms_key_id: kms_key_id.clone(),
        version_id: version_id.clone(),
    };
    bucket.objects.insert(target.key.clone(), object);
    bucket.versions_written += 1;
    let mut reply = vec![("etag", etag), ("x-amz-server-side-encryption", sse)];
    if let Some(key) = kms_key_id {
        reply.push(("x-amz-server-side-encryption-aws-kms-key-id", key));
    }
    if let Some(version) = version_id {
        reply.push(("x-amz-version-id", version));
    }
    // PutObject answers with the checksum the object was uploaded with.
    for (name, value) in payload.checksums {
        reply.push((name, value));
    }
    Ok(Reply { headers: reply })
}

/// The encryption S3 applies: the request's own `x-amz-server-side-encryption` (with its key),
/// else the bucket's default, else SSE-S3 (`AES256`), which S3 applies to every new object
/// ("Setting default server-side encryption behavior for Amazon S3 buckets", S3 user guide).
fn encryption(headers: &HeaderMap, bucket: &S3Bucket) -> (String, Option<String>) {
    match header(headers, "x-amz-server-side-encryption") {
        Some("aws:kms") => (
            "aws:kms".to_owned(),
            header(headers, "x-amz-server-side-encryption-aws-kms-key-id")
                .map(str::to_owned)
                .or_else(|| bucket.kms_key_id.clone()),
        ),
        Some(other) => (other.to_owned(), None),
        None => match &bucket.kms_key_id {
            Some(key) => ("aws:kms".to_owned(), Some(key.clone())),
            None => ("AES256".to_owned(), None),
        },
    }
}

/// A header as text, if present and visible ASCII.
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Lower-case hex of bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a payload was refused, before the resource is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadError {
    code: &'static str,
    message: String,
}

impl PayloadError {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The error code, e.g. `BadDigest`.
    pub fn code(&self) -> &str {
        self.code
    }

    fn at(self, resource: &str) -> ApiError {
        error(self.code, self.message, resource)
    }
}

/// A decoded request payload and the checksums that came with it (header or trailer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The object bytes.
    pub data: Vec<u8>,
    /// `x-amz-checksum-*` values sent in a header or in the aws-chunked trailer, by header name.
    pub checksums: Vec<(&'static str, String)>,
}

/// The checksum headers S3 knows (PutObject request: `x-amz-checksum-crc32`, `-crc32c`,
/// `-crc64nvme`, `-sha1`, `-sha256`), as static names for the reply.
const CHECKSUM_HEADERS: [&str; 5] = [
    "x-amz-checksum-crc32",
    "x-amz-checksum-crc32c",
    "x-amz-checksum-crc64nvme",
    "x-amz-checksum-sha1",
    "x-amz-checksum-sha256",
];

impl Payload {
    /// The object bytes of a request body: the body itself, or for `Content-Encoding:
    /// aws-chunked` (what the SDKs send for streaming bodies, with `x-amz-content-sha256:
    /// STREAMING-...`) the chunks' data, whose length must be `x-amz-decoded-content-length`.
    /// Chunk signatures are not checked, like every other signature.
    pub fn decode(headers: &HeaderMap, body: &[u8]) -> Result<Self, PayloadError> {
        let mut checksums: Vec<(&'static str, String)> = CHECKSUM_HEADERS
            .iter()
            .filter_map(|name| header(headers, name).map(|v| (*name, v.to_owned())))
            .collect();
        let chunked = header(headers, "content-encoding")
            .is_some_and(|e| e.split(',').any(|part| part.trim() == "aws-chunked"));
        if !chunked {
            return Ok(Self {
                data: body.to_vec(),
                checksums,
            });
        }
        let declared = header(headers, "x-amz-decoded-content-length")
            .ok_or_else(|| {
                PayloadError::new(
                    "MissingContentLength",
                    "You must provide the x-amz-decoded-content-length HTTP header with an aws-chunked body",
                )
            })?
            .parse::<usize>()
            .map_err(|_| {
                PayloadError::new(
                    "InvalidArgument",
                    "x-amz-decoded-content-length must be a number of bytes",
                )
            })?;
        let Chunks { data, trailers } = decode_chunks(body)?;
        if data.len() != declared {
            return Err(PayloadError::new(
                "IncompleteBody",
                format!(
                    "You did not provide the number of bytes specified by x-amz-decoded-content-length ({declared}; the chunks hold {})",
                    data.len()
                ),
            ));
        }
        for (name, value) in trailers {
            if let Some(known) = CHECKSUM_HEADERS.iter().find(|h| **h == name) {
                checksums.push((known, value));
            }
        }
        Ok(Self { data, checksums })
    }

    /// Checks every digest the request carries against the decoded bytes:
    /// `x-amz-content-sha256` (a hex SHA-256 of a plain body, or `UNSIGNED-PAYLOAD` /
    /// `STREAMING-*`), `Content-MD5` (base64 MD5) and the `x-amz-checksum-*` values (base64).
    pub fn verify(&self, headers: &HeaderMap) -> Result<(), PayloadError> {
        let content_sha = header(headers, "x-amz-content-sha256").ok_or_else(|| {
            PayloadError::new(
                "InvalidRequest",
                "Missing required header for this request: x-amz-content-sha256",
            )
        })?;
        let streaming = content_sha.starts_with("STREAMING-");
        if content_sha != "UNSIGNED-PAYLOAD" && !streaming {
            let is_hex =
                content_sha.len() == 64 && content_sha.bytes().all(|b| b.is_ascii_hexdigit());
            if !is_hex {
                return Err(PayloadError::new(
                    "InvalidArgument",
                    "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-... or the hex SHA-256 of the payload",
                ));
            }
            if !content_sha.eq_ignore_ascii_case(&hex(&sha2::Sha256::digest(&self.data))) {
                return Err(PayloadError::new(
                    "XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.",
                ));
            }
        }
        if let Some(md5) = header(headers, "content-md5") {
            let want = decode_digest(md5, 16).ok_or_else(|| {
                PayloadError::new(
                    "InvalidDigest",
                    "The Content-MD5 you specified is not valid.",
                )
            })?;
            if want != md5::Md5::digest(&self.data).as_slice() {
                return Err(bad_digest("Content-MD5"));
            }
        }
        for (name, value) in &self.checksums {
            let got: Vec<u8> = match *name {
                "x-amz-checksum-crc32" => crc32fast::hash(&self.data).to_be_bytes().to_vec(),
                "x-amz-checksum-sha1" => sha1::Sha1::digest(&self.data).to_vec(),
                "x-amz-checksum-sha256" => sha2::Sha256::digest(&self.data).to_vec(),
                other => {
                    return Err(PayloadError::new(
                        "NotImplemented",
                        format!("dr-emulator does not verify {other}; send CRC32, SHA1 or SHA256"),
                    ))
                }
            };
            let want = decode_digest(value, got.len()).ok_or_else(|| {
                PayloadError::new(
                    "InvalidRequest",
                    format!("Value for {name} header is invalid."),
                )
            })?;
            if want != got {
                return Err(bad_digest(name));
            }
        }
        Ok(())
    }
}

/// "Error responses": `BadDigest`, 400, "The Content-MD5 or checksum value that you specified
/// did not match what the server received."
fn bad_digest(what: &str) -> PayloadError {
    PayloadError::new(
        "BadDigest",
        format!("The {what} you specified did not match what the server received."),
    )
}

/// A base64 digest of `len` bytes.
fn decode_digest(text: &str, len: usize) -> Option<Vec<u8>> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .filter(|bytes| bytes.len() == len)
}

/// The data and the trailing headers of an aws-chunked body: chunks of `hex-size[;ext]\r\n`,
/// the data and `\r\n`, up to a chunk of size 0, then `name:value\r\n` trailers and an empty
/// line ("Signature Calculations for the Authorization Header: Transferring Payload in Multiple
/// Chunks", "Signature calculations for trailing headers").
fn decode_chunks(body: &[u8]) -> Result<Chunks, PayloadError> {
    let malformed = |why: &str| {
        PayloadError::new(
            "IncompleteBody",
            format!("The aws-chunked body is malformed: {why}"),
        )
    };
    let mut rest = body;
    let mut data = Vec::new();
    loop {
        let (line, after) =
            split_line(rest).ok_or_else(|| malformed("a chunk header has no CRLF"))?;
        let size_text = line.split(|b| *b == b';').next().unwrap_or_default();
        let size = std::str::from_utf8(size_text)
            .ok()
            .and_then(|s| usize::from_str_radix(s.trim(), 16).ok())
            .ok_or_else(|| malformed("a chunk size is not hexadecimal"))?;
        if size == 0 {
            rest = after;
            break;
        }
        if after.len() < size + 2 || &after[size..size + 2] != b"\r\n" {
            return Err(malformed("a chunk is shorter than its size"));
        }
        data.extend_from_slice(&after[..size]);
        rest = &after[size + 2..];
    }
    let mut trailers = Vec::new();
    while let Some((line, after)) = split_line(rest) {
        rest = after;
        if line.is_empty() {
            break;
        }
        let text = std::str::from_utf8(line).map_err(|_| malformed("a trailer is not text"))?;
        let (name, value) = text
            .split_once(':')
            .ok_or_else(|| malformed("a trailer has no colon"))?;
        trailers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    Ok(Chunks { data, trailers })
}

/// A decoded aws-chunked body.
struct Chunks {
    /// The chunks' data, in order.
    data: Vec<u8>,
    /// The trailing headers, names lower-cased.
    trailers: Vec<(String, String)>,
}

/// The bytes before the first CRLF and those after it.
fn split_line(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let at = bytes.windows(2).position(|w| w == b"\r\n")?;
    Some((&bytes[..at], &bytes[at + 2..]))
}

/// The S3 XML error body ("Error responses", REST error responses: `Code`, `Message`,
/// `Resource`, `RequestId`).
pub fn error_xml(err: &ApiError, request_id: &str) -> String {
    let resource = err
        .fields
        .get("Resource")
        .and_then(Value::as_str)
        .unwrap_or("/");
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message><Resource>{}</Resource><RequestId>{request_id}</RequestId></Error>",
        crate::util::xml_escape(&err.code),
        crate::util::xml_escape(&err.message),
        crate::util::xml_escape(resource),
    )
}

/// The status "Error responses" lists for an S3 error code; 400 for the other client errors.
pub fn status(code: &str) -> u16 {
    match code {
        "AccessDenied" => 403,
        "NoSuchBucket" | "NoSuchKey" => 404,
        "MethodNotAllowed" => 405,
        "BucketAlreadyExists" | "BucketAlreadyOwnedByYou" => 409,
        "MissingContentLength" => 411,
        "InternalError" => 500,
        "NotImplemented" => 501,
        "SlowDown" | "ServiceUnavailable" => 503,
        _ => 400,
    }
}

/// A request id as S3 writes them (16 upper-case hex digits, "Error responses" example
/// `4442587FB7D0A2F9`) and an `x-amz-id-2` token.
pub fn request_ids(rng: &mut fastrand::Rng) -> (String, String) {
    let id = crate::util::hex(rng, 16).to_uppercase();
    let raw: Vec<u8> = (0..48).map(|_| rng.u8(..)).collect();
    (id, base64::engine::general_purpose::STANDARD.encode(raw))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header"));
        }
        h
    }

    fn query(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_path_names_a_decoded_bucket_and_a_key_with_slashes() {
        let t = Target::parse("/dr-automation-history/history/a%20b/2026-12-02/x.json");
        assert_eq!(t.bucket, "dr-automation-history");
        assert_eq!(t.key, "history/a b/2026-12-02/x.json");
        assert_eq!(
            t.resource(),
            "/dr-automation-history/history/a b/2026-12-02/x.json"
        );
        assert_eq!(Target::parse("/b").key, "");
        assert_eq!(Target::parse("/").resource(), "/");
    }

    #[test]
    fn operations_are_named_from_method_target_and_subresource() {
        let object = Target::parse("/b/k");
        let bucket = Target::parse("/b");
        let cases = [
            (
                Method::PUT,
                &object,
                query(&[("x-id", "PutObject")]),
                "PutObject",
            ),
            (Method::GET, &object, query(&[]), "GetObject"),
            (
                Method::PUT,
                &object,
                query(&[("tagging", "")]),
                "PutObjectTagging",
            ),
            (
                Method::PUT,
                &object,
                query(&[("partNumber", "1"), ("uploadId", "u")]),
                "UploadPart",
            ),
            (
                Method::POST,
                &object,
                query(&[("uploads", "")]),
                "CreateMultipartUpload",
            ),
            (Method::PUT, &bucket, query(&[]), "CreateBucket"),
            (
                Method::GET,
                &bucket,
                query(&[("list-type", "2")]),
                "ListObjectsV2",
            ),
            (
                Method::GET,
                &bucket,
                query(&[("encryption", "")]),
                "GetBucketEncryption",
            ),
            (Method::GET, &Target::parse("/"), query(&[]), "ListBuckets"),
        ];
        for (method, target, q, want) in cases {
            assert_eq!(
                operation(&method, target, &q).as_deref(),
                Some(want),
                "{method} {target:?} {q:?}"
            );
        }
        assert_eq!(operation(&Method::PATCH, &object, &query(&[])), None);
    }

    #[test]
    fn an_aws_chunked_body_decodes_to_its_data_and_trailer_checksum() {
        let body = b"B;chunk-signature=abc\r\n{\"hello\":2}\r\n0;chunk-signature=def\r\nx-amz-checksum-crc32:St1t+g==\r\nx-amz-trailer-signature:123\r\n\r\n";
        let h = headers(&[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "11"),
            (
                "x-amz-content-sha256",
                "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
            ),
        ]);
        let payload = Payload::decode(&h, body).expect("decodes");
        assert_eq!(payload.data, b"{\"hello\":2}");
        assert_eq!(
            payload.checksums,
            vec![("x-amz-checksum-crc32", "St1t+g==".to_owned())]
        );
        payload.verify(&h).expect("the trailer checksum matches");
    }

    #[test]
    fn a_chunked_body_shorter_than_its_decoded_length_is_an_incomplete_body() {
        let h = headers(&[
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "12"),
        ]);
        let err = Payload::decode(&h, b"B\r\n{\"hello\":2}\r\n0\r\n\r\n").expect_err("short");
        assert_eq!(err.code(), "IncompleteBody");
    }

    #[test]
    fn each_wrong_digest_is_refused_with_its_own_code() {
        let body = b"{\"hello\":1}";
        let sha = "0ea09e73d0357bb61ddf17c9e622566c90016909939ebeb446d21c558c9d2c0a";
        let zeros = "0".repeat(64);
        let cases = [
            (vec![("x-amz-content-sha256", sha)], None),
            (
                vec![
                    ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                    ("x-amz-checksum-crc32", "YfA+OQ=="),
                ],
                None,
            ),
            (
                vec![("x-amz-content-sha256", zeros.as_str())],
                Some("XAmzContentSHA256Mismatch"),
            ),
            (
                vec![("x-amz-content-sha256", "not-a-hash")],
                Some("InvalidArgument"),
            ),
            (vec![], Some("InvalidRequest")),
            (
                vec![
                    ("x-amz-content-sha256", sha),
                    ("x-amz-checksum-crc32", "AAAAAA=="),
                ],
                Some("BadDigest"),
            ),
            (
                vec![
                    ("x-amz-content-sha256", sha),
                    ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
                ],
                Some("BadDigest"),
            ),
            (
                vec![("x-amz-content-sha256", sha), ("content-md5", "short")],
                Some("InvalidDigest"),
            ),
            (
                vec![
                    ("x-amz-content-sha256", sha),
                    ("x-amz-checksum-crc32c", "AAAAAA=="),
                ],
                Some("NotImplemented"),
            ),
        ];
        for (pairs, want) in cases {
            let h = headers(&pairs);
            let got = Payload::decode(&h, body).and_then(|p| p.verify(&h)).err();
            assert_eq!(got.as_ref().map(PayloadError::code), want, "{pairs:?}");
        }
    }

    #[test]
    fn s3_errors_have_the_statuses_of_the_error_list() {
        for (code, want) in [
            ("NoSuchBucket", 404),
            ("AccessDenied", 403),
            ("SlowDown", 503),
            ("InternalError", 500),
            ("NotImplemented", 501),
            ("MethodNotAllowed", 405),
            ("BadDigest", 400),
        ] {
            assert_eq!(status(code), want, "{code}");
        }
    }
}
