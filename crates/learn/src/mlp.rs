//! The MLP's SGD steps on the flat parameters, with the gradients written out.
//!
//! For a model this small (64-32-10, batches of 16) a step is about 100 000 multiply-adds, and
//! a tensor library spends more on dispatching and allocating its two dozen operations than on
//! the arithmetic. Here a step is five matrix products by `gemm` (the kernels candle itself
//! calls) straight on the parameter slices, with the weight updates folded into the products
//! that compute their gradients, and buffers allocated once per call. The steps are the ones
//! candle's autograd takes, to rounding (`model::tests` checks this).

use crate::data::Dataset;
use crate::objective::Objective;
use crate::train_config::TrainConfig;

/// A matrix in a slice: its rows, columns, and the strides between rows and between columns.
#[derive(Clone, Copy)]
struct View<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> View<'a> {
    /// `data` as a row-major `rows × cols` matrix.
    fn new(data: &'a [f32], rows: usize, cols: usize) -> View<'a> {
        View {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// The transpose, without moving anything.
    fn t(self) -> View<'a> {
        View {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    /// Whether every element lies inside the slice.
    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst` (row-major, `lhs.rows × rhs.cols`) := `dst + scale·lhs·rhs` if `accumulate`, else
/// `scale·lhs·rhs`.
fn matmul(dst: &mut [f32], lhs: View, rhs: View, scale: f32, accumulate: bool) {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    assert!(
        rhs.rows == k && dst.len() >= m * n && lhs.fits() && rhs.fits(),
        "matrix shapes do not fit: {m}×{k} · {}×{n} into {}",
        rhs.rows,
        dst.len()
    );
    // SAFETY: every element gemm reads (lhs, rhs) or writes (dst, m × n row-major) is inside
    // its slice, as checked above, and `dst` is borrowed mutably, so it aliases neither input.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            n as isize,
            accumulate,
            lhs.data.as_ptr(),
            lhs.col_stride as isize,
            lhs.row_stride as isize,
            rhs.data.as_ptr(),
            rhs.col_stride as isize,
            rhs.row_stride as isize,
            1.0,
            scale,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// `y += a·x`, element by element.
fn axpy(y: &mut [f32], a: f32, x: &[f32]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

/// The batch `rows` of `data` at the output layer: `g` holds its outputs (row-major, one row
/// per example) and is overwritten with the gradient of the batch's mean loss with respect to
/// them. Classification: softmax, then (p − onehot)/m; regression (one output): 2(ŷ − y)/m.
/// Returns the batch's summed loss if `want_loss`, else 0.
fn output_gradient(
    objective: Objective,
    g: &mut [f32],
    data: &Dataset,
    rows: std::ops::Range<usize>,
    want_loss: bool,
) -> f64 {
    let m = rows.len() as f32;
    match objective {
        Objective::Classification => {
            let classes = g.len() / rows.len();
            let labels = &data.labels[rows];
            for row in g.chunks_exact_mut(classes) {
                let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let mut total = 0.0;
                for v in row.iter_mut() {
                    *v = (*v - max).exp();
                    total += *v;
                }
                for v in row.iter_mut() {
                    *v /= total;
                }
            }
            let mut loss = 0.0;
            if want_loss {
                loss = labels
                    .iter()
                    .enumerate()
                    .map(|(i, &l)| {
                        -f64::from(g[i * classes + l as usize].max(f32::MIN_POSITIVE)).ln()
                    })
                    .sum();
            }
            for (i, &l) in labels.iter().enumerate() {
                g[i * classes + l as usize] -= 1.0;
            }
            for v in g.iter_mut() {
                *v /= m;
            }
            loss
        }
        Objective::Regression => {
            let mut loss = 0.0;
            for (v, &y) in g.iter_mut().zip(&data.targets[rows]) {
                let error = *v - y;
                loss += f64::from(error) * f64::from(error);
                *v = 2.0 * error / m;
            }
            if want_loss {
                loss
            } else {
                0.0
            }
        }
    }
}

/// Trains an MLP `inputs → hidden (ReLU) → outputs` whose parameters are `params`, in the
/// model's flat order (`l1.bias`, `l1.weight` as hidden × inputs, `l2.bias`, `l2.weight` as
/// outputs × hidden), with plain SGD over mini-batches in order on the `objective`'s loss
/// (outputs are the classes, or one for regression). Returns the mean loss of the last epoch.
/// The caller checks the shapes, labels and targets.
pub(crate) fn sgd(
    params: &mut [f32],
    (inputs, hidden, classes): (usize, usize, usize),
    objective: Objective,
    data: &Dataset,
    config: &TrainConfig,
) -> f64 {
    let (b1, rest) = params.split_at_mut(hidden);
    let (w1, rest) = rest.split_at_mut(hidden * inputs);
    let (b2, w2) = rest.split_at_mut(classes);
    let size = config.batch.max(1);
    let lr = config.lr as f32;
    let mut h = vec![0f32; size * hidden];
    let mut g = vec![0f32; size * classes];
    let mut gh = vec![0f32; size * hidden];
    let epochs = config.epochs.max(1);
    let mut last = 0.0;
    for epoch in 0..epochs {
        let (mut sum, mut batches) = (0.0, 0usize);
        let mut start = 0;
        while start < data.len() {
            let end = (start + size).min(data.len());
            let m = end - start;
            let x = View::new(&data.features[start * inputs..end * inputs], m, inputs);
            let (h, g, gh) = (
                &mut h[..m * hidden],
                &mut g[..m * classes],
                &mut gh[..m * hidden],
            );
            // Forward: h = relu(x·W1ᵀ + b1), the outputs h·W2ᵀ + b2 in g.
            for row in h.chunks_exact_mut(hidden) {
                row.copy_from_slice(b1);
            }
            matmul(h, x, View::new(w1, hidden, inputs).t(), 1.0, true);
            for v in h.iter_mut() {
                *v = v.max(0.0);
            }
            for row in g.chunks_exact_mut(classes) {
                row.copy_from_slice(b2);
            }
            matmul(
                g,
                View::new(h, m, hidden),
                View::new(w2, classes, hidden).t(),
                1.0,
                true,
            );
            // The loss is reported for the last epoch only.
            let loss = output_gradient(objective, g, data, start..end, epoch + 1 == epochs);
            sum += loss / m as f64;
            // gh = g·W2 through the ReLU, with W2 before this step's update.
            matmul(
                gh,
                View::new(g, m, classes),
                View::new(w2, classes, hidden),
                1.0,
                false,
            );
            for (d, &hv) in gh.iter_mut().zip(h.iter()) {
                if hv <= 0.0 {
                    *d = 0.0;
                }
            }
            // W2 -= lr·gᵀh, W1 -= lr·ghᵀx; the biases by the column sums.
            matmul(
                w2,
                View::new(g, m, classes).t(),
                View::new(h, m, hidden),
                -lr,
                true,
            );
            matmul(w1, View::new(gh, m, hidden).t(), x, -lr, true);
            for row in g.chunks_exact(classes) {
                axpy(b2, -lr, row);
            }
            for row in gh.chunks_exact(hidden) {
                axpy(b1, -lr, row);
            }
            batches += 1;
            start = end;
        }
        last = sum / batches as f64;
    }
    last
}

/// The logits of the MLP `params` (as in [`sgd`]) for the `n` examples in `features` (row-major,
/// `n × inputs`), row-major `n × classes`. The caller checks the shapes.
pub(crate) fn logits(
    params: &[f32],
    (inputs, hidden, classes): (usize, usize, usize),
    features: &[f32],
    n: usize,
) -> Vec<f32> {
    let (b1, rest) = params.split_at(hidden);
    let (w1, rest) = rest.split_at(hidden * inputs);
    let (b2, w2) = rest.split_at(classes);
    let mut h = vec![0f32; n * hidden];
    let mut logits = vec![0f32; n * classes];
    for row in h.chunks_exact_mut(hidden) {
        row.copy_from_slice(b1);
    }
    let x = View::new(features, n, inputs);
    matmul(&mut h, x, View::new(w1, hidden, inputs).t(), 1.0, true);
    for v in h.iter_mut() {
        *v = v.max(0.0);
    }
    for row in logits.chunks_exact_mut(classes) {
        row.copy_from_slice(b2);
    }
    let h = View::new(&h, n, hidden);
    matmul(
        &mut logits,
        h,
        View::new(w2, classes, hidden).t(),
        1.0,
        true,
    );
    logits
}

/// The mean loss of the MLP `params` (as in [`sgd`]) on `data`, which is not empty, and its
/// accuracy: softmax cross-entropy and the share of examples whose highest output is the label
/// (a tie goes to the lowest class) for classification, the mean squared error and 0 for
/// regression, where accuracy has no meaning.
pub(crate) fn evaluate(
    params: &[f32],
    dims: (usize, usize, usize),
    objective: Objective,
    data: &Dataset,
) -> (f64, f64) {
    let classes = dims.2;
    let logits = logits(params, dims, &data.features, data.len());
    let n = data.len();
    if objective == Objective::Regression {
        let squared: f64 = logits
            .iter()
            .zip(&data.targets)
            .map(|(&p, &y)| f64::from(p - y).powi(2))
            .sum();
        return (squared / n as f64, 0.0);
    }
    let (mut loss, mut right) = (0.0, 0usize);
    for (row, &label) in logits.chunks_exact(classes).zip(&data.labels) {
        let (mut best, mut max) = (0, f32::NEG_INFINITY);
        for (c, &v) in row.iter().enumerate() {
            if v > max {
                (best, max) = (c, v);
            }
        }
        let total: f32 = row.iter().map(|v| (v - max).exp()).sum();
        loss += f64::from(max + total.ln() - row[label as usize]);
        right += usize::from(best == label as usize);
    }
    (loss / n as f64, right as f64 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matmul_follows_the_strides_and_refuses_what_does_not_fit() {
        // a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [1, 1]].
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let b = [1.0, 0.0, 0.0, 1.0, 1.0, 1.0];
        let mut c = [1.0; 4];
        matmul(&mut c, View::new(&a, 2, 3), View::new(&b, 3, 2), 2.0, true);
        assert_eq!(c, [9.0, 11.0, 21.0, 23.0]);
        // aᵀ·a, through the transposed view.
        let mut d = [0.0; 9];
        matmul(
            &mut d,
            View::new(&a, 2, 3).t(),
            View::new(&a, 2, 3),
            1.0,
            false,
        );
        assert_eq!(d, [17.0, 22.0, 27.0, 22.0, 29.0, 36.0, 27.0, 36.0, 45.0]);
        let short = std::panic::catch_unwind(|| {
            let mut e = [0.0; 4];
            matmul(
                &mut e,
                View::new(&a[..5], 2, 3),
                View::new(&b, 3, 2),
                1.0,
                false,
            );
        });
        assert!(short.is_err(), "a view past its slice must be refused");
    }
}
