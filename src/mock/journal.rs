//! What a mock vendor received: a bounded journal of requests and the answers
//! it gave. It is how a push is observed *at the vendor* — for the reference
//! pipeline and for any other implementation pointed at the mocks (conformance,
//! `pushsim mocks serve`) — and it is read through the control routes
//! (`GET /__pushsim/journal`).
//!
//! Bounded in entries and bytes so a server left running holds its memory
//! flat: the oldest entries go first, and `dropped` says how many went.

use crate::core::time::SimTime;
use crate::vendor::{HttpRequest, HttpResponse};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Arc;

/// At most this many entries are kept.
pub const MAX_ENTRIES: usize = 10_000;
/// At most this many body bytes (requests and answers together) are kept.
pub const MAX_BYTES: usize = 32 << 20;
/// A body is kept up to this many bytes (vendors' payload limits are far below).
pub const BODY_KEEP: usize = 64 << 10;

/// One request a mock answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Position in the mock's history, from 1; survives eviction and clearing.
    pub seq: u64,
    /// The calendar time the mock answered at.
    pub at: SimTime,
    /// The request, its body cut at [`BODY_KEEP`].
    pub request: HttpRequest,
    /// The request body's full length.
    pub request_len: usize,
    /// The answer, its body cut at [`BODY_KEEP`].
    pub response: HttpResponse,
}

impl Entry {
    fn bytes(&self) -> usize {
        self.request.body.len() + self.response.body.len()
    }

    /// The entry as the control route shows it: bodies as text when they are
    /// UTF-8, else base64.
    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "seq": self.seq,
            "at_ms": self.at.0,
            "method": self.request.method,
            "path": self.request.path,
            "headers": self.request.headers,
            "status": self.response.status,
        });
        body_json(&mut v, "body", &self.request.body, self.request_len);
        let len = self.response.body.len();
        body_json(&mut v, "response", &self.response.body, len);
        v
    }
}

fn body_json(v: &mut Value, key: &str, body: &[u8], full_len: usize) {
    use base64::Engine;
    match std::str::from_utf8(body) {
        Ok(text) => v[key] = json!(text),
        Err(_) => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(body);
            v[format!("{key}_base64")] = json!(b64);
        }
    }
    if full_len > body.len() {
        v[format!("{key}_truncated_from")] = json!(full_len);
    }
}

/// The bounded journal of one mock. Entries are shared, not copied, with
/// whoever reads them: a run's observer drains the journal while the run
/// goes on.
#[derive(Debug, Default)]
pub struct Journal {
    entries: VecDeque<Arc<Entry>>,
    bytes: usize,
    next_seq: u64,
    dropped: u64,
}

impl Journal {
    /// Records one answered request.
    pub fn record(&mut self, req: &HttpRequest, resp: &HttpResponse, at: SimTime) {
        let request_len = req.body.len();
        let mut request = req.clone();
        request.body.truncate(BODY_KEEP);
        let mut response = resp.clone();
        response.body.truncate(BODY_KEEP);
        self.next_seq += 1;
        let entry = Entry {
            seq: self.next_seq,
            at,
            request,
            request_len,
            response,
        };
        self.bytes += entry.bytes();
        self.entries.push_back(Arc::new(entry));
        while self.entries.len() > MAX_ENTRIES || self.bytes > MAX_BYTES {
            let Some(old) = self.entries.pop_front() else {
                break;
            };
            self.bytes -= old.bytes();
            self.dropped += 1;
        }
    }

    /// The entries after `since` (a `seq`; 0 for all kept), oldest first.
    pub fn since(&self, since: u64) -> impl Iterator<Item = &Arc<Entry>> {
        let start = self.entries.partition_point(|e| e.seq <= since);
        self.entries.range(start..)
    }

    /// Forgets every entry (sequence numbers go on).
    pub fn clear(&mut self) {
        self.dropped += self.entries.len() as u64;
        self.entries.clear();
        self.bytes = 0;
    }

    /// Entries evicted or cleared so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The `seq` of the newest entry (0 if none yet).
    pub fn last_seq(&self) -> u64 {
        self.next_seq
    }

    /// Entries kept now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(body: Vec<u8>) -> HttpRequest {
        HttpRequest::new("POST", "/send", vec![], body)
    }

    fn ok() -> HttpResponse {
        HttpResponse::new(200, vec![], b"{}".to_vec())
    }

    #[test]
    fn keeps_order_and_reads_since_a_seq() {
        let mut j = Journal::default();
        for i in 0..5 {
            j.record(&req(vec![b'a'; i]), &ok(), SimTime(i as i64));
        }
        let seqs: Vec<u64> = j.since(3).map(|e| e.seq).collect();
        assert_eq!(seqs, [4, 5]);
        assert_eq!(j.since(0).count(), 5);
    }

    #[test]
    fn entries_are_bounded_and_evictions_counted() {
        let mut j = Journal::default();
        for i in 0..(MAX_ENTRIES + 7) {
            j.record(&req(Vec::new()), &ok(), SimTime(i as i64));
        }
        assert_eq!(j.len(), MAX_ENTRIES);
        assert_eq!(j.dropped(), 7);
        assert_eq!(j.since(0).next().map(|e| e.seq), Some(8));
    }

    #[test]
    fn a_huge_body_is_cut_and_bytes_stay_bounded() {
        let mut j = Journal::default();
        for _ in 0..1_000 {
            j.record(&req(vec![b'x'; 1 << 20]), &ok(), SimTime(0));
        }
        let e = j.since(0).next().expect("kept");
        assert_eq!(e.request.body.len(), BODY_KEEP);
        assert_eq!(e.request_len, 1 << 20);
        assert!(j.bytes <= MAX_BYTES);
        let v = e.to_json();
        assert_eq!(v["body_truncated_from"], json!(1 << 20));
    }

    #[test]
    fn a_binary_body_is_shown_as_base64() {
        let mut j = Journal::default();
        j.record(&req(vec![0xff, 0x00]), &ok(), SimTime(0));
        let v = j.since(0).next().unwrap().to_json();
        assert_eq!(v["body_base64"], json!("/wA="));
        assert_eq!(v["response"], json!("{}"));
    }
}
