//! The IPVS generic-netlink wire format (`include/uapi/linux/ip_vs.h`),
//! one module per object in the style of netlink-packet-route: each has
//! its attribute numbers, an attribute enum with typed payloads that
//! requests are emitted from, and the one reader of the kernel's replies
//! about that object.
//!
//! Replies are read straight from their bytes, each walked once without
//! allocating: a listing of 10,000 services reads 10,000 service replies
//! and as many destination dumps, and parsing them into attribute trees
//! first (a vector per nest and per stats nest, a generic attribute walk)
//! cost about 7 µs per destination, most of a listing's user time; this
//! costs about 0.3 µs.
//!
//! A reply is trusted for nothing: every length is checked, attributes of
//! kinds this code does not know are skipped, and anything malformed is an
//! [`Error::Malformed`](crate::Error::Malformed), never a panic.

pub(crate) mod daemon;
pub(crate) mod dest;
pub(crate) mod message;
pub(crate) mod read;
pub(crate) mod service;
pub(crate) mod stats;

#[cfg(test)]
mod tests;
