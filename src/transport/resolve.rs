//! DNS for the hyper client: the system resolver, with the addresses
//! shuffled when `randomize_addresses` is on, so that many clients spread
//! over the addresses of a name (S3 answers with several) instead of all
//! using the first one; names in `ClientOptions::resolve` never reach DNS.

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};

use hyper_util::client::legacy::connect::dns::{GaiResolver, Name};

use crate::retry::XorShift;

/// The resolver of [`HyperClient`](super::HyperClient).
#[derive(Clone, Debug)]
pub(crate) struct Resolver {
    system: GaiResolver,
    /// The shuffle's state, advanced on every lookup; `None` keeps DNS order.
    shuffle: Option<Arc<AtomicU64>>,
    /// Fixed answers, by host name (`ClientOptions::resolve`).
    fixed: Arc<[(String, IpAddr)]>,
}

impl Resolver {
    /// The system resolver; `randomize` shuffles each answer; names in
    /// `fixed` get their address without a lookup.
    pub(crate) fn new(randomize: bool, fixed: Vec<(String, IpAddr)>) -> Self {
        Resolver {
            system: GaiResolver::new(),
            shuffle: randomize.then(|| Arc::new(AtomicU64::new(XorShift::seed()))),
            fixed: fixed.into(),
        }
    }

    /// The fixed addresses of `host`, port 0 (the connector puts the URL's).
    fn fixed(&self, host: &str) -> Option<Vec<SocketAddr>> {
        let addrs: Vec<SocketAddr> = self
            .fixed
            .iter()
            .filter(|(name, _)| name.eq_ignore_ascii_case(host))
            .map(|(_, ip)| SocketAddr::new(*ip, 0))
            .collect();
        (!addrs.is_empty()).then_some(addrs)
    }
}

impl tower_service::Service<Name> for Resolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = io::Error;
    type Future = Pin<Box<dyn Future<Output = io::Result<Self::Response>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.system.poll_ready(cx)
    }

    fn call(&mut self, name: Name) -> Self::Future {
        if let Some(addrs) = self.fixed(name.as_str()) {
            return Box::pin(async move { Ok(addrs.into_iter()) });
        }
        let lookup = self.system.call(name);
        let seed = self
            .shuffle
            .as_ref()
            .map(|state| state.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed));
        Box::pin(async move {
            let mut addrs: Vec<SocketAddr> = lookup.await?.collect();
            if let Some(seed) = seed {
                shuffle(&mut addrs, seed);
            }
            Ok(addrs.into_iter())
        })
    }
}

/// Fisher-Yates shuffle of `addrs` driven by `seed`.
fn shuffle(addrs: &mut [SocketAddr], seed: u64) {
    let mut rng = XorShift::new(seed);
    for i in (1..addrs.len()).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        addrs.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(n: u16) -> Vec<SocketAddr> {
        (0..n)
            .map(|p| SocketAddr::from(([127, 0, 0, 1], 1000 + p)))
            .collect()
    }

    #[test]
    fn shuffle_keeps_every_address_and_varies_the_order() {
        let firsts: std::collections::BTreeSet<SocketAddr> = (0..64u64)
            .map(|seed| {
                let mut a = addrs(8);
                shuffle(&mut a, seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let mut sorted = a.clone();
                sorted.sort();
                assert_eq!(sorted, addrs(8));
                a[0]
            })
            .collect();
        assert!(firsts.len() >= 4, "first addresses seen: {firsts:?}");
    }

    #[tokio::test]
    async fn lookups_resolve_with_and_without_shuffling() {
        use tower_service::Service;
        for randomize in [false, true] {
            let mut r = Resolver::new(randomize, Vec::new());
            std::future::poll_fn(|cx| r.poll_ready(cx))
                .await
                .unwrap_or_else(|e| panic!("{e}"));
            let name: Name = "localhost".parse().unwrap_or_else(|e| panic!("{e}"));
            let found: Vec<SocketAddr> = r
                .call(name)
                .await
                .unwrap_or_else(|e| panic!("{e}"))
                .collect();
            assert!(found.iter().any(|a| a.ip().is_loopback()), "{found:?}");
        }
    }

    #[tokio::test]
    async fn fixed_names_never_reach_dns() {
        use tower_service::Service;
        let ip: IpAddr = [127, 0, 0, 7].into();
        // `.invalid` never resolves (RFC 6761): only the fixed answer can.
        let mut r = Resolver::new(false, vec![("Photos.S3.Example.invalid".into(), ip)]);
        let name: Name = "photos.s3.example.invalid"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        let found: Vec<SocketAddr> = r
            .call(name)
            .await
            .unwrap_or_else(|e| panic!("{e}"))
            .collect();
        assert_eq!(found, vec![SocketAddr::new(ip, 0)]);
        let other: Name = "other.example.invalid"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(r.call(other).await.is_err(), "an unlisted name goes to DNS");
    }
}
