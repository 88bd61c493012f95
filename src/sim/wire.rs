//! The framed protocols spoken over turmoil TCP: devices ↔ `im` (the IM long
//! connection) and `im` ↔ `vendors` (the bridge to the mock vendors).
//!
//! A frame is a 4-byte big-endian length followed by that many bytes of JSON.

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
    /// Liveness ping.
    Heartbeat,
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
    let bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    let mut buf = Vec::with_capacity(bytes.len() + 4);
    buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    buf.extend_from_slice(&bytes);
    w.write_all(&buf).await?;
    w.flush().await
}

/// Reads one frame; `Ok(None)` on a clean end of stream.
pub async fn read_frame<R: AsyncRead + Unpin, T: DeserializeOwned>(
    r: &mut R,
) -> std::io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len).await {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let n = u32::from_be_bytes(len) as usize;
    if n > FRAME_BYTES_MAX {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("frame of {n} bytes"),
        ));
    }
    let mut body = vec![0u8; n];
    r.read_exact(&mut body).await?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}
