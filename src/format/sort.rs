//! ipvsadm's listing order: libipvs's comparisons run through glibc's
//! `qsort`.
//!
//! The comparisons subtract unsigned 32-bit values and keep the result in a
//! C `int`, so they wrap: 200.0.0.1 - 10.0.0.1 is negative and 200.0.0.1
//! sorts first. They are not even a consistent order (10.x < 100.x < 200.x
//! < 10.x), so the result depends on the sorting algorithm too: glibc's
//! `qsort` is a top-down merge sort (split at n/2, take the left element
//! when the comparison is <= 0), which is replayed exactly here.

use std::net::IpAddr;

use ipvs::{Destination, Service, ServiceKey, VirtualService};

/// `(int)(a - b)` for unsigned 32-bit `a`, `b` (two's complement wrap).
fn wrapping_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// The address as libipvs holds it (`union nf_inet_addr`, zero-filled), in
/// 32-bit words of host order (`ntohl` of each).
fn words(addr: &IpAddr) -> [u32; 4] {
    match addr {
        IpAddr::V4(a) => [u32::from(*a), 0, 0, 0],
        IpAddr::V6(a) => {
            let o = a.octets();
            std::array::from_fn(|i| {
                u32::from_be_bytes([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]])
            })
        }
    }
}

/// libipvs's address step: all four words (wrapping each) when the first
/// operand is IPv6, else only the first.
fn compare_addr(a: &IpAddr, b: &IpAddr) -> i32 {
    let (wa, wb) = (words(a), words(b));
    let n = if a.is_ipv6() { 4 } else { 1 };
    wa.iter()
        .zip(wb.iter())
        .take(n)
        .map(|(x, y)| wrapping_diff(*x, *y))
        .find(|r| *r != 0)
        .unwrap_or(0)
}

/// libipvs `ipvs_cmp_services`: fwmark (wrapping; 0 for address services,
/// which is why fwmark services usually come last), address family (IPv4
/// first), protocol number, address, port. Returns <0, 0 or >0 like C.
pub fn compare_services(a: &Service, b: &Service) -> i32 {
    let mark = |s: &Service| match s.key {
        ServiceKey::Fwmark { mark, .. } => mark,
        ServiceKey::Addr { .. } => 0,
    };
    let proto = |s: &Service| match s.key {
        ServiceKey::Addr { protocol, .. } => i32::from(protocol.number()),
        ServiceKey::Fwmark { .. } => 0,
    };
    let addr = |s: &Service| match s.key {
        ServiceKey::Addr { addr, .. } => addr,
        ServiceKey::Fwmark { family, .. } => family.unspecified(),
    };
    // All steps are cheap and pure; the first non-zero one decides.
    [
        wrapping_diff(mark(a), mark(b)),
        i32::from(a.key.family().af()) - i32::from(b.key.family().af()),
        proto(a) - proto(b),
        compare_addr(&addr(a), &addr(b)),
        i32::from(a.key.port()) - i32::from(b.key.port()),
    ]
    .into_iter()
    .find(|r| *r != 0)
    .unwrap_or(0)
}

/// libipvs `ipvs_cmp_dests`: address (by the first operand's family), then
/// port.
pub fn compare_destinations(a: &Destination, b: &Destination) -> i32 {
    match compare_addr(&a.addr, &b.addr) {
        0 => i32::from(a.port) - i32::from(b.port),
        r => r,
    }
}

/// Sorts services into ipvsadm's listing order.
pub fn sort_services(services: &mut [Service]) {
    let order = qsort_order(services, compare_services);
    permute(services, &order);
}

/// Sorts a table's services into ipvsadm's listing order.
pub fn sort_table(table: &mut [VirtualService]) {
    let order = qsort_order(table, |a, b| compare_services(&a.service, &b.service));
    permute(table, &order);
}

/// Sorts destinations into ipvsadm's listing order.
pub fn sort_destinations(dests: &mut [Destination]) {
    let order = qsort_order(dests, compare_destinations);
    permute(dests, &order);
}

/// The positions of `items` in the order glibc's `qsort` leaves them with
/// the C-style comparison `cmp`.
pub(crate) fn qsort_order<T>(items: &[T], cmp: impl Fn(&T, &T) -> i32) -> Vec<usize> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    let mut tmp = vec![0; items.len()];
    merge_sort(&mut order, &mut tmp, &|x, y| cmp(&items[x], &items[y]));
    order
}

/// glibc's `msort_with_tmp`: sort both halves (the first has n/2
/// elements), then merge, taking from the left while `cmp(left, right) <=
/// 0`; the left remainder is appended, the right one is already in place.
fn merge_sort(b: &mut [usize], tmp: &mut [usize], cmp: &dyn Fn(usize, usize) -> i32) {
    let n = b.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    {
        let (left, right) = b.split_at_mut(n1);
        merge_sort(left, tmp, cmp);
        merge_sort(right, tmp, cmp);
    }
    let (mut i, mut j, mut k) = (0, n1, 0);
    while i < n1 && j < n {
        if cmp(b[i], b[j]) <= 0 {
            tmp[k] = b[i];
            i += 1;
        } else {
            tmp[k] = b[j];
            j += 1;
        }
        k += 1;
    }
    while i < n1 {
        tmp[k] = b[i];
        i += 1;
        k += 1;
    }
    b[..k].copy_from_slice(&tmp[..k]);
}

/// Rearranges `v` so that its i-th element is the old `v[order[i]]`
/// (`order` a permutation of `0..v.len()`), by following cycles.
fn permute<T>(v: &mut [T], order: &[usize]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        let mut cur = start;
        while !done[cur] {
            done[cur] = true;
            let next = order[cur];
            if next == start {
                break;
            }
            v.swap(cur, next);
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::oracle::c_qsort_order;
    use super::*;
    use ipvs::{Family, Protocol};
    use std::net::Ipv4Addr;

    fn tcp(addr: &str, port: u16) -> Service {
        Service::new(ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: addr.parse().unwrap(),
            port,
        })
    }

    fn fwm(mark: u32, family: Family) -> Service {
        Service::new(ServiceKey::Fwmark { mark, family })
    }

    fn dest(addr: &str, port: u16) -> Destination {
        Destination::new(addr.parse().unwrap(), port)
    }

    fn keys(s: &[Service]) -> Vec<ServiceKey> {
        s.iter().map(|s| s.key).collect()
    }

    #[test]
    fn wrap_around_address_order() {
        // 200.0.0.1 - 10.0.0.1 = 0xBE000000, negative as an int.
        let mut v = vec![tcp("10.0.0.1", 80), tcp("200.0.0.1", 80)];
        sort_services(&mut v);
        assert_eq!(keys(&v), keys(&[tcp("200.0.0.1", 80), tcp("10.0.0.1", 80)]));
        let mut d = vec![dest("10.0.0.1", 80), dest("200.0.0.1", 80)];
        sort_destinations(&mut d);
        assert_eq!(d[0].addr, "200.0.0.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn services_by_family_protocol_address_port_fwmark_last() {
        let udp = Service::new(ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "192.0.2.1".parse().unwrap(),
            port: 53,
        });
        let mut v = vec![
            fwm(5, Family::Inet),
            tcp("2001:db8::1", 80),
            udp.clone(),
            tcp("192.0.2.1", 443),
            fwm(5, Family::Inet6),
            tcp("192.0.2.1", 80),
            fwm(1, Family::Inet),
        ];
        sort_services(&mut v);
        let want = [
            tcp("192.0.2.1", 80),
            tcp("192.0.2.1", 443),
            udp,
            tcp("2001:db8::1", 80),
            fwm(1, Family::Inet),
            fwm(5, Family::Inet),
            fwm(5, Family::Inet6),
        ];
        assert_eq!(keys(&v), keys(&want));
    }

    #[test]
    fn fwmark_above_2_31_wraps_before_address_services() {
        // mark - 0 = 0x80000001 is negative as an int.
        let mut v = vec![tcp("192.0.2.1", 80), fwm(0x8000_0001, Family::Inet)];
        sort_services(&mut v);
        assert_eq!(v[0].key, fwm(0x8000_0001, Family::Inet).key);
    }

    #[test]
    fn ipv6_compares_word_by_word_with_wrap() {
        // First words 0x20010db8 - 0xfd000000 is positive: fd00:: first.
        let mut d = vec![dest("2001:db8::1", 80), dest("fd00::1", 80)];
        sort_destinations(&mut d);
        assert_eq!(d[0].addr, "fd00::1".parse::<IpAddr>().unwrap());
        // Last words: 1 - 0xc0000001 = 0x40000000, positive.
        let mut d = vec![dest("2001:db8::1", 80), dest("2001:db8::c000:1", 80)];
        sort_destinations(&mut d);
        assert_eq!(d[0].addr, "2001:db8::c000:1".parse::<IpAddr>().unwrap());
        // Same address: by port, without wrap (16-bit values promoted).
        let mut d = vec![dest("2001:db8::1", 65535), dest("2001:db8::1", 1)];
        sort_destinations(&mut d);
        assert_eq!(d[0].port, 1);
    }

    #[test]
    fn mixed_family_destinations_compare_by_first_operand() {
        // IPv4 first operand compares one word: 192.0.2.1 vs 0x20010db8.
        let v4 = dest("192.0.2.1", 80);
        let v6 = dest("2001:db8::1", 80);
        assert_eq!(
            compare_destinations(&v4, &v6),
            wrapping_diff(0xc000_0201, 0x2001_0db8)
        );
        // IPv6 first operand compares four words against [addr, 0, 0, 0].
        assert_eq!(
            compare_destinations(&v6, &v4),
            wrapping_diff(0x2001_0db8, 0xc000_0201)
        );
        let v4b = dest("32.1.13.184", 80); // 0x20010db8: first words equal
        assert_eq!(compare_destinations(&v4b, &v6), 0);
        assert_eq!(compare_destinations(&v6, &v4b), 1);
    }

    /// Random inputs whose comparison is not a consistent order: our order
    /// must be glibc qsort's, element for element.
    #[test]
    fn same_order_as_glibc_qsort() {
        let mut seed: u64 = 0x1234_5678_9abc_def1;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Rounds whose result is not ordered pairwise: the comparison's
        // inconsistency is really exercised.
        let mut inconsistent_rounds = 0;
        for round in 0..300 {
            let n = (rnd() % 70) as usize + round % 3;
            let dests: Vec<Destination> = (0..n)
                .map(|_| {
                    let r = rnd();
                    let a = Ipv4Addr::from((r >> 8) as u32 & 0xff00_0003);
                    Destination::new(IpAddr::V4(a), (r % 3) as u16)
                })
                .collect();
            let ours = qsort_order(&dests, compare_destinations);
            let copy = dests.clone();
            let theirs = c_qsort_order(n, move |x, y| compare_destinations(&copy[x], &copy[y]));
            assert_eq!(ours, theirs, "round {round}");
            let inconsistent = ours.iter().enumerate().any(|(i, &x)| {
                ours[i + 1..]
                    .iter()
                    .any(|&y| compare_destinations(&dests[x], &dests[y]) > 0)
            });
            inconsistent_rounds += usize::from(inconsistent);

            let mut sorted = dests.clone();
            sort_destinations(&mut sorted);
            let by_order: Vec<Destination> = ours.iter().map(|&i| dests[i].clone()).collect();
            assert_eq!(sorted, by_order);
        }
        assert!(inconsistent_rounds > 100, "{inconsistent_rounds}");
    }

    #[test]
    fn permute_applies_any_permutation() {
        let order = [3, 0, 4, 1, 2];
        let mut v = vec!['a', 'b', 'c', 'd', 'e'];
        permute(&mut v, &order);
        assert_eq!(v, vec!['d', 'a', 'e', 'b', 'c']);
        let mut empty: Vec<u8> = vec![];
        permute(&mut empty, &[]);
    }

    /// A listing of tens of thousands of services must not sort in
    /// quadratic time: a merge sort compares at most n * ceil(log2 n)
    /// times, whatever the (inconsistent) comparison answers.
    #[test]
    fn sorting_is_n_log_n() {
        use std::cell::Cell;
        let n = 20_000usize;
        let bound = n * (usize::BITS - (n - 1).leading_zeros()) as usize;
        let services: Vec<Service> = (0..n as u32)
            .map(|i| {
                // Addresses that wrap around in the comparison.
                let a = Ipv4Addr::from(i.wrapping_mul(0x9e37_79b9));
                tcp(&a.to_string(), (i % 7) as u16)
            })
            .collect();
        let calls = Cell::new(0usize);
        let order = qsort_order(&services, |a, b| {
            calls.set(calls.get() + 1);
            compare_services(a, b)
        });
        assert!(calls.get() <= bound, "{} comparisons for {n}", calls.get());
        let mut seen = order.clone();
        seen.sort_unstable();
        assert_eq!(seen, (0..n).collect::<Vec<_>>());
    }
}
