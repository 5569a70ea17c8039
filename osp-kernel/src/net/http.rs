//! A small HTTP/1.0–1.1 server side: request-head parsing over bounded bytes and response
//! framing. Every connection gets one response and is closed (`Connection: close`).
#![forbid(unsafe_code)]

use alloc::vec::Vec;
use core::fmt::Write as _;

/// The largest request head accepted (request line and headers); larger ones get 431.
pub const MAX_HEAD: usize = 8 * 1024;

/// What the bytes received so far amount to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse<'a> {
    /// The head is not complete yet.
    Partial,
    /// A complete, well-formed request head.
    Request(Request<'a>),
    /// A response to send instead of a page: the request was malformed or unacceptable.
    Reject(Status),
}

/// A request the server understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request<'a> {
    /// `HEAD` (headers only) rather than `GET`.
    pub head_only: bool,
    /// The path, without the query string.
    pub path: &'a str,
}

/// The status codes the server sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 200.
    Ok,
    /// 400.
    BadRequest,
    /// 404.
    NotFound,
    /// 405.
    MethodNotAllowed,
    /// 431.
    HeadersTooLarge,
    /// 505.
    VersionNotSupported,
}

impl Status {
    /// The numeric code.
    pub fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::BadRequest => 400,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::HeadersTooLarge => 431,
            Status::VersionNotSupported => 505,
        }
    }

    /// The reason phrase.
    pub fn reason(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::BadRequest => "Bad Request",
            Status::NotFound => "Not Found",
            Status::MethodNotAllowed => "Method Not Allowed",
            Status::HeadersTooLarge => "Request Header Fields Too Large",
            Status::VersionNotSupported => "HTTP Version Not Supported",
        }
    }

    /// Every status, for counters.
    pub const ALL: [Status; 6] = [
        Status::Ok,
        Status::BadRequest,
        Status::NotFound,
        Status::MethodNotAllowed,
        Status::HeadersTooLarge,
        Status::VersionNotSupported,
    ];

    /// Index into [`Status::ALL`].
    pub fn index(self) -> usize {
        Status::ALL.iter().position(|s| *s == self).unwrap_or(0)
    }
}

/// Where the head ends (just past the blank line), accepting bare `\n` line ends too.
fn head_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < buf.len() {
        if buf[i] == b'\n' {
            match buf.get(i + 1) {
                Some(b'\n') => return Some(i + 2),
                Some(b'\r') if buf.get(i + 2) == Some(&b'\n') => return Some(i + 3),
                _ => {}
            }
        }
        i += 1;
    }
    None
}

/// Parses what has arrived of a request. Never panics, whatever the bytes.
pub fn parse(buf: &[u8]) -> Parse<'_> {
    let Some(end) = head_end(buf) else {
        return if buf.len() >= MAX_HEAD {
            Parse::Reject(Status::HeadersTooLarge)
        } else {
            Parse::Partial
        };
    };
    if end > MAX_HEAD {
        return Parse::Reject(Status::HeadersTooLarge);
    }
    let head = &buf[..end];
    let line_end = head.iter().position(|&b| b == b'\n').unwrap_or(head.len());
    let line = head[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&head[..line_end]);
    let Ok(line) = core::str::from_utf8(line) else {
        return Parse::Reject(Status::BadRequest);
    };
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Parse::Reject(Status::BadRequest);
    };
    if !target.starts_with('/') || target.bytes().any(|b| !b.is_ascii_graphic()) {
        return Parse::Reject(Status::BadRequest);
    }
    match version {
        "HTTP/1.0" | "HTTP/1.1" => {}
        v if v.starts_with("HTTP/") => return Parse::Reject(Status::VersionNotSupported),
        _ => return Parse::Reject(Status::BadRequest),
    }
    // Header lines must at least look like `name: value`.
    for h in head[line_end..].split(|&b| b == b'\n').skip(1) {
        let h = h.strip_suffix(b"\r").unwrap_or(h);
        if !h.is_empty() && !h.contains(&b':') {
            return Parse::Reject(Status::BadRequest);
        }
    }
    let head_only = match method {
        "GET" => false,
        "HEAD" => true,
        m if !m.is_empty() && m.bytes().all(|b| b.is_ascii_uppercase()) => {
            return Parse::Reject(Status::MethodNotAllowed);
        }
        _ => return Parse::Reject(Status::BadRequest),
    };
    let path = target.split_once('?').map_or(target, |(p, _)| p);
    Parse::Request(Request { head_only, path })
}

/// A whole response: status line, headers, and the body unless `head_only`.
pub fn response(status: Status, content_type: &str, body: &[u8], head_only: bool) -> Vec<u8> {
    let mut head = alloc::string::String::new();
    let _ = write!(
        head,
        "HTTP/1.1 {} {}\r\nServer: OSp/{}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n",
        status.code(),
        status.reason(),
        env!("CARGO_PKG_VERSION"),
        body.len()
    );
    if status == Status::MethodNotAllowed {
        head.push_str("Allow: GET, HEAD\r\n");
    }
    head.push_str("\r\n");
    let mut out = Vec::with_capacity(head.len() + if head_only { 0 } else { body.len() });
    out.extend_from_slice(head.as_bytes());
    if !head_only {
        out.extend_from_slice(body);
    }
    out
}

/// A short plain-text error response.
pub fn error(status: Status) -> Vec<u8> {
    let body = alloc::format!("{} {}\n", status.code(), status.reason());
    response(status, "text/plain; charset=utf-8", body.as_bytes(), false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_and_rejections() {
        let get = |path| {
            Parse::Request(Request {
                head_only: false,
                path,
            })
        };
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n"), get("/"));
        assert_eq!(
            parse(b"HEAD /metrics?x=1 HTTP/1.0\n\n"),
            Parse::Request(Request {
                head_only: true,
                path: "/metrics"
            })
        );
        assert_eq!(parse(b"GET / HTTP/1.1\r\nHost: a\r\n"), Parse::Partial);
        assert_eq!(parse(b""), Parse::Partial);
        let reject = |s| Parse::Reject(s);
        assert_eq!(parse(b"\r\n\r\n"), reject(Status::BadRequest));
        assert_eq!(
            parse(b"GET  / HTTP/1.1\r\n\r\n"),
            reject(Status::BadRequest)
        );
        assert_eq!(
            parse(b"POST / HTTP/1.1\r\n\r\n"),
            reject(Status::MethodNotAllowed)
        );
        assert_eq!(
            parse(b"GET / HTTP/2.0\r\n\r\n"),
            reject(Status::VersionNotSupported)
        );
        assert_eq!(parse(b"GET / FTP/1.0\r\n\r\n"), reject(Status::BadRequest));
        assert_eq!(parse(b"GET x HTTP/1.0\r\n\r\n"), reject(Status::BadRequest));
        assert_eq!(
            parse(b"GET / HTTP/1.0\r\nnocolon\r\n\r\n"),
            reject(Status::BadRequest)
        );
        assert_eq!(parse(&[b'a'; MAX_HEAD]), reject(Status::HeadersTooLarge));
        let mut big = b"GET / HTTP/1.1\r\n".to_vec();
        big.resize(MAX_HEAD + 10, b'a');
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big), reject(Status::HeadersTooLarge));
    }

    #[test]
    fn head_responses_announce_the_length_without_the_body() {
        let r = response(Status::Ok, "text/plain", b"hi", true);
        assert!(r.ends_with(b"Content-Length: 2\r\nConnection: close\r\n\r\n"));
        assert!(response(Status::Ok, "text/plain", b"hi", false).ends_with(b"\r\n\r\nhi"));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let alphabet = b"GET HEAD/ HTTP/1.01\r\n:\x00\xff?aZ";
        for _ in 0..100_000 {
            let len = (next() % 64) as usize;
            let v: Vec<u8> = (0..len)
                .map(|_| {
                    let s = next();
                    if s & 1 == 0 {
                        alphabet[(s >> 8) as usize % alphabet.len()]
                    } else {
                        (s >> 16) as u8
                    }
                })
                .collect();
            let _ = parse(&v);
            let mut w = b"GET / HTTP/1.1\r\n".to_vec();
            w.extend_from_slice(&v);
            w.extend_from_slice(b"\r\n\r\n");
            let _ = parse(&w);
        }
    }
}
