//! Synthetic camera frames for demos, examples and benchmarks.

/// An RGB8 frame of a smooth moving pattern: diagonal color gradients
/// drifting with `frame`, a bright disc circling the center, and a frame
/// counter bar. Smooth like a real scene, so it compresses like one.
pub fn moving_pattern_rgb8(width: u32, height: u32, frame: u64) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut out = vec![0u8; w * h * 3];
    let t = frame as f32;
    let (cx, cy) = (
        w as f32 * (0.5 + 0.3 * (t * 0.05).cos()),
        h as f32 * (0.5 + 0.3 * (t * 0.05).sin()),
    );
    let r2 = (w.min(h) as f32 * 0.12).powi(2);
    let bar = ((frame % 120) as usize * w) / 120;
    for y in 0..h {
        let row = &mut out[y * w * 3..(y + 1) * w * 3];
        for x in 0..w {
            let px = &mut row[x * 3..x * 3 + 3];
            let (fx, fy) = (x as f32, y as f32);
            let d2 = (fx - cx).powi(2) + (fy - cy).powi(2);
            if d2 < r2 {
                px.copy_from_slice(&[250, 240, 200]);
            } else if y >= h.saturating_sub(h / 20) && x < bar {
                px.copy_from_slice(&[20, 200, 60]);
            } else {
                px[0] = ((x + frame as usize * 2) * 255 / w.max(1)) as u8;
                px[1] = ((y + frame as usize) * 255 / h.max(1)) as u8;
                // A triangle wave, not a sawtooth: cameras see no hard
                // color wrap-arounds, and 4:2:0 video could not keep one.
                let t = ((x + y) / 2 + frame as usize * 3) % 510;
                px[2] = if t < 255 { t as u8 } else { (509 - t) as u8 };
            }
        }
    }
    out
}

/// An RGB8 frame of uniform noise: the worst case for compression.
/// Deterministic per `seed` (xorshift), no `rand` dependency needed.
pub fn noise_rgb8(width: u32, height: u32, seed: u64) -> Vec<u8> {
    let n = width as usize * height as usize * 3;
    let mut out = Vec::with_capacity(n + 8);
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    while out.len() < n {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out.truncate(n);
    out
}
