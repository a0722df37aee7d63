//! A TCP proxy the tests control: it forwards to the server and drops every connection on
//! demand, as a network failure would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    kill: broadcast::Sender<()>,
    target: Arc<Mutex<SocketAddr>>,
}

impl Proxy {
    /// Listens on an ephemeral port and forwards every connection to `target`.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (kill, _) = broadcast::channel(16);
        let kill_tx = kill.clone();
        let target = Arc::new(Mutex::new(target));
        let current = target.clone();
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let mut stop = kill_tx.subscribe();
                let target = *current.lock().unwrap();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = stop.recv() => {}
                    }
                    // Dropping both sockets resets the connection on both sides.
                });
            }
        });
        Proxy { addr, kill, target }
    }

    /// Forwards new connections to `target` from now on (a restarted server's new port).
    pub fn retarget(&self, target: SocketAddr) {
        *self.target.lock().unwrap() = target;
    }

    /// Drops every connection open now.
    pub fn drop_connections(&self) {
        let _ = self.kill.send(());
    }
}
