//! AV1 decoders in-process: dav1d, as the system's libdav1d (the `dav1d`
//! feature; Debian's `libdav1d-dev` 1.0, which the `dav1d` crate 0.9 binds —
//! newer crate versions need libdav1d ≥ 1.3) or as rav1d, its Rust port,
//! built in (the default `rav1d` feature: AV1 with no system library, as
//! Rerun's native viewer has it; its assembly with the `rav1d-asm` feature,
//! which needs `nasm`).
//!
//! Both crates offer the same API (rav1d's `dav1d` module is a fork of the
//! `dav1d` crate's), so one body serves both: `dav1d_api.rs`, included once
//! per implementation with that implementation's API in scope as `api`.
//! A generic over a trait would need a trait mirroring a dozen methods of
//! two foreign types; the include keeps the code in one place without it.

/// libdav1d, the system library.
#[cfg(feature = "dav1d")]
pub mod libdav1d {
    use ::dav1d as api;
    const BACKEND: crate::Backend = crate::Backend::Dav1d;
    include!("dav1d_api.rs");
}

/// rav1d, built in.
#[cfg(feature = "rav1d")]
pub mod rav1d {
    use re_rav1d::dav1d as api;
    const BACKEND: crate::Backend = crate::Backend::Rav1d;
    include!("dav1d_api.rs");
}
