//! A TCP proxy between a server under test and PostgreSQL, to cut the
//! database off and bring it back: an outage as the app sees one (refused
//! connections, dropped sockets) without stopping the machine's PostgreSQL,
//! which other tests share.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use tokio::{net::TcpListener, task::JoinHandle};

pub struct TcpProxy {
    pub addr: SocketAddr,
    upstream: SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    acceptor: Option<JoinHandle<()>>,
}

impl TcpProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        // Cut and restored on the same port.
        let listener = TcpListener::bind(("127.0.0.1", super::reusable_port()))
            .await
            .unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = TcpProxy {
            addr,
            upstream,
            tasks: Arc::default(),
            acceptor: None,
        };
        proxy.accept(listener);
        proxy
    }

    fn accept(&mut self, listener: TcpListener) {
        let (upstream, tasks) = (self.upstream, self.tasks.clone());
        self.acceptor = Some(tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                tasks.lock().unwrap().push(task);
            }
        }));
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&mut self) {
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.abort();
        }
        for task in self.tasks.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    /// Accepts connections again on the same address.
    pub async fn restore(&mut self) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(listener) => break listener,
                Err(err) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "{} stays taken: {err}",
                        self.addr
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await
                }
            }
        };
        self.accept(listener);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
    }
}
