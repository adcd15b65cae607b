//! Y'CbCr to RGB on the GPU: a picture's planes go up as integer textures
//! at their own size and bit depth, and a fragment shader converts each
//! pixel with the picture's matrix (BT.601/709/2020) and range.
//!
//! Why integer textures (`R8UI`/`R16UI`, read with `texelFetch`): 10- and
//! 12-bit samples keep every bit (normalised 16-bit textures are missing
//! from WebGL2 and GLES3), and the shader does exactly the arithmetic of
//! [`DecodedFrame::to_rgb8`] — the same nearest-sample chroma — so what
//! the screen shows can be checked against the CPU conversion and ffmpeg.
//!
//! GLSL 3.30 on desktop GL, GLSL ES 3.00 on GLES/WebGL2: the same source
//! with a different first line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use eframe::egui_glow;
use eframe::glow::{self, HasContext};
use reel_types::picture::{ChromaLayout, DecodedFrame, Matrix};

const VERTEX: &str = r#"
out vec2 v_uv;
void main() {
    // A quad over the callback's viewport from the vertex index alone.
    vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
    v_uv = vec2(corner.x, 1.0 - corner.y);
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
"#;

const FRAGMENT: &str = r#"
precision highp float;
precision highp int;
precision highp usampler2D;
in vec2 v_uv;
out vec4 out_color;
uniform usampler2D u_y;
uniform usampler2D u_u;
uniform usampler2D u_v;
uniform ivec2 u_size;        // luma size
uniform ivec2 u_shift;       // log2 chroma subsampling
uniform int u_mono;
uniform float u_y_offset;    // 16·2^(d−8) limited, 0 full
uniform float u_y_range;     // 219·2^(d−8) limited, 2^d − 1 full
uniform float u_c_mid;       // 128·2^(d−8)
uniform float u_c_range;     // 224·2^(d−8) limited, 2^d − 1 full
uniform vec4 u_coeffs;       // Cr→R, Cb→G, Cr→G, Cb→B
void main() {
    ivec2 p = clamp(ivec2(v_uv * vec2(u_size)), ivec2(0), u_size - 1);
    float y = (float(texelFetch(u_y, p, 0).r) - u_y_offset) / u_y_range;
    float cb = 0.0;
    float cr = 0.0;
    if (u_mono == 0) {
        ivec2 c = p >> u_shift;
        cb = (float(texelFetch(u_u, c, 0).r) - u_c_mid) / u_c_range;
        cr = (float(texelFetch(u_v, c, 0).r) - u_c_mid) / u_c_range;
    }
    vec3 rgb = vec3(
        y + u_coeffs.x * cr,
        y - u_coeffs.y * cb - u_coeffs.z * cr,
        y + u_coeffs.w * cb);
    out_color = vec4(clamp(rgb, 0.0, 1.0), 1.0);
}
"#;

/// (Cr→R, Cb→G, Cr→G, Cb→B) for normalised Y' and Cb/Cr in −0.5…0.5.
fn coefficients(matrix: Matrix) -> [f32; 4] {
    let (kr, kb) = match matrix {
        Matrix::Bt601 => (0.299, 0.114),
        Matrix::Bt709 => (0.2126, 0.0722),
        Matrix::Bt2020 => (0.2627, 0.0593),
    };
    let kg = 1.0 - kr - kb;
    [
        2.0 * (1.0 - kr),
        2.0 * (1.0 - kb) * kb / kg,
        2.0 * (1.0 - kr) * kr / kg,
        2.0 * (1.0 - kb),
    ]
}

/// The textures of one view and the picture they hold.
struct ViewTextures {
    planes: [glow::Texture; 3],
    picture: Option<Arc<DecodedFrame>>,
}

struct Program {
    program: glow::Program,
    vertex_array: glow::VertexArray,
}

/// The shader and every view's plane textures.
#[derive(Default)]
pub struct YuvRenderer {
    program: Option<Result<Program, String>>,
    views: HashMap<String, ViewTextures>,
    /// Bytes uploaded so far (the selection panel shows it).
    pub uploaded_bytes: u64,
    /// Bytes held in plane textures now.
    pub texture_bytes: u64,
}

/// Shared between the UI and the paint callbacks.
pub type SharedRenderer = Arc<Mutex<YuvRenderer>>;

/// A paint callback drawing `frame` into `rect`, its textures kept under `key`.
pub fn paint_callback(
    renderer: &SharedRenderer,
    key: &str,
    frame: Arc<DecodedFrame>,
    rect: eframe::egui::Rect,
) -> eframe::egui::PaintCallback {
    let renderer = renderer.clone();
    let key = key.to_owned();
    eframe::egui::PaintCallback {
        rect,
        callback: Arc::new(egui_glow::CallbackFn::new(move |_info, painter| {
            let mut r = renderer.lock().unwrap_or_else(|e| e.into_inner());
            if let Err(e) = r.draw(painter.gl(), &key, &frame) {
                tracing::error!("drawing {key}: {e}");
            }
        })),
    }
}

impl YuvRenderer {
    /// Frees the textures of views that are gone.
    pub fn retain_views(&mut self, gl: Option<&glow::Context>, keep: impl Fn(&str) -> bool) {
        let gone: Vec<String> = self.views.keys().filter(|k| !keep(k)).cloned().collect();
        for key in gone {
            if let Some(v) = self.views.remove(&key) {
                if let Some(p) = &v.picture {
                    self.texture_bytes -= p.heap_size() as u64;
                }
                if let Some(gl) = gl {
                    // SAFETY: the textures were made on this context.
                    unsafe {
                        for t in v.planes {
                            gl.delete_texture(t);
                        }
                    }
                }
            }
        }
    }

    fn program(&mut self, gl: &glow::Context) -> Result<&Program, String> {
        let program = self.program.get_or_insert_with(|| compile(gl));
        program.as_ref().map_err(Clone::clone)
    }

    fn draw(
        &mut self,
        gl: &glow::Context,
        key: &str,
        frame: &Arc<DecodedFrame>,
    ) -> Result<(), String> {
        let (program, vertex_array) = {
            let p = self.program(gl)?;
            (p.program, p.vertex_array)
        };
        if !self.views.contains_key(key) {
            let planes = [0, 1, 2].map(|_| {
                // SAFETY: a live context on this thread (egui's paint).
                unsafe { gl.create_texture() }
            });
            let [a, b, c] = planes;
            let planes = [a?, b?, c?];
            self.views.insert(
                key.to_owned(),
                ViewTextures {
                    planes,
                    picture: None,
                },
            );
        }
        let view = self.views.get_mut(key).ok_or("no textures")?;
        let fresh = !view.picture.as_ref().is_some_and(|p| Arc::ptr_eq(p, frame));
        // SAFETY: every call below is on egui's context, on its thread,
        // with textures and a program made on it; the plane slices hold the
        // bytes the sizes given say (checked by `plane_views`).
        unsafe {
            if fresh {
                let wide = frame.bit_depth > 8;
                let (internal, typ) = if wide {
                    (glow::R16UI, glow::UNSIGNED_SHORT)
                } else {
                    (glow::R8UI, glow::UNSIGNED_BYTE)
                };
                gl.pixel_store_i32(glow::UNPACK_ALIGNMENT, 1);
                let views = frame.plane_views();
                for (i, texture) in view.planes.iter().enumerate() {
                    gl.bind_texture(glow::TEXTURE_2D, Some(*texture));
                    for param in [glow::TEXTURE_MIN_FILTER, glow::TEXTURE_MAG_FILTER] {
                        gl.tex_parameter_i32(glow::TEXTURE_2D, param, glow::NEAREST as i32);
                    }
                    // A monochrome picture binds a 1x1 chroma texture it never reads.
                    let empty = [0u8; 2];
                    let (w, h, data) = match views.get(i) {
                        Some(p) => (p.width, p.height, p.data),
                        None => (1, 1, &empty[..if wide { 2 } else { 1 }]),
                    };
                    gl.tex_image_2d(
                        glow::TEXTURE_2D,
                        0,
                        internal as i32,
                        w as i32,
                        h as i32,
                        0,
                        glow::RED_INTEGER,
                        typ,
                        glow::PixelUnpackData::Slice(Some(data)),
                    );
                }
                if let Some(old) = &view.picture {
                    self.texture_bytes -= old.heap_size() as u64;
                }
                self.texture_bytes += frame.heap_size() as u64;
                self.uploaded_bytes += frame.heap_size() as u64;
                view.picture = Some(frame.clone());
            }
            gl.use_program(Some(program));
            for (unit, (texture, name)) in view.planes.iter().zip(["u_y", "u_u", "u_v"]).enumerate()
            {
                gl.active_texture(glow::TEXTURE0 + unit as u32);
                gl.bind_texture(glow::TEXTURE_2D, Some(*texture));
                let loc = gl.get_uniform_location(program, name);
                gl.uniform_1_i32(loc.as_ref(), unit as i32);
            }
            let uniform = |name: &str| gl.get_uniform_location(program, name);
            let (sx, sy) = frame.layout.shift();
            let scale = f32::from(1u16 << (frame.bit_depth.clamp(8, 16) - 8));
            let max = ((1u32 << frame.bit_depth) - 1) as f32;
            let (y_offset, y_range, c_range) = if frame.full_range {
                (0.0, max, max)
            } else {
                (16.0 * scale, 219.0 * scale, 224.0 * scale)
            };
            gl.uniform_2_i32(
                uniform("u_size").as_ref(),
                frame.width as i32,
                frame.height as i32,
            );
            gl.uniform_2_i32(uniform("u_shift").as_ref(), sx as i32, sy as i32);
            gl.uniform_1_i32(
                uniform("u_mono").as_ref(),
                i32::from(frame.layout == ChromaLayout::Mono),
            );
            gl.uniform_1_f32(uniform("u_y_offset").as_ref(), y_offset);
            gl.uniform_1_f32(uniform("u_y_range").as_ref(), y_range);
            gl.uniform_1_f32(uniform("u_c_mid").as_ref(), 128.0 * scale);
            gl.uniform_1_f32(uniform("u_c_range").as_ref(), c_range);
            let [a, b, c, d] = coefficients(frame.matrix);
            gl.uniform_4_f32(uniform("u_coeffs").as_ref(), a, b, c, d);
            gl.bind_vertex_array(Some(vertex_array));
            gl.disable(glow::BLEND);
            gl.draw_arrays(glow::TRIANGLE_STRIP, 0, 4);
            gl.enable(glow::BLEND);
            gl.active_texture(glow::TEXTURE0);
        }
        Ok(())
    }
}

fn compile(gl: &glow::Context) -> Result<Program, String> {
    let header = if gl.version().is_embedded {
        "#version 300 es\n"
    } else {
        "#version 330\n"
    };
    // SAFETY: egui's live context, on its thread.
    unsafe {
        let program = gl.create_program()?;
        let mut shaders = Vec::new();
        for (kind, source) in [
            (glow::VERTEX_SHADER, VERTEX),
            (glow::FRAGMENT_SHADER, FRAGMENT),
        ] {
            let shader = gl.create_shader(kind)?;
            gl.shader_source(shader, &format!("{header}{source}"));
            gl.compile_shader(shader);
            if !gl.get_shader_compile_status(shader) {
                return Err(format!(
                    "the YUV shader does not compile: {}",
                    gl.get_shader_info_log(shader)
                ));
            }
            gl.attach_shader(program, shader);
            shaders.push(shader);
        }
        gl.link_program(program);
        if !gl.get_program_link_status(program) {
            return Err(format!(
                "the YUV shader does not link: {}",
                gl.get_program_info_log(program)
            ));
        }
        for s in shaders {
            gl.detach_shader(program, s);
            gl.delete_shader(s);
        }
        let vertex_array = gl.create_vertex_array()?;
        Ok(Program {
            program,
            vertex_array,
        })
    }
}

/// The coefficients the CPU conversion uses too (a test keeps them equal).
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bt601_red_row_is_the_textbook_one() {
        let [cr_r, cb_g, cr_g, cb_b] = coefficients(Matrix::Bt601);
        assert!((cr_r - 1.402).abs() < 1e-3);
        assert!((cb_g - 0.344136).abs() < 1e-3);
        assert!((cr_g - 0.714136).abs() < 1e-3);
        assert!((cb_b - 1.772).abs() < 1e-3);
    }
}
