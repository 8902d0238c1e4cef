//! Adding up across months and sites: item sums, item counts in a stable order, and the shares
//! they give.

use super::records::{ItemCount, ItemSum};
use crate::water::WaterItem;

pub(super) fn add_item_sum(sums: &mut Vec<ItemSum>, add: ItemSum) {
    match sums.iter_mut().find(|s| s.item == add.item) {
        Some(s) => {
            s.sum += add.sum;
            s.samples += add.samples;
        }
        None => sums.push(add),
    }
}

pub(super) fn add_count(counts: &mut Vec<ItemCount>, item: WaterItem, by: u32) {
    match counts.iter_mut().find(|c| c.item == item) {
        Some(c) => c.count += by,
        None => counts.push(ItemCount { item, count: by }),
    }
}

/// Most first; ties in GB 3838 row order.
pub(super) fn sort_counts(counts: &mut [ItemCount]) {
    counts.sort_by(|a, b| b.count.cmp(&a.count).then(a.item.cmp(&b.item)));
}

pub(super) fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

pub(super) fn count<T>(items: impl Iterator<Item = T>) -> u32 {
    u32::try_from(items.count()).unwrap_or(u32::MAX)
}
