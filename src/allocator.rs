//! The C allocator's policy for freed memory, chosen per command in `main.rs`.
//!
//! The model commands hold one column of every customer after another (ids, statistics,
//! histories, predictions, the output table): on 10 million customers each is tens of MB,
//! allocated, filled, read and freed in turn. glibc serves blocks that large with `mmap` and
//! returns them to the kernel when freed, so the next one is fresh memory again, and the
//! kernel zeroes it page by page on first touch: half the system time of `clm clv` on 10
//! million customers' summaries (`CLM_TIMINGS=1` prints the page faults of each phase).

/// Keeps freed memory in the process for the next allocation: large blocks come from the heap
/// instead of their own `mmap`, one arena serves every thread (a block freed by one thread is
/// reused by the next, whichever allocates it), and the heap's top is never given back.
/// Peak memory can grow by what fragmentation leaves unused, so commands with a memory budget
/// (`clm rfm`: 1 GB on 4 million customers) keep the default. Call before any thread starts;
/// only glibc has these settings, elsewhere it does nothing.
pub fn reuse_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `mallopt` only changes the allocator's settings; called before other threads
    // exist, nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
        libc::mallopt(libc::M_MMAP_MAX, 0);
        libc::mallopt(libc::M_TRIM_THRESHOLD, libc::c_int::MAX);
    }
}
