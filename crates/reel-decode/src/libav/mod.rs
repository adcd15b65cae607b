//! FFmpeg's libavcodec, loaded in-process at run time.
//!
//! Why our own bindings: the crates that bind libavcodec (`ffmpeg-next`,
//! `rsmpeg`) generate them at build time from FFmpeg's headers with
//! libclang, so every build would need `libavcodec-dev` and clang. reel
//! instead `dlopen`s the runtime library that an installed `ffmpeg` brings
//! (Debian's `libavcodec59`, FFmpeg 5.1; 6.x, 7.x and 8.x too) with
//! `libloading`: reel builds with no FFmpeg at all, and where FFmpeg is
//! installed, H.264, H.265, VP8 and VP9 decode in-process at FFmpeg's own
//! speed, with no pipe and no lookahead.
//!
//! The binding is kept to what is stable across those versions: a dozen
//! functions, codecs and options found by name (`"h264"`, `"threads"`),
//! pixel formats read by name, and only the first fields of `AVFrame`
//! (`data`, `linesize`, `width`, `height`, `format`), laid out the same
//! since FFmpeg 2. Each packet is tagged with a sequence number in
//! `AVPacket.pts` (the second field since FFmpeg 1), and the tag comes back
//! in `AVFrame.pts`, read through a layout chosen by the library's major
//! version (`key_frame` before it went away in FFmpeg 8): pictures are
//! matched to their samples by what the decoder says, so a sample that
//! yields no picture (a RASL picture after a seek, a dropped frame) cannot
//! shift the labels of the pictures after it.

mod decoder;

pub use decoder::LibavDecoder;

use std::ffi::{CStr, CString, c_char, c_int, c_uint, c_void};
use std::sync::Mutex;

use libloading::Library;

/// `AVCodec`, `AVCodecContext`, `AVPacket`: only ever behind pointers.
#[repr(C)]
pub(crate) struct Opaque {
    _private: [u8; 0],
}

/// The leading fields of `AVFrame`, unchanged from FFmpeg 2 to 8.
#[repr(C)]
pub(crate) struct AvFrameHead {
    pub data: [*mut u8; 8],
    pub linesize: [c_int; 8],
    pub extended_data: *mut *mut u8,
    pub width: c_int,
    pub height: c_int,
    pub nb_samples: c_int,
    pub format: c_int,
}

/// `AVFrame` up to `pts` in FFmpeg 5.1–7 (libavcodec 59–61).
#[repr(C)]
pub(crate) struct AvFrameTimesV59 {
    pub head: AvFrameHead,
    pub key_frame: c_int,
    pub pict_type: c_int,
    pub sample_aspect_ratio: [c_int; 2],
    pub pts: i64,
}

/// `AVFrame` up to `pts` from FFmpeg 8 (libavcodec 62), without `key_frame`.
#[repr(C)]
pub(crate) struct AvFrameTimesV62 {
    pub head: AvFrameHead,
    pub pict_type: c_int,
    pub sample_aspect_ratio: [c_int; 2],
    pub pts: i64,
}

/// The leading fields of `AVPacket`, unchanged since FFmpeg 1.
#[repr(C)]
pub(crate) struct AvPacketHead {
    pub buf: *mut c_void,
    pub pts: i64,
}

/// `AV_NOPTS_VALUE`.
pub(crate) const NO_PTS: i64 = i64::MIN;

/// The functions reel calls, resolved once.
#[allow(missing_docs)]
pub(crate) struct Api {
    pub avcodec_version: unsafe extern "C" fn() -> c_uint,
    pub avcodec_find_decoder_by_name: unsafe extern "C" fn(*const c_char) -> *const Opaque,
    pub avcodec_alloc_context3: unsafe extern "C" fn(*const Opaque) -> *mut Opaque,
    pub avcodec_open2: unsafe extern "C" fn(*mut Opaque, *const Opaque, *mut c_void) -> c_int,
    pub avcodec_free_context: unsafe extern "C" fn(*mut *mut Opaque),
    pub avcodec_send_packet: unsafe extern "C" fn(*mut Opaque, *const Opaque) -> c_int,
    pub avcodec_receive_frame: unsafe extern "C" fn(*mut Opaque, *mut AvFrameHead) -> c_int,
    pub avcodec_flush_buffers: unsafe extern "C" fn(*mut Opaque),
    pub av_packet_alloc: unsafe extern "C" fn() -> *mut Opaque,
    pub av_packet_free: unsafe extern "C" fn(*mut *mut Opaque),
    pub av_packet_from_data: unsafe extern "C" fn(*mut Opaque, *mut u8, c_int) -> c_int,
    pub av_packet_unref: unsafe extern "C" fn(*mut Opaque),
    pub av_malloc: unsafe extern "C" fn(usize) -> *mut c_void,
    pub av_free: unsafe extern "C" fn(*mut c_void),
    pub av_frame_alloc: unsafe extern "C" fn() -> *mut AvFrameHead,
    pub av_frame_free: unsafe extern "C" fn(*mut *mut AvFrameHead),
    pub av_frame_unref: unsafe extern "C" fn(*mut AvFrameHead),
    pub av_frame_clone: unsafe extern "C" fn(*const AvFrameHead) -> *mut AvFrameHead,
    pub av_opt_set: unsafe extern "C" fn(*mut c_void, *const c_char, *const c_char, c_int) -> c_int,
    pub av_get_pix_fmt_name: unsafe extern "C" fn(c_int) -> *const c_char,
    pub av_strerror: unsafe extern "C" fn(c_int, *mut c_char, usize) -> c_int,
    pub av_log_set_level: unsafe extern "C" fn(c_int),
    /// libavcodec's major version (which `AVFrame` layout to read).
    pub major: u32,
    /// Keeps the libraries mapped for as long as the pointers above live.
    _libs: (Library, Library),
}

/// `AV_INPUT_BUFFER_PADDING_SIZE`: zeroed bytes every packet buffer ends with.
pub(crate) const PADDING: usize = 64;
/// `AV_OPT_SEARCH_CHILDREN`: options of the codec's private context too.
pub(crate) const OPT_SEARCH_CHILDREN: c_int = 1;
/// `AVERROR_EOF`.
pub(crate) const ERROR_EOF: c_int = -0x2046_4F45;
/// libavcodec of FFmpeg 5.1 (the oldest reel supports).
const MIN_VERSION: (u32, u32) = (59, 37);

/// libavcodec majors reel knows, newest first, with their libavutil.
const MAJORS: [(u32, u32); 4] = [(62, 60), (61, 59), (60, 58), (59, 57)];

/// Where the library of `stem` (`avcodec`, `avutil`) with `major` is found.
fn library_names(stem: &str, major: u32) -> Vec<String> {
    if cfg!(target_os = "macos") {
        vec![
            format!("lib{stem}.{major}.dylib"),
            format!("/opt/homebrew/lib/lib{stem}.{major}.dylib"),
        ]
    } else if cfg!(windows) {
        vec![format!("{stem}-{major}.dll")]
    } else {
        vec![format!("lib{stem}.so.{major}")]
    }
}

/// Opens the first of `names` that loads.
fn open_any(names: &[String]) -> Option<Library> {
    // SAFETY: loading FFmpeg's libraries runs only their (side-effect-free)
    // initialisers.
    names.iter().find_map(|n| unsafe { Library::new(n) }.ok())
}

/// The library path a program configured (a viewer's saved setting).
static CONFIGURED: Mutex<Option<String>> = Mutex::new(None);

/// Sets the libavcodec to load when `REEL_LIBAVCODEC` is not set (`None`:
/// the installed FFmpeg's). If loading failed before, the next decoder
/// tries again with it; a library already loaded stays (it cannot be
/// unloaded while decoders use it).
pub fn set_library_path(path: Option<String>) {
    *CONFIGURED.lock().unwrap_or_else(|e| e.into_inner()) = path.filter(|p| !p.is_empty());
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    if matches!(*loaded, Some(Err(_))) {
        *loaded = None;
    }
}

fn load() -> Result<Api, String> {
    let setting = std::env::var("REEL_LIBAVCODEC")
        .ok()
        .or_else(|| CONFIGURED.lock().unwrap_or_else(|e| e.into_inner()).clone())
        .unwrap_or_default();
    if matches!(setting.as_str(), "off" | "0" | "none") {
        return Err("turned off by REEL_LIBAVCODEC".into());
    }
    let (avcodec, avutil) = if setting.is_empty() {
        MAJORS
            .iter()
            .find_map(|&(codec, util)| {
                let c = open_any(&library_names("avcodec", codec))?;
                let u = open_any(&library_names("avutil", util))?;
                Some((c, u))
            })
            .ok_or(
                "FFmpeg's libavcodec 59–62 (FFmpeg 5.1–8) was not found; install FFmpeg \
                 (Debian/Ubuntu: `sudo apt-get install ffmpeg`) or set REEL_LIBAVCODEC to \
                 the library's path",
            )?
    } else {
        // A path to libavcodec; its libavutil is already loaded with it.
        // SAFETY: as above.
        let c = unsafe { Library::new(&setting) }.map_err(|e| format!("{setting}: {e}"))?;
        let u = MAJORS
            .iter()
            .find_map(|&(_, util)| open_any(&library_names("avutil", util)))
            .ok_or_else(|| format!("{setting}: no matching libavutil"))?;
        (c, u)
    };
    macro_rules! sym {
        ($lib:expr, $name:ident) => {
            // SAFETY: the type is the C prototype of FFmpeg 5.1–8.
            *unsafe { $lib.get(concat!(stringify!($name), "\0").as_bytes()) }
                .map_err(|e| format!("{}: {e}", stringify!($name)))?
        };
    }
    let mut api = Api {
        avcodec_version: sym!(avcodec, avcodec_version),
        avcodec_find_decoder_by_name: sym!(avcodec, avcodec_find_decoder_by_name),
        avcodec_alloc_context3: sym!(avcodec, avcodec_alloc_context3),
        avcodec_open2: sym!(avcodec, avcodec_open2),
        avcodec_free_context: sym!(avcodec, avcodec_free_context),
        avcodec_send_packet: sym!(avcodec, avcodec_send_packet),
        avcodec_receive_frame: sym!(avcodec, avcodec_receive_frame),
        avcodec_flush_buffers: sym!(avcodec, avcodec_flush_buffers),
        av_packet_alloc: sym!(avcodec, av_packet_alloc),
        av_packet_free: sym!(avcodec, av_packet_free),
        av_packet_from_data: sym!(avcodec, av_packet_from_data),
        av_packet_unref: sym!(avcodec, av_packet_unref),
        av_malloc: sym!(avutil, av_malloc),
        av_free: sym!(avutil, av_free),
        av_frame_alloc: sym!(avutil, av_frame_alloc),
        av_frame_free: sym!(avutil, av_frame_free),
        av_frame_unref: sym!(avutil, av_frame_unref),
        av_frame_clone: sym!(avutil, av_frame_clone),
        av_opt_set: sym!(avutil, av_opt_set),
        av_get_pix_fmt_name: sym!(avutil, av_get_pix_fmt_name),
        av_strerror: sym!(avutil, av_strerror),
        av_log_set_level: sym!(avutil, av_log_set_level),
        major: 0,
        _libs: (avcodec, avutil),
    };
    // SAFETY: a plain getter.
    let v = unsafe { (api.avcodec_version)() };
    let (major, minor) = (v >> 16, (v >> 8) & 0xff);
    if (major, minor) < MIN_VERSION {
        return Err(format!(
            "libavcodec {major}.{minor} is older than FFmpeg 5.1's 59.37"
        ));
    }
    api.major = major;
    // libavcodec reports bad samples on stderr; reel reports them as errors.
    // SAFETY: sets a global integer (AV_LOG_QUIET).
    unsafe { (api.av_log_set_level)(-8) };
    Ok(api)
}

/// The library once loaded (for the rest of the process: decoders hold its
/// functions), or why it could not be (tried again after
/// [`set_library_path`]).
static LOADED: Mutex<Option<Result<&'static Api, String>>> = Mutex::new(None);

/// The loaded library, or why it could not be loaded.
pub(crate) fn api() -> Result<&'static Api, String> {
    let mut loaded = LOADED.lock().unwrap_or_else(|e| e.into_inner());
    loaded
        .get_or_insert_with(|| load().map(|api| &*Box::leak(Box::new(api))))
        .clone()
}

/// FFmpeg's decoder for `codec`, if the loaded library has it.
pub(crate) fn find_decoder(api: &Api, codec: reel_types::VideoCodec) -> Option<*const Opaque> {
    use reel_types::VideoCodec as C;
    let name: &CStr = match codec {
        C::H264 => c"h264",
        C::H265 => c"hevc",
        C::VP8 => c"vp8",
        C::VP9 => c"vp9",
        // FFmpeg's own AV1 decoder needs a GPU; libdav1d is the software one.
        C::AV1 => c"libdav1d",
    };
    // SAFETY: a lookup by NUL-terminated name.
    let found = unsafe { (api.avcodec_find_decoder_by_name)(name.as_ptr()) };
    (!found.is_null()).then_some(found)
}

/// Whether libavcodec is loaded and decodes `codec`.
pub fn available(codec: reel_types::VideoCodec) -> bool {
    api().is_ok_and(|api| find_decoder(api, codec).is_some())
}

/// The libavcodec version loaded ("59.37.100"), or why none was.
pub fn version() -> Result<String, String> {
    let api = api()?;
    // SAFETY: a plain getter.
    let v = unsafe { (api.avcodec_version)() };
    Ok(format!("{}.{}.{}", v >> 16, (v >> 8) & 0xff, v & 0xff))
}

/// FFmpeg's message for an error code.
pub(crate) fn error_text(api: &Api, code: c_int) -> String {
    let mut buf = [0 as c_char; 128];
    // SAFETY: the buffer and its length match; av_strerror NUL-terminates.
    unsafe {
        (api.av_strerror)(code, buf.as_mut_ptr(), buf.len());
        CStr::from_ptr(buf.as_ptr()).to_string_lossy().into_owned()
    }
}

/// Sets an option on a codec context (before it is opened).
pub(crate) fn set_option(
    api: &Api,
    ctx: *mut Opaque,
    name: &str,
    value: &str,
) -> Result<(), String> {
    let (n, v) = (
        CString::new(name).map_err(|e| e.to_string())?,
        CString::new(value).map_err(|e| e.to_string())?,
    );
    // SAFETY: ctx is a live AVCodecContext (its first field is the AVClass
    // av_opt_set needs); both strings are NUL-terminated.
    let r = unsafe { (api.av_opt_set)(ctx.cast(), n.as_ptr(), v.as_ptr(), OPT_SEARCH_CHILDREN) };
    if r < 0 {
        return Err(format!("option {name}={value}: {}", error_text(api, r)));
    }
    Ok(())
}
