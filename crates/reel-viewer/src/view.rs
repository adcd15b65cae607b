//! One view: the picture of an entity at the cursor, fitted or 1:1,
//! zoomed and panned, with the pixel under the pointer, a spinner while a
//! seek decodes, and errors written in place.

use std::sync::Arc;

use eframe::egui::{
    self, Align2, Color32, FontId, Rect, Sense, Stroke, StrokeKind, TextureHandle, TextureOptions,
    Vec2, pos2, vec2,
};

use crate::gpu::{SharedRenderer, paint_callback};
use crate::picture::{Picture, ValueRange};
use crate::recording::PictureReply;

/// Seconds a seek may take before the view shows a spinner.
const SPINNER_AFTER: f64 = 0.4;

/// The state of one view between frames.
pub struct ViewState {
    /// Which recording.
    pub recording: usize,
    /// Which entity of it.
    pub entity: usize,
    /// Unique name (GPU textures are kept under it).
    pub key: String,
    /// The last answer.
    pub reply: PictureReply,
    /// When the exact picture started to be waited for.
    pub pending_since: Option<f64>,
    /// 1.0 = fit; otherwise the scale relative to fit.
    pub zoom: f32,
    /// Offset of the picture's centre from the view's, in points.
    pub pan: Vec2,
    /// Show pixels 1:1 instead of fitting.
    pub one_to_one: bool,
    /// Where the picture was drawn last (screen points).
    pub picture_rect: Option<Rect>,
    /// The view's whole area last frame.
    pub view_rect: Option<Rect>,
    /// Gray mapping of 16-bit and float images (`None`: the type's range).
    pub range: Option<ValueRange>,
    /// RGBA pictures' texture, with the picture it holds.
    texture: Option<(Picture, TextureHandle)>,
    /// Distinct exact pictures shown.
    pub shown: u64,
    /// Frames whose time the playing cursor passed.
    pub due: u64,
    last_shown: Option<Picture>,
}

impl ViewState {
    /// A view of `entity` in `recording`.
    pub fn new(recording: usize, entity: usize, key: String) -> Self {
        Self {
            recording,
            entity,
            key,
            reply: PictureReply::default(),
            pending_since: None,
            zoom: 1.0,
            pan: Vec2::ZERO,
            one_to_one: false,
            picture_rect: None,
            view_rect: None,
            range: None,
            texture: None,
            shown: 0,
            due: 0,
            last_shown: None,
        }
    }

    /// Takes the recording's answer for this frame.
    pub fn update(&mut self, reply: PictureReply, now: f64) {
        if reply.pending {
            self.pending_since.get_or_insert(now);
        } else {
            self.pending_since = None;
        }
        self.reply = reply;
    }

    /// Frames that were due but never shown (skipped while behind).
    pub fn dropped(&self) -> u64 {
        self.due.saturating_sub(self.shown)
    }

    /// Counts a newly shown exact picture.
    pub fn count_shown(&mut self) -> bool {
        let Some(p) = self.reply.picture.as_ref().filter(|_| self.reply.exact) else {
            return false;
        };
        // A video frame by its time (the same frame from another source,
        // as when a preview hands over, is not a new one); images by identity.
        let new = match (p, &self.last_shown) {
            (Picture::Yuv(f), Some(Picture::Yuv(l))) => f.pts != l.pts,
            (_, Some(l)) => !l.same(p),
            (_, None) => true,
        };
        if new {
            self.shown += 1;
            self.last_shown = Some(p.clone());
        }
        new
    }

    /// Whether its picture at the cursor is settled (shown exactly, or
    /// known to be missing or broken).
    pub fn settled(&self) -> bool {
        !self.reply.pending
    }

    /// Draws the view in `rect`; returns whether it was clicked (selects it).
    pub fn show(
        &mut self,
        ui: &mut egui::Ui,
        rect: Rect,
        renderer: &SharedRenderer,
        now: f64,
        label: &str,
    ) -> egui::Response {
        self.view_rect = Some(rect);
        let response = ui.allocate_rect(rect, Sense::click_and_drag());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 0.0, Color32::from_gray(20));
        let picture = self.reply.picture.clone();
        self.picture_rect = None;
        if let Some(picture) = &picture {
            let [w, h] = picture.size();
            let size = vec2(w as f32, h as f32);
            // Zoom around the pointer with the wheel; drag pans.
            if response.hovered() {
                let scroll = ui.input(|i| i.smooth_scroll_delta.y);
                if scroll != 0.0 {
                    let factor = (scroll / 200.0).exp();
                    let before = self.zoom;
                    self.zoom = (self.zoom * factor).clamp(0.05, 200.0);
                    if let Some(pointer) = response.hover_pos() {
                        let center = rect.center() + self.pan;
                        self.pan += (pointer - center) * (1.0 - self.zoom / before);
                    }
                }
            }
            if response.dragged() {
                self.pan += response.drag_delta();
            }
            if response.double_clicked() {
                self.zoom = 1.0;
                self.pan = Vec2::ZERO;
                self.one_to_one = false;
            }
            let base = if self.one_to_one {
                1.0 / ui.ctx().pixels_per_point()
            } else {
                (rect.width() / size.x).min(rect.height() / size.y)
            };
            let shown = size * base * self.zoom;
            let picture_rect = Rect::from_center_size(rect.center() + self.pan, shown);
            self.picture_rect = Some(picture_rect);
            match picture {
                Picture::Yuv(frame) => {
                    painter.add(paint_callback(
                        renderer,
                        &self.key,
                        frame.clone(),
                        picture_rect,
                    ));
                }
                Picture::Rgba(rgba) => {
                    let texture = self.texture_for(ui.ctx(), picture, rgba);
                    painter.image(
                        texture,
                        picture_rect,
                        Rect::from_min_max(pos2(0.0, 0.0), pos2(1.0, 1.0)),
                        Color32::WHITE,
                    );
                }
            }
            if let Some(pointer) = response.hover_pos()
                && picture_rect.contains(pointer)
            {
                let rel = (pointer - picture_rect.min) / picture_rect.size();
                let (x, y) = ((rel.x * size.x) as u32, (rel.y * size.y) as u32);
                if let Some((_, values)) = picture.pixel(x, y) {
                    let text = format!("({x}, {y}) {values}");
                    let at = rect.left_bottom() + vec2(4.0, -4.0);
                    let galley =
                        painter.layout_no_wrap(text, FontId::monospace(12.0), Color32::WHITE);
                    let bg = Rect::from_min_size(at - vec2(0.0, galley.size().y), galley.size())
                        .expand(2.0);
                    painter.rect_filled(bg, 2.0, Color32::from_black_alpha(180));
                    painter.galley(bg.min + vec2(2.0, 2.0), galley, Color32::WHITE);
                }
            }
        }
        // The title: entity, and what is going on.
        let title = match (&picture, self.reply.exact) {
            (None, _) if self.reply.pending => format!("{label} — decoding…"),
            (None, _) => format!("{label} — nothing logged yet at this time"),
            _ => label.to_owned(),
        };
        let bar = Rect::from_min_size(rect.min, vec2(rect.width(), 18.0));
        painter.rect_filled(bar, 0.0, Color32::from_black_alpha(150));
        painter.text(
            bar.left_center() + vec2(4.0, 0.0),
            Align2::LEFT_CENTER,
            title,
            FontId::proportional(13.0),
            Color32::from_gray(230),
        );
        if self
            .pending_since
            .is_some_and(|since| now - since >= SPINNER_AFTER)
        {
            let spin =
                Rect::from_center_size(rect.right_top() + vec2(-16.0, 30.0), vec2(20.0, 20.0));
            egui::Spinner::new().paint_at(ui, spin);
        }
        if let Some(error) = &self.reply.error {
            let text = if picture.is_some() {
                format!("{error}; showing the last good frame")
            } else {
                error.clone()
            };
            let galley = painter.layout(
                text,
                FontId::proportional(13.0),
                Color32::from_rgb(255, 200, 200),
                rect.width() - 16.0,
            );
            let bg = Rect::from_min_size(
                rect.left_bottom() - vec2(-4.0, galley.size().y + 26.0),
                galley.size(),
            )
            .expand(4.0);
            painter.rect_filled(bg, 3.0, Color32::from_rgba_unmultiplied(120, 0, 0, 220));
            painter.galley(bg.min + vec2(4.0, 4.0), galley, Color32::WHITE);
        }
        painter.rect_stroke(
            rect,
            0.0,
            Stroke::new(1.0, Color32::from_gray(60)),
            StrokeKind::Inside,
        );
        response
    }

    fn texture_for(
        &mut self,
        ctx: &egui::Context,
        picture: &Picture,
        rgba: &Arc<crate::picture::RgbaPicture>,
    ) -> egui::TextureId {
        match &mut self.texture {
            Some((held, texture)) if held.same(picture) => texture.id(),
            slot => {
                let image = egui::ColorImage::from_rgba_unmultiplied(
                    [rgba.width as usize, rgba.height as usize],
                    &rgba.pixels,
                );
                // Nearest: zoomed-in pixels stay pixels, 1:1 shows exact values.
                let options = TextureOptions::NEAREST;
                let texture = match slot.take() {
                    Some((_, mut texture)) => {
                        texture.set(image, options);
                        texture
                    }
                    None => ctx.load_texture(self.key.clone(), image, options),
                };
                let id = texture.id();
                *slot = Some((picture.clone(), texture));
                id
            }
        }
    }
}
