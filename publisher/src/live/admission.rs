//! Who may open a live connection: at most so many in all, and so many per
//! address, so one host cannot take every slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refused {
    /// Every slot is taken.
    Full,
    /// This address holds its share.
    PerAddress,
}

/// The live connection limits.
#[derive(Debug)]
pub(crate) struct Admission {
    total: Arc<Semaphore>,
    per_address: usize,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// A live connection's slot, given back when dropped.
#[derive(Debug)]
pub(crate) struct Ticket {
    _permit: OwnedSemaphorePermit,
    address: IpAddr,
    counts: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl Admission {
    pub(crate) fn new(total: usize, per_address: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(total)),
            per_address,
            counts: Arc::default(),
        }
    }

    /// A slot for a client at `address`.
    ///
    /// # Errors
    /// When every slot is taken, or the address holds its share.
    pub(crate) fn admit(&self, address: IpAddr) -> Result<Ticket, Refused> {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let count = counts.entry(address).or_insert(0);
        if *count >= self.per_address {
            return Err(Refused::PerAddress);
        }
        let permit = Arc::clone(&self.total)
            .try_acquire_owned()
            .map_err(|_| Refused::Full)?;
        *count += 1;
        Ok(Ticket {
            _permit: permit,
            address,
            counts: Arc::clone(&self.counts),
        })
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(count) = counts.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_hold_per_address_and_in_all_and_slots_come_back() {
        let admission = Admission::new(3, 2);
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "127.0.0.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refused::PerAddress);
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refused::Full);
        drop(first);
        assert!(admission.admit(a).is_ok());
    }
}
