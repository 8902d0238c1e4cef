//! Connections per address: a logger holds one connection, so an address
//! holding many is a misconfigured logger or someone trying to exhaust the
//! listener. Each address may hold at most `cap`; others still connect.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

/// The open connections of every address.
#[derive(Debug)]
pub(crate) struct AddressSlots {
    /// At most this many per address; 0 for no cap.
    cap: usize,
    open: Mutex<HashMap<IpAddr, Holder>>,
}

#[derive(Debug, Default)]
struct Holder {
    open: usize,
    /// A refusal has been logged since the address last fell below its cap.
    logged: bool,
}

/// One connection's hold on its address; released when dropped.
#[derive(Debug)]
pub(crate) struct AddressSlot {
    slots: Arc<AddressSlots>,
    address: IpAddr,
}

/// The address is at its cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Capped {
    /// Whether this is the first refusal since it reached the cap (the one
    /// to log).
    pub(crate) first: bool,
}

impl AddressSlots {
    /// Slots for `cap` connections per address (0: no cap).
    pub(crate) fn new(cap: usize) -> Arc<Self> {
        Arc::new(Self {
            cap,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// The cap.
    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Takes a slot for a connection from `address` (an IPv4 address seen
    /// through an IPv6 socket counts as itself).
    pub(crate) fn take(self: &Arc<Self>, address: IpAddr) -> Result<AddressSlot, Capped> {
        let address = address.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let holder = open.entry(address).or_default();
        if self.cap > 0 && holder.open >= self.cap {
            let first = !holder.logged;
            holder.logged = true;
            return Err(Capped { first });
        }
        holder.open += 1;
        Ok(AddressSlot {
            slots: Arc::clone(self),
            address,
        })
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.slots.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(holder) = open.get_mut(&self.address) {
            holder.open = holder.open.saturating_sub(1);
            holder.logged = false;
            if holder.open == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_address_at_its_cap_is_refused_while_others_connect() {
        let slots = AddressSlots::new(2);
        let a = ip("192.0.2.1");
        let first = slots.take(a).unwrap();
        let _second = slots.take(a).unwrap();
        assert_eq!(slots.take(a).unwrap_err(), Capped { first: true });
        assert_eq!(slots.take(a).unwrap_err(), Capped { first: false });
        let _other = slots.take(ip("192.0.2.2")).unwrap();
        drop(first);
        let _again = slots.take(a).unwrap();
        assert_eq!(
            slots.take(a).unwrap_err(),
            Capped { first: true },
            "a new streak is logged again"
        );
    }

    #[test]
    fn ipv4_through_an_ipv6_socket_is_the_same_address() {
        let slots = AddressSlots::new(1);
        let _held = slots.take(ip("192.0.2.1")).unwrap();
        assert!(slots.take(ip("::ffff:192.0.2.1")).is_err());
    }

    #[test]
    fn released_addresses_are_forgotten_and_zero_means_no_cap() {
        let slots = AddressSlots::new(1);
        drop(slots.take(ip("192.0.2.1")).unwrap());
        assert!(slots.open.lock().unwrap().is_empty());
        let unlimited = AddressSlots::new(0);
        let held: Vec<_> = (0..100)
            .map(|_| unlimited.take(ip("192.0.2.1")).unwrap())
            .collect();
        assert_eq!(held.len(), 100);
    }
}
