//! Serving connections: the accept loop with a cap on open connections, deadlines for clients
//! that send a request header slowly, hold an idle connection open or stop reading a response,
//! and a graceful shutdown that finishes the requests in flight.
//!
//! The deadlines live in a wrapper around each socket that knows whether a request on it is being
//! processed: a connection waiting for a request may idle for `idle_timeout`; once the first byte
//! of a request arrives, its header must be complete within `header_read_timeout`; while a request
//! is processed, reading is not timed (the request timeout bounds the handler), but a response
//! the client does not take for `idle_timeout` ends the connection.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// Bounds on connections, each configurable (`serve --help`).
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// from the first byte of a request until its header is complete
    pub header_read_timeout: Duration,
    /// a connection waiting for a request, or a response the client does not read
    pub idle_timeout: Duration,
    /// connections open at once; further clients wait in the listen backlog
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 1024,
        }
    }
}

/// What the socket wrapper and the request path of one connection share.
struct Activity {
    /// requests being processed: from the call of the router until its response body is dropped
    in_flight: AtomicUsize,
    /// when the connection last became free of requests (accepted, or a response finished)
    idle_since: Mutex<Instant>,
    /// when the first byte of the next request arrived, while its header is being read
    header_started: Mutex<Option<Instant>>,
}

fn lock<T: Copy>(mutex: &Mutex<T>) -> T {
    *mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn set<T>(mutex: &Mutex<T>, value: T) {
    *mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = value;
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_flight: AtomicUsize::new(0),
            idle_since: Mutex::new(Instant::now()),
            header_started: Mutex::new(None),
        }
    }

    fn busy(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) > 0
    }
}

/// Marks a request in flight for as long as it lives; it travels with the response body.
struct InFlight(Arc<Activity>);

impl InFlight {
    fn start(activity: &Arc<Activity>) -> Self {
        activity.in_flight.fetch_add(1, Ordering::AcqRel);
        set(&activity.header_started, None);
        InFlight(activity.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if self.0.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            set(&self.0.idle_since, Instant::now());
        }
    }
}

/// A response body that ends its request's time in flight when it is done (or dropped).
struct TrackedBody {
    body: Body,
    _in_flight: InFlight,
}

impl http_body::Body for TrackedBody {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

/// The socket, with the deadlines of [`ConnectionLimits`].
struct Watched<S> {
    stream: S,
    activity: Arc<Activity>,
    limits: ConnectionLimits,
    read_timer: Pin<Box<Sleep>>,
    write_timer: Pin<Box<Sleep>>,
    write_stalled_since: Option<Instant>,
}

fn timed_out(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, what.to_string())
}

/// Waits on `timer` until `deadline`; Ready once it has passed.
fn expired(timer: &mut Pin<Box<Sleep>>, deadline: Instant, cx: &mut Context<'_>) -> bool {
    if Instant::now() >= deadline {
        return true;
    }
    if timer.deadline() != deadline {
        timer.as_mut().reset(deadline);
    }
    timer.as_mut().poll(cx).is_ready()
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.stream).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before && !self.activity.busy() {
                    let mut started = self
                        .activity
                        .header_started
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    started.get_or_insert_with(Instant::now);
                }
                Poll::Ready(Ok(()))
            }
            Poll::Pending if !self.activity.busy() => {
                let (deadline, what) = match lock(&self.activity.header_started) {
                    Some(started) => (
                        started + self.limits.header_read_timeout,
                        "the request header did not arrive in time",
                    ),
                    None => (
                        lock(&self.activity.idle_since) + self.limits.idle_timeout,
                        "the connection was idle too long",
                    ),
                };
                let limits_hit = {
                    let this = &mut *self;
                    expired(&mut this.read_timer, deadline, cx)
                };
                if limits_hit {
                    Poll::Ready(Err(timed_out(what)))
                } else {
                    Poll::Pending
                }
            }
            other => other,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.stream).poll_write(cx, data) {
            Poll::Pending => {
                let this = &mut *self;
                let since = *this.write_stalled_since.get_or_insert_with(Instant::now);
                if expired(&mut this.write_timer, since + this.limits.idle_timeout, cx) {
                    Poll::Ready(Err(timed_out("the client stopped reading the response")))
                } else {
                    Poll::Pending
                }
            }
            ready => {
                self.write_stalled_since = None;
                ready
            }
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting and waits for the
/// connections' requests in flight to finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let builder = http1::Builder::new();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // out of file descriptors and the like: wait a moment rather than spin
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            stream,
            activity: activity.clone(),
            limits,
            read_timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            write_timer: Box::pin(tokio::time::sleep(Duration::ZERO)),
            write_stalled_since: None,
        });
        let router = app.clone();
        let service =
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let in_flight = InFlight::start(&activity);
                let mut request = request.map(Body::new);
                request
                    .extensions_mut()
                    .insert(ConnectInfo::<SocketAddr>(peer));
                let router = router.clone();
                async move {
                    let response = router.oneshot(request).await?;
                    Ok::<_, std::convert::Infallible>(response.map(|body| TrackedBody {
                        body,
                        _in_flight: in_flight,
                    }))
                }
            });
        let connection = builder.serve_connection(io, service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
