//! The host's own objects, each behind one small module: running its
//! tools (`exec`), its interfaces, addresses and routes through `ip -j`
//! (`addr`), and its kernel parameters under /proc/sys (`sysctl`).

pub mod addr;
pub mod exec;
pub mod sysctl;
