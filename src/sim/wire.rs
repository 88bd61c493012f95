//! The framed protocols spoken over turmoil TCP: devices ↔ `im` (the IM long
//! connection) and `im` ↔ `vendors` (the bridge to the mock vendors).
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of
//! postcard, serde's compact binary form. Not JSON: every push crosses the
//! bridge twice and every device message once, and JSON's escaping and
//! parsing of the bodies was a fifth of a push's cost outside the vendor
//! call (callgrind on the bridge bench). Nothing outside the simulation sees
//! these bytes; what is observed is the HTTP the mocks receive.

use crate::vendor::{HttpRequest, HttpResponse};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The largest frame either side accepts; larger ones are a protocol error.
pub const FRAME_BYTES_MAX: usize = 64 << 20;

/// Port of the IM server on host `im`.
pub const IM_PORT: u16 = 7000;
/// Port of the vendor bridge on host `vendors`.
pub const BRIDGE_PORT: u16 = 7100;

/// A message as it travels to a device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WireMsg {
    /// Message id number (`m<id>`).
    pub id: u32,
    /// Sender.
    pub from: String,
    /// Conversation as the server names it (`user:alice`, `group:g1`).
    pub conversation: String,
    /// Text.
    pub text: String,
}

/// Device → server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeviceFrame {
    /// First frame on a connection.
    Login {
        /// `user/device`.
        device: String,
        /// Platform spelling.
        platform: String,
        /// Sync cursor: newest message id the device has.
        last_seen: Option<u32>,
    },
    /// Logout; the server answers `LoggedOut` and the device closes.
    Logout {
        /// Unbind the token (`None` = profile default).
        unbind: Option<bool>,
    },
    /// App state change.
    AppState {
        /// `true` = background.
        background: bool,
        /// doBackground badge.
        badge: Option<u32>,
    },
    /// Upload a token.
    BindToken {
        /// Cert name.
        cert: String,
        /// Token.
        token: String,
    },
    /// Opt out of push.
    Unregister,
}

/// Server → device.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerFrame {
    /// Login accepted.
    LoginOk,
    /// Login refused.
    LoginRejected {
        /// Why.
        reason: String,
    },
    /// Offline messages (answer to a login).
    Sync {
        /// Oldest first.
        msgs: Vec<WireMsg>,
    },
    /// Online delivery.
    Deliver {
        /// The message.
        msg: WireMsg,
    },
    /// Another login took this device's place; the server closes the connection.
    Kicked {
        /// The device that caused it.
        by: String,
    },
    /// Logout done.
    LoggedOut,
    /// A request (bind, unregister, app state) was accepted.
    Ack,
    /// A request was refused.
    Rejected {
        /// RULES.md id.
        rule: String,
        /// Why.
        reason: String,
    },
}

/// `im` → `vendors`: one HTTP exchange to forward to a vendor's mock.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BridgeCall {
    /// Correlation id.
    pub id: u64,
    /// Vendor spelling.
    pub vendor: String,
    /// Calendar time (ms) the mock must use.
    pub now_ms: i64,
    /// The request.
    pub request: HttpRequest,
}

/// `vendors` → `im`: the mock's answer, or why there was none.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BridgeReply {
    /// Correlation id.
    pub id: u64,
    /// Response or transport error text.
    pub response: Result<HttpResponse, String>,
}

/// Writes one frame.
pub async fn write_frame<W: AsyncWrite + Unpin, T: Serialize>(
    w: &mut W,
    value: &T,
) -> std::io::Result<()> {
    write_bytes(w, &encode_frame(value)?).await
}

/// Writes frames already encoded by [`encode_frame`].
pub async fn write_bytes<W: AsyncWrite + Unpin>(w: &mut W, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(bytes).await?;
    w.flush().await
}

/// One frame's bytes: its length, then its value.
pub fn encode_frame<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    // The length goes in front of the bytes postcard appends to.
    let mut buf = postcard::to_extend(value, vec![0u8; 4]).map_err(std::io::Error::other)?;
    let n = u32::try_from(buf.len() - 4).map_err(std::io::Error::other)?;
    buf[..4].copy_from_slice(&n.to_be_bytes());
    Ok(buf)
}

/// Reads one frame; `Ok(None)` on a clean end of stream. Not cancel-safe:
/// dropped halfway, it loses what it has read (see [`FrameBuf`]).
pub async fn read_frame<R: AsyncRead + Unpin, T: DeserializeOwned>(
    r: &mut R,
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = frame_len(len)?;
    let mut body = vec![0u8; n];
    r.read_exact(&mut body).await?;
    decode_body(&body).map(Some)
}

/// A frame's length from its 4-byte prefix, refused over the limit before
/// anything more is read.
fn frame_len(prefix: [u8; 4]) -> std::io::Result<usize> {
    let n = u32::from_be_bytes(prefix) as usize;
    if n > FRAME_BYTES_MAX {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {n} bytes"),
        ));
    }
    Ok(n)
}

/// A frame's value: the whole body, bytes left over are a protocol error.
fn decode_body<T: DeserializeOwned>(body: &[u8]) -> std::io::Result<T> {
    match postcard::take_from_bytes(body) {
        Ok((value, [])) => Ok(value),
        Ok((_, rest)) => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{} bytes after the frame's value", rest.len()),
        )),
        Err(e) => Err(std::io::Error::new(std::io::ErrorKind::InvalidData, e)),
    }
}

/// Frames read through a buffer that keeps what is not yet a whole frame,
/// so that a read dropped at any await loses nothing: a task can wait for
/// a frame inside `select!` next to its other work instead of keeping a
/// second task (and a channel) just to read. A device's connection reads
/// this way (`device_host.rs`).
#[derive(Default)]
pub struct FrameBuf {
    bytes: Vec<u8>,
}

/// What an idle connection's buffer may keep: one large frame (a login's
/// sync) does not pin its size for the rest of the run.
const IDLE_BUF_BYTES: usize = 256;

impl FrameBuf {
    /// The next frame; `Ok(None)` on a clean end of stream. Cancel-safe.
    pub async fn read<R: AsyncRead + Unpin, T: DeserializeOwned>(
        &mut self,
        r: &mut R,
    ) -> std::io::Result<Option<T>> {
        loop {
            if let Some(frame) = self.take()? {
                return Ok(Some(frame));
            }
            // The only await: `read_buf` dropped before it is ready has read nothing.
            if r.read_buf(&mut self.bytes).await? == 0 {
                return if self.bytes.is_empty() {
                    Ok(None)
                } else {
                    Err(std::io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }

    /// Takes a whole frame off the front of the buffer, if one is there.
    fn take<T: DeserializeOwned>(&mut self) -> std::io::Result<Option<T>> {
        let Some(prefix) = self.bytes.first_chunk::<4>() else {
            return Ok(None);
        };
        let end = 4 + frame_len(*prefix)?;
        if self.bytes.len() < end {
            self.bytes.reserve(end - self.bytes.len());
            return Ok(None);
        }
        let value = decode_body(&self.bytes[4..end])?;
        self.bytes.drain(..end);
        if self.bytes.is_empty() && self.bytes.capacity() > IDLE_BUF_BYTES {
            self.bytes = Vec::new();
        }
        Ok(Some(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn round_trip<T: Serialize + DeserializeOwned>(value: &T) -> (T, Vec<u8>) {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, value).await.unwrap();
        let back = read_frame(&mut bytes.as_slice()).await.unwrap().unwrap();
        (back, bytes)
    }

    /// A bridge frame carries a body's bytes as they are, UTF-8 or not
    /// (a garbage fault's answer), behind a length that counts them.
    #[tokio::test]
    async fn bridge_frames_carry_bodies_byte_for_byte() {
        for body in [
            b"{\"a\":\"\\u00e9\"}".to_vec(),
            vec![0xff, 0x00, b'x'],
            Vec::new(),
            vec![0xff; 1000],
            b"\"\\".repeat(500),
        ] {
            let reply = BridgeReply {
                id: 7,
                response: Ok(HttpResponse::new(502, vec![], body.clone())),
            };
            let (back, bytes) = round_trip(&reply).await;
            assert_eq!(back.response.unwrap().body, body);
            let n = u32::from_be_bytes(bytes[..4].try_into().unwrap()) as usize;
            assert_eq!(n, bytes.len() - 4);
            // Raw: a few bytes of framing, not an escaped string (2x for
            // quotes and backslashes) or a list of numbers (up to 4x).
            assert!(
                n <= body.len() + 16,
                "{n} bytes for a {}-byte body",
                body.len()
            );
        }
        let call = BridgeCall {
            id: 1,
            vendor: "fcm".into(),
            now_ms: -5,
            request: HttpRequest::new(
                "POST",
                "/v1/send",
                vec![("A".into(), "b".into())],
                b"{}".to_vec(),
            ),
        };
        let (back, _) = round_trip(&call).await;
        assert_eq!((back.id, back.vendor.as_str(), back.now_ms), (1, "fcm", -5));
        assert_eq!(back.request, call.request);
    }

    /// Bytes after a frame's value are refused, as JSON refused them.
    #[tokio::test]
    async fn trailing_bytes_in_a_frame_are_refused() {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &DeviceFrame::Unregister)
            .await
            .unwrap();
        bytes.push(0);
        let n = u32::from_be_bytes(bytes[..4].try_into().unwrap()) + 1;
        bytes[..4].copy_from_slice(&n.to_be_bytes());
        let err = read_frame::<_, DeviceFrame>(&mut bytes.as_slice())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }

    /// A reader that hands over a stream a few bytes at a time, and is not
    /// ready before each handful.
    struct Trickle<'a> {
        bytes: &'a [u8],
        step: usize,
        ready: bool,
    }

    impl AsyncRead for Trickle<'_> {
        fn poll_read(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
            buf: &mut tokio::io::ReadBuf<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            self.ready = !self.ready;
            if self.ready {
                cx.waker().wake_by_ref();
                return std::task::Poll::Pending;
            }
            let n = self.step.min(self.bytes.len()).min(buf.remaining());
            buf.put_slice(&self.bytes[..n]);
            self.bytes = &self.bytes[n..];
            std::task::Poll::Ready(Ok(()))
        }
    }

    /// A read dropped before its frame is whole loses nothing: the next
    /// read finds the frame (the device reads inside `select!`).
    #[tokio::test]
    async fn a_frame_buffer_loses_nothing_when_a_read_is_dropped() {
        let frames = [
            ServerFrame::LoginOk,
            ServerFrame::Rejected {
                rule: "SDK".into(),
                reason: "x".repeat(300),
            },
            ServerFrame::Ack,
        ];
        let mut bytes = Vec::new();
        for f in &frames {
            write_frame(&mut bytes, f).await.unwrap();
        }
        for step in [1, 3, 7, 64, 1000] {
            let mut r = Trickle {
                bytes: &bytes,
                step,
                ready: false,
            };
            let mut buf = FrameBuf::default();
            let mut got = Vec::new();
            loop {
                // Poll each read once and drop it when it is not ready, as
                // a select! that another branch wins would.
                let once = {
                    let read = buf.read::<_, ServerFrame>(&mut r);
                    futures_util::FutureExt::now_or_never(read)
                };
                match once {
                    Some(Ok(Some(f))) => got.push(f),
                    Some(Ok(None)) => break,
                    Some(Err(e)) => panic!("step {step}: {e}"),
                    None => {}
                }
            }
            assert_eq!(got, frames, "step {step}");
            assert!(buf.bytes.capacity() <= IDLE_BUF_BYTES, "step {step}");
        }
    }

    /// A stream that ends inside a frame is an error, not a clean end.
    #[tokio::test]
    async fn a_frame_buffer_refuses_a_stream_cut_inside_a_frame() {
        let mut bytes = Vec::new();
        write_frame(&mut bytes, &ServerFrame::LoginOk)
            .await
            .unwrap();
        bytes.pop();
        let err = FrameBuf::default()
            .read::<_, ServerFrame>(&mut bytes.as_slice())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    /// A frame longer than the limit is refused before it is read.
    #[tokio::test]
    async fn an_oversized_frame_is_refused() {
        let mut bytes = ((FRAME_BYTES_MAX + 1) as u32).to_be_bytes().to_vec();
        bytes.extend_from_slice(b"xx");
        let err = read_frame::<_, BridgeReply>(&mut bytes.as_slice())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }
}
