//! The accept loop: hyper's HTTP/1 server around a router, with the deadlines that keep
//! slow or silent clients from holding connections, the client's socket address for
//! handlers (`ConnectInfo`), protocol upgrades, and a graceful shutdown that answers the
//! requests in flight and those arriving on open connections for a moment (each with
//! `Connection: close`), within the drain timeout. What a request may ask for is decided
//! by the router, not here.
//!
//! A connection has three deadlines: its first request's head must arrive within the
//! header-read timeout of the connection's start, and a later one's within that timeout of
//! its first byte; a body within the body-read timeout of the end of its head (or the
//! request fails with 408); and a kept-alive connection may wait for its next request for
//! the idle timeout. hyper's own `header_read_timeout` runs from the end of one response to
//! the end of the next head, so it counts the idle wait as header time and would close
//! kept-alive connections after the (short) header timeout; the connection's [`Watch`] keeps
//! the two apart instead.

use std::convert::Infallible;
use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, StatusCode, header};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Once the server stops, how long a kept-alive connection still serves the requests that
/// come on it (each answered with `Connection: close`) before it closes.
const LAME_DUCK: Duration = Duration::from_secs(1);

/// How long a client may take at each stage of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    /// To send a request's head.
    pub header_read: Duration,
    /// To send a request's body, from the end of its head.
    pub body_read: Duration,
    /// To start the next request on a kept-alive connection.
    pub idle: Duration,
    /// Once told to stop, for the requests in flight to finish.
    pub drain: Duration,
}

/// Serves `router` on `listener` until `stop` turns true (or its sender is gone), then
/// waits for the connections to finish the requests they have started, for up to
/// `deadlines.drain`: past it, the connections still busy with a request are dropped with
/// the process. Upgraded connections (subscriptions) live in tasks of their own and end
/// with the process.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    deadlines: Deadlines,
    mut stop: watch::Receiver<bool>,
) {
    // Every connection holds a receiver; `closed` resolves once the last one is dropped.
    let (finished, connections) = watch::channel(());
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        match accepted {
            Ok((stream, peer)) => {
                tokio::spawn(connection(
                    stream,
                    peer,
                    router.clone(),
                    deadlines,
                    stop.clone(),
                    connections.clone(),
                ));
            }
            Err(error) => refused(error).await,
        }
    }
    drop(listener);
    drop(connections);
    if tokio::time::timeout(deadlines.drain, finished.closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = finished.receiver_count(),
            "connections still open after the drain timeout; closing them"
        );
    }
}

/// A failed `accept`: a connection that went away before it was accepted is nobody's
/// concern; anything else (out of file descriptors) is logged, then the loop pauses so as
/// not to spin on it.
async fn refused(error: io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    router: Router,
    deadlines: Deadlines,
    mut stop: watch::Receiver<bool>,
    _open: watch::Receiver<()>,
) {
    let watch = Arc::new(Watch::new(deadlines));
    // Set once the server stops: every answer from then on closes its connection.
    let closing = Arc::new(AtomicBool::new(false));
    let io = TokioIo::new(Watched {
        stream,
        watch: watch.clone(),
    });
    let service = {
        let watch = watch.clone();
        let closing = closing.clone();
        hyper::service::service_fn(move |request: Request<Incoming>| {
            let watch = watch.clone();
            let closing = closing.clone();
            let router = router.clone();
            async move {
                watch.request_started();
                let mut request = request.map(|body| {
                    if hyper::body::Body::is_end_stream(&body) {
                        Body::new(body)
                    } else {
                        Body::new(DeadlineBody::new(body, deadlines.body_read))
                    }
                });
                request.extensions_mut().insert(ConnectInfo(peer));
                let mut response = match router.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                if response.status() == StatusCode::SWITCHING_PROTOCOLS {
                    watch.upgraded();
                } else if closing.load(Ordering::Relaxed) {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                Ok::<_, Infallible>(response.map(|body| Answer { body, watch }))
            }
        })
    };
    let mut connection = pin!(
        hyper::server::conn::http1::Builder::new()
            // The connection's watch keeps the head's deadline (see the module's doc).
            .header_read_timeout(None)
            .serve_connection(io, service)
            .with_upgrades()
    );
    let mut stopping = false;
    let mut closed = false;
    let lame_duck = tokio::time::sleep(Duration::MAX);
    let mut lame_duck = pin!(lame_duck);
    loop {
        tokio::select! {
            served = connection.as_mut() => {
                if let Err(error) = served {
                    tracing::debug!(%peer, %error, "connection ended with an error");
                }
                break;
            }
            () = watch.expired() => {
                // Dropping the connection closes its socket.
                tracing::debug!(%peer, stage = watch.stage(), "connection closed: the client took too long");
                break;
            }
            _ = stop.wait_for(|stop| *stop), if !stopping => {
                // A client may be sending a request on this connection right now: closing
                // it at once would cut that request. For a moment, requests are still
                // served, each answered with `Connection: close`; then the connection
                // closes as soon as it is idle.
                stopping = true;
                closing.store(true, Ordering::Relaxed);
                lame_duck.as_mut().reset(Instant::now() + LAME_DUCK);
            }
            () = lame_duck.as_mut(), if stopping && !closed => {
                closed = true;
                connection.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Where a connection stands and until when it may stay there.
#[derive(Debug, Clone, Copy)]
enum Stage {
    /// Receiving a request's head, which must be complete by `until`.
    Head { until: Instant },
    /// A request is being handled; its body has a deadline of its own.
    Busy,
    /// Kept alive after a response, until `until` unless a new request starts.
    Idle { until: Instant },
    /// Switched to another protocol (WebSocket), which keeps its own time.
    Upgraded,
}

/// The stage of one connection, moved on by its socket (bytes arrive), its service (a
/// request starts, a response is sent) and watched by its task.
struct Watch {
    deadlines: Deadlines,
    stage: Mutex<Stage>,
    changed: Notify,
}

impl Watch {
    fn new(deadlines: Deadlines) -> Self {
        Self {
            deadlines,
            stage: Mutex::new(Stage::Head {
                until: Instant::now() + deadlines.header_read,
            }),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Stage> {
        match self.stage.lock() {
            Ok(stage) => stage,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Moves to a stage without a deadline. The watcher is not woken: the deadline it sleeps
    /// towards, if any, finds nothing to enforce when it comes.
    fn set(&self, stage: Stage) {
        *self.lock() = stage;
    }

    /// Bytes came in: on an idle connection, they begin the next request's head.
    fn bytes_arrived(&self) {
        let mut stage = self.lock();
        if let Stage::Idle { .. } = *stage {
            *stage = Stage::Head {
                until: Instant::now() + self.deadlines.header_read,
            };
            drop(stage);
            self.changed.notify_one();
        }
    }

    /// A request's head is complete and handed to the router.
    fn request_started(&self) {
        self.set(Stage::Busy);
    }

    /// The response is written (or abandoned): the connection waits for the next request.
    fn response_sent(&self) {
        let mut stage = self.lock();
        if let Stage::Busy = *stage {
            *stage = Stage::Idle {
                until: Instant::now() + self.deadlines.idle,
            };
            drop(stage);
            self.changed.notify_one();
        }
    }

    fn upgraded(&self) {
        self.set(Stage::Upgraded);
    }

    fn deadline(&self) -> Option<Instant> {
        match *self.lock() {
            Stage::Head { until } | Stage::Idle { until } => Some(until),
            Stage::Busy | Stage::Upgraded => None,
        }
    }

    fn stage(&self) -> &'static str {
        match *self.lock() {
            Stage::Head { .. } => "head",
            Stage::Busy => "busy",
            Stage::Idle { .. } => "idle",
            Stage::Upgraded => "upgraded",
        }
    }

    /// Resolves when the connection has stayed in its stage past the stage's deadline.
    async fn expired(&self) {
        loop {
            let changed = self.changed.notified();
            match self.deadline() {
                None => changed.await,
                Some(until) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(until) => {
                            if self.deadline().is_some_and(|until| until <= Instant::now()) {
                                return;
                            }
                        }
                        () = changed => {}
                    }
                }
            }
        }
    }
}

/// The client's socket, telling the connection's [`Watch`] when bytes arrive.
struct Watched {
    stream: TcpStream,
    watch: Arc<Watch>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.watch.bytes_arrived();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A response body that tells the connection's [`Watch`] when hyper is done with it.
struct Answer {
    body: Body,
    watch: Arc<Watch>,
}

impl Drop for Answer {
    fn drop(&mut self) {
        self.watch.response_sent();
    }
}

impl http_body::Body for Answer {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body that fails with [`BodyReadTimeout`] unless it has arrived whole by its
/// deadline, however steadily it trickles in.
struct DeadlineBody {
    body: Incoming,
    deadline: Pin<Box<Sleep>>,
    limit: Duration,
}

impl DeadlineBody {
    fn new(body: Incoming, limit: Duration) -> Self {
        Self {
            body,
            deadline: Box::pin(tokio::time::sleep(limit)),
            limit,
        }
    }
}

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn StdError + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.body).poll_frame(cx) {
            return Poll::Ready(frame.map(|frame| frame.map_err(Into::into)));
        }
        ready!(self.deadline.as_mut().poll(cx));
        Poll::Ready(Some(Err(Box::new(BodyReadTimeout(self.limit)))))
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// A request body did not arrive whole within the body-read timeout.
#[derive(Debug)]
pub(crate) struct BodyReadTimeout(Duration);

impl fmt::Display for BodyReadTimeout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the request body did not arrive within {} s",
            self.0.as_secs_f64()
        )
    }
}

impl StdError for BodyReadTimeout {}

/// The body-read timeout behind an error of reading a request body, if that is its cause.
pub(crate) fn body_read_timeout<'a>(
    error: &'a (dyn StdError + 'static),
) -> Option<&'a BodyReadTimeout> {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if let Some(timeout) = error.downcast_ref::<BodyReadTimeout>() {
            return Some(timeout);
        }
        cause = error.source();
    }
    None
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests fail loudly")]

    use std::io::{Read, Write};

    use axum::extract::ws::WebSocketUpgrade;
    use axum::response::Response;
    use axum::routing::get;

    use super::*;

    async fn echo(upgrade: WebSocketUpgrade) -> Response {
        upgrade.on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.recv().await {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_websocket_outlives_the_connection_deadlines() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let deadlines = Deadlines {
            header_read: Duration::from_millis(200),
            body_read: Duration::from_millis(200),
            idle: Duration::from_millis(200),
            drain: Duration::from_secs(5),
        };
        let (stop, stopped) = watch::channel(false);
        let router = Router::new().route("/echo", get(echo));
        let server = tokio::spawn(serve(listener, router, deadlines, stopped));
        let echoed = tokio::task::spawn_blocking(move || {
            let mut stream = std::net::TcpStream::connect(address).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            stream
                .write_all(
                    b"GET /echo HTTP/1.1\r\nHost: capitole\r\nUpgrade: websocket\r\n\
                      Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\
                      Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
                )
                .unwrap();
            let mut head = Vec::new();
            let mut byte = [0];
            while !head.ends_with(b"\r\n\r\n") {
                stream.read_exact(&mut byte).unwrap();
                head.push(byte[0]);
            }
            assert!(head.starts_with(b"HTTP/1.1 101 "));
            // Quiet for longer than every deadline of a plain HTTP connection.
            std::thread::sleep(Duration::from_millis(600));
            // A masked text frame, "hi", as clients send them.
            let mask = [1, 2, 3, 4];
            let mut frame = vec![0x81, 0x80 | 2];
            frame.extend_from_slice(&mask);
            frame.extend(b"hi".iter().zip(mask).map(|(b, m)| b ^ m));
            stream.write_all(&frame).unwrap();
            let mut answer = [0; 4];
            stream.read_exact(&mut answer).unwrap();
            answer
        })
        .await
        .unwrap();
        assert_eq!(&echoed, &[0x81, 2, b'h', b'i']);
        stop.send(true).unwrap();
        server.await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_request_still_running_at_shutdown_holds_the_server_no_longer_than_the_drain_timeout()
    {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let deadlines = Deadlines {
            header_read: Duration::from_secs(30),
            body_read: Duration::from_secs(30),
            idle: Duration::from_secs(30),
            drain: Duration::from_millis(300),
        };
        let (stop, stopped) = watch::channel(false);
        let (started, mut running) = watch::channel(false);
        let router = Router::new().route(
            "/slow",
            get(move || async move {
                let _ = started.send(true);
                tokio::time::sleep(Duration::from_secs(60)).await;
                "done"
            }),
        );
        let server = tokio::spawn(serve(listener, router, deadlines, stopped));
        let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(
            &mut stream,
            b"GET /slow HTTP/1.1\r\nHost: capitole\r\n\r\n",
        )
        .await
        .unwrap();
        running.wait_for(|running| *running).await.unwrap();
        let asked = std::time::Instant::now();
        stop.send(true).unwrap();
        tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .expect("the server stops once the drain timeout has passed")
            .unwrap();
        let took = asked.elapsed();
        assert!(took >= Duration::from_millis(300), "{took:?}");
        drop(stream);
    }
}
