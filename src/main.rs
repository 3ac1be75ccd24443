//! rsvsadm: the binary is a thin shell over the library (see `rsvsadm::app`).

fn main() {
    // Like the C tools it replaces, die quietly on a closed pipe
    // (`rsvsadm -Ln | head`) instead of reporting a write error.
    // SAFETY: restoring the default disposition of SIGPIPE at start-up,
    // before any other thread exists.
    unsafe {
        let _ = nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGPIPE,
            nix::sys::signal::SigHandler::SigDfl,
        );
    }
    std::process::exit(rsvsadm::app::main(std::env::args_os().collect()));
}
