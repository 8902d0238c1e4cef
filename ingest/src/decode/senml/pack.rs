//! The pack read from JSON: its elements in order, each a record's fields
//! (duplicates kept, to be refused) or what it is instead, and no more than
//! [`MAX_RECORDS`] kept however long the array is.

use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::MAX_RECORDS;

/// The pack as parsed: its elements, or how many there were when too many.
#[derive(Debug)]
pub(super) enum Pack {
    Records(Vec<Element>),
    TooLarge(usize),
}

/// One element of the pack: a record's fields in order, duplicates kept so
/// they can be refused, or what the element is when it is not an object.
#[derive(Debug)]
pub(super) enum Element {
    Record(Vec<(String, Value)>),
    Other(&'static str),
}

impl<'de> de::Deserialize<'de> for Pack {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(PackVisitor)
    }
}

struct PackVisitor;

impl<'de> Visitor<'de> for PackVisitor {
    type Value = Pack;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SenML pack (a JSON array of records)")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pack, A::Error> {
        let mut elements = Vec::new();
        while elements.len() < MAX_RECORDS {
            match seq.next_element()? {
                Some(element) => elements.push(element),
                None => return Ok(Pack::Records(elements)),
            }
        }
        // Count the rest without keeping it, to say how large the pack was.
        let mut records = MAX_RECORDS;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            records += 1;
        }
        Ok(if records == MAX_RECORDS {
            Pack::Records(elements)
        } else {
            Pack::TooLarge(records)
        })
    }
}

impl<'de> de::Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SenML record")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Element, A::Error> {
        let mut entries = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Element::Record(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other("an array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other("a number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Other("a string"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other("null"))
    }
}
