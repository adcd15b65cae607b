//! Where the views go: a grid chosen so that pictures of `aspect`
//! (width / height) fill the space best.

/// Columns and rows for `n` views of pictures with `aspect` in a
/// `width` x `height` area: the grid whose cells show the largest picture.
pub fn grid(n: usize, aspect: f32, width: f32, height: f32) -> (usize, usize) {
    if n == 0 {
        return (1, 1);
    }
    let aspect = if aspect.is_finite() && aspect > 0.0 {
        aspect
    } else {
        16.0 / 9.0
    };
    (1..=n)
        .map(|cols| (cols, n.div_ceil(cols)))
        .max_by(|a, b| {
            let scale = |(c, r): (usize, usize)| {
                let (cw, ch) = (width / c as f32, height / r as f32);
                // The picture's area in a cell, fitted.
                let w = cw.min(ch * aspect);
                w * (w / aspect)
            };
            // Ties: fewer rows (wider layouts read better).
            scale(*a).total_cmp(&scale(*b)).then(b.1.cmp(&a.1))
        })
        .unwrap_or((1, n))
}

#[cfg(test)]
mod tests {
    use super::grid;

    #[test]
    fn grids_fit_the_area() {
        assert_eq!(grid(1, 16.0 / 9.0, 1600.0, 900.0), (1, 1));
        assert_eq!(grid(2, 16.0 / 9.0, 1600.0, 900.0), (2, 1));
        assert_eq!(grid(4, 16.0 / 9.0, 1600.0, 900.0), (2, 2));
        // A tall area stacks.
        assert_eq!(grid(3, 16.0 / 9.0, 400.0, 1200.0), (1, 3));
        assert_eq!(grid(5, 4.0 / 3.0, 1600.0, 900.0), (3, 2));
    }
}
