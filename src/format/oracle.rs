//! Test oracles: the C library ipvsadm runs on, called directly.
//!
//! ipvsadm's output is glibc's `printf` applied to ipvsadm's format strings,
//! its numeric addresses are glibc's `inet_ntop`, its sort orders glibc's
//! `qsort`. Tests here compare our Rust renderings against those very
//! functions (with the format strings copied from ipvsadm.c), so an expected
//! string is never typed in by hand. No ipvsadm code runs.
//!
//! Test-only; this is the only place besides `resolve.rs` with `unsafe`.

use std::cell::RefCell;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::net::Ipv6Addr;

use nix::libc;

/// A Rust value turned into something that can be passed to a C variadic
/// function, kept alive for the call.
pub(crate) trait Hold {
    type Held: CArg;
    fn hold(self) -> Self::Held;
}

/// The raw C argument of a held value.
pub(crate) trait CArg {
    type Raw;
    fn raw(&self) -> Self::Raw;
}

impl CArg for CString {
    type Raw = *const c_char;
    fn raw(&self) -> *const c_char {
        self.as_ptr()
    }
}

macro_rules! plain_arg {
    ($($t:ty),*) => {$(
        impl CArg for $t {
            type Raw = $t;
            fn raw(&self) -> $t {
                *self
            }
        }
        impl Hold for $t {
            type Held = $t;
            fn hold(self) -> $t {
                self
            }
        }
    )*};
}
plain_arg!(i32, u32, u64);

impl Hold for &str {
    type Held = CString;
    fn hold(self) -> CString {
        CString::new(self).expect("no NUL in test strings")
    }
}

impl Hold for &[u8] {
    type Held = CString;
    fn hold(self) -> CString {
        CString::new(self).expect("no NUL in test strings")
    }
}

impl Hold for &Vec<u8> {
    type Held = CString;
    fn hold(self) -> CString {
        CString::new(self.as_slice()).expect("no NUL in test strings")
    }
}

impl Hold for &String {
    type Held = CString;
    fn hold(self) -> CString {
        CString::new(self.as_str()).expect("no NUL in test strings")
    }
}

/// `cfmt!(format, args...)`: the bytes glibc's `snprintf` produces. Integer
/// arguments must have the C type the conversion expects: `i32` for `%d`,
/// `u32` for `%u`, `u64` for `%llu`; strings are `&str`/`&[u8]`.
macro_rules! cfmt {
    (@bind $fmt:expr; [$($raw:expr),*]; ) => {{
        let fmt = std::ffi::CString::new($fmt).expect("format");
        let mut buf = vec![0u8; 8192];
        // SAFETY: the buffer is writable for its length, the format is
        // NUL-terminated, and each argument has the type its conversion
        // expects (see the macro's doc); strings outlive the call.
        let n = unsafe {
            nix::libc::snprintf(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr() $(, $raw)*)
        };
        assert!(n >= 0 && (n as usize) < buf.len(), "snprintf failed");
        buf.truncate(n as usize);
        buf
    }};
    (@bind $fmt:expr; [$($raw:expr),*]; $head:expr $(, $rest:expr)*) => {{
        let held = $crate::format::oracle::Hold::hold($head);
        $crate::format::oracle::cfmt!(
            @bind $fmt; [$($raw,)* $crate::format::oracle::CArg::raw(&held)]; $($rest),*)
    }};
    ($fmt:expr $(, $arg:expr)* $(,)?) => {
        $crate::format::oracle::cfmt!(@bind $fmt; []; $($arg),*)
    };
}
pub(crate) use cfmt;

extern "C" {
    fn inet_ntop(af: c_int, src: *const c_void, dst: *mut c_char, size: u32) -> *const c_char;
}

/// glibc's `inet_ntop(AF_INET6, ...)`.
pub(crate) fn c_inet_ntop6(a: &Ipv6Addr) -> String {
    let octets = a.octets();
    let mut buf = [0 as c_char; 64];
    // SAFETY: src points to 16 readable bytes, dst to 64 writable ones.
    let p = unsafe {
        inet_ntop(
            libc::AF_INET6,
            octets.as_ptr().cast(),
            buf.as_mut_ptr(),
            buf.len() as u32,
        )
    };
    assert!(!p.is_null());
    // SAFETY: inet_ntop NUL-terminated the buffer on success.
    unsafe { CStr::from_ptr(buf.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}

type IndexCmp = Box<dyn Fn(usize, usize) -> i32>;

thread_local! {
    static QSORT_CMP: RefCell<Option<IndexCmp>> = RefCell::new(None);
}

extern "C" fn qsort_thunk(a: *const c_void, b: *const c_void) -> c_int {
    // SAFETY: qsort hands us pointers into the usize array being sorted.
    let (a, b) = unsafe { (*(a as *const usize), *(b as *const usize)) };
    QSORT_CMP.with(|c| (c.borrow().as_ref().expect("comparator set"))(a, b))
}

/// The order in which glibc's `qsort` puts `n` items compared by `cmp`
/// (a C-style comparison returning <0, 0, >0).
pub(crate) fn c_qsort_order(n: usize, cmp: impl Fn(usize, usize) -> i32 + 'static) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    QSORT_CMP.with(|c| *c.borrow_mut() = Some(Box::new(cmp)));
    // SAFETY: idx is an array of n usize values; the comparator reads only
    // those.
    unsafe {
        libc::qsort(
            idx.as_mut_ptr().cast(),
            n,
            std::mem::size_of::<usize>(),
            Some(qsort_thunk),
        );
    }
    QSORT_CMP.with(|c| *c.borrow_mut() = None);
    idx
}
