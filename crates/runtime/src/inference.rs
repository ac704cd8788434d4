//! Inference jobs: a `plexus-learn` model run on the CPU over rows of features.
//!
//! - The model blob is the model's parameters as `plexus-learn` publishes them
//!   ([`plexus_learn::task::params_to_bytes`]: each `f32` little endian, in the model's
//!   parameter order). Its length must be exactly the architecture's parameter count × 4.
//! - The rows are either NPY (a 2-D C-order array of `<f4` or `<f8`, one example per row) or
//!   CSV text (one example per non-empty line, features only, comma-separated). Every value must
//!   be finite, and every row must have as many features as the model takes (64, an 8×8 image,
//!   for the CNN). Features are used as given, without scaling.
//! - The output is NPY: a 2-D C-order `<f4` array of shape `(rows, classes)` holding each
//!   row's logits (before softmax), written with the NPY 1.0 header that numpy writes.
//!
//! Logits are computed `batch` rows at a time. Across machines and batch sizes they agree to
//! rounding, not bit for bit, which is why a re-execution is compared with a tolerance
//! ([`crate::job::outputs_agree`]).

use plexus_learn::model::{Architecture as LearnArchitecture, Model};
use plexus_market::spec::{Architecture, MAX_OUTPUT_BYTES};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InferenceError {
    #[error(
        "the model blob is {bytes} bytes; this architecture has {params} parameters of 4 bytes"
    )]
    ModelLength { bytes: usize, params: u64 },
    #[error("the architecture is too large to run")]
    ModelTooLarge,
    #[error("the rows are neither NPY nor UTF-8 CSV")]
    NotRows,
    #[error("npy: {0}")]
    Npy(String),
    #[error("csv line {line}: {reason}")]
    Csv { line: usize, reason: String },
    #[error("no rows")]
    NoRows,
    #[error("the rows have {got} features, the model takes {expected}")]
    Features { got: usize, expected: usize },
    #[error("the logits would be {0} bytes, more than a job may return")]
    OutputTooLarge(u64),
    #[error("the model: {0}")]
    Model(String),
}

/// Rows of features: `values.len() == rows × cols`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rows {
    pub rows: usize,
    pub cols: usize,
    pub values: Vec<f32>,
}

/// The parameter count of `architecture`, as `plexus-learn` lays the model out (the MLP:
/// two linear layers with biases; the CNN: a 3×3 convolution with `channels` filters over an
/// 8×8 image, then a linear layer over the 4×4 pooled maps), or `None` past `u64`.
pub fn param_count(architecture: &Architecture) -> Option<u64> {
    match *architecture {
        Architecture::Mlp {
            inputs,
            hidden,
            classes,
        } => {
            let (i, h, c) = (u64::from(inputs), u64::from(hidden), u64::from(classes));
            h.checked_mul(i)?
                .checked_add(h)?
                .checked_add(c.checked_mul(h)?)?
                .checked_add(c)
        }
        Architecture::Cnn { channels, classes } => {
            let (ch, c) = (u64::from(channels), u64::from(classes));
            ch.checked_mul(9)?
                .checked_add(ch)?
                .checked_add(c.checked_mul(ch)?.checked_mul(16)?)?
                .checked_add(c)
        }
    }
}

/// Runs `architecture` with the parameters in `model` over the rows in `input`, `batch` rows
/// at a time, and returns the logits as NPY.
pub fn run_inference(
    architecture: &Architecture,
    batch: u32,
    model: &[u8],
    input: &[u8],
) -> Result<Vec<u8>, InferenceError> {
    // The blob's length is checked against the architecture before anything is allocated for
    // the model, so a huge architecture costs no more than the blob it comes with.
    let params = param_count(architecture).ok_or(InferenceError::ModelTooLarge)?;
    if params.checked_mul(4) != Some(model.len() as u64) {
        return Err(InferenceError::ModelLength {
            bytes: model.len(),
            params,
        });
    }
    let (learn_arch, inputs, classes) = match *architecture {
        Architecture::Mlp {
            inputs,
            hidden,
            classes,
        } => (
            LearnArchitecture::Mlp {
                hidden: hidden as usize,
            },
            inputs as usize,
            classes as usize,
        ),
        Architecture::Cnn { channels, classes } => (
            LearnArchitecture::Cnn {
                channels: channels as usize,
            },
            64,
            classes as usize,
        ),
    };
    let rows = read_rows(input)?;
    if rows.cols != inputs {
        return Err(InferenceError::Features {
            got: rows.cols,
            expected: inputs,
        });
    }
    let out_bytes = (rows.rows as u64)
        .checked_mul(classes as u64)
        .and_then(|n| n.checked_mul(4))
        .unwrap_or(u64::MAX);
    if out_bytes > MAX_OUTPUT_BYTES {
        return Err(InferenceError::OutputTooLarge(out_bytes));
    }
    let model_err = |e: plexus_learn::model::ModelError| InferenceError::Model(e.to_string());
    let params = plexus_learn::task::params_from_bytes(model)
        .map_err(|e| InferenceError::Model(e.to_string()))?;
    let net = Model::new(learn_arch, inputs, classes, 0).map_err(model_err)?;
    net.set_params(&params).map_err(model_err)?;
    let logits = net
        .logits(&rows.values, batch.max(1) as usize)
        .map_err(model_err)?;
    Ok(write_npy(rows.rows, classes, &logits))
}

/// Reads rows from NPY (recognised by its magic bytes) or else CSV.
pub fn read_rows(bytes: &[u8]) -> Result<Rows, InferenceError> {
    let rows = if bytes.starts_with(NPY_MAGIC) {
        read_npy(bytes, &[Dtype::F32, Dtype::F64])?
    } else {
        let text = std::str::from_utf8(bytes).map_err(|_| InferenceError::NotRows)?;
        read_csv(text)?
    };
    if let Some(bad) = rows.values.iter().find(|v| !v.is_finite()) {
        return Err(InferenceError::Npy(format!("{bad} is not finite")));
    }
    if rows.rows == 0 {
        return Err(InferenceError::NoRows);
    }
    Ok(rows)
}

fn read_csv(text: &str) -> Result<Rows, InferenceError> {
    let mut cols = None;
    let mut values = Vec::new();
    let mut rows = 0;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: String| InferenceError::Csv {
            line: i + 1,
            reason,
        };
        let mut n = 0;
        for field in line.split(',').map(str::trim) {
            let x: f32 = field
                .parse()
                .map_err(|_| bad(format!("{field:?} is not a number")))?;
            if !x.is_finite() {
                return Err(bad(format!("{field:?} is not finite")));
            }
            values.push(x);
            n += 1;
        }
        if *cols.get_or_insert(n) != n {
            return Err(bad(format!(
                "{n} values, earlier lines have {}",
                cols.unwrap_or(0)
            )));
        }
        rows += 1;
    }
    Ok(Rows {
        rows,
        cols: cols.unwrap_or(0),
        values,
    })
}

const NPY_MAGIC: &[u8] = b"\x93NUMPY";
/// Largest NPY header read; numpy's own limit for version 1.0 files is 64 KiB.
const MAX_NPY_HEADER: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dtype {
    F32,
    F64,
}

/// Reads a 2-D C-order NPY array of one of `accept`'s types, checking the header's shape
/// against the data's length before converting anything.
fn read_npy(bytes: &[u8], accept: &[Dtype]) -> Result<Rows, InferenceError> {
    let bad = |reason: &str| InferenceError::Npy(reason.to_string());
    let rest = bytes.strip_prefix(NPY_MAGIC).ok_or(bad("no NPY magic"))?;
    let (header_len, rest) = match rest {
        [1, 0, a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        [2 | 3, 0, a, b, c, d, rest @ ..] => {
            let len = u32::from_le_bytes([*a, *b, *c, *d]);
            (usize::try_from(len).unwrap_or(usize::MAX), rest)
        }
        _ => return Err(bad("an NPY version this reader does not know")),
    };
    if header_len > MAX_NPY_HEADER || header_len > rest.len() {
        return Err(bad("the header is longer than the file or than 64 KiB"));
    }
    let (header, data) = rest.split_at(header_len);
    let header = std::str::from_utf8(header).map_err(|_| bad("the header is not text"))?;
    let (dtype, rows, cols) = parse_npy_header(header)?;
    if !accept.contains(&dtype) {
        return Err(bad("the array's type is not accepted here"));
    }
    let size = match dtype {
        Dtype::F32 => 4,
        Dtype::F64 => 8,
    };
    let expected = rows.checked_mul(cols).and_then(|n| n.checked_mul(size));
    if expected != Some(data.len()) {
        return Err(InferenceError::Npy(format!(
            "the shape ({rows}, {cols}) does not match the {} bytes of data",
            data.len()
        )));
    }
    let values = match dtype {
        Dtype::F32 => data
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]) as f32)
            .collect(),
    };
    Ok(Rows { rows, cols, values })
}

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (rows, cols), }`: exactly those
/// three keys, in any order, each once.
fn parse_npy_header(header: &str) -> Result<(Dtype, usize, usize), InferenceError> {
    let bad = |reason: &str| InferenceError::Npy(format!("header {header:?}: {reason}"));
    let compact: String = header.chars().filter(|c| !c.is_whitespace()).collect();
    let body = compact
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or(bad("not a dictionary"))?;
    let body = body.strip_suffix(',').unwrap_or(body);
    // Split at the commas outside the shape's parentheses.
    let mut items = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in body.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&body[start..]);
    let (mut dtype, mut fortran, mut shape) = (None, None, None);
    for item in items {
        let (key, value) = item.split_once(':').ok_or(bad("an entry without a key"))?;
        let slot_taken = match key {
            "'descr'" => dtype
                .replace(match value {
                    "'<f4'" => Dtype::F32,
                    "'<f8'" => Dtype::F64,
                    _ => return Err(bad("only little-endian f32 and f64 are read")),
                })
                .is_some(),
            "'fortran_order'" => fortran.replace(value == "False").is_some(),
            "'shape'" => {
                let dims = value
                    .strip_prefix('(')
                    .and_then(|s| s.strip_suffix(')'))
                    .ok_or(bad("the shape is not a tuple"))?;
                let dims: Vec<usize> = dims
                    .split(',')
                    .filter(|d| !d.is_empty())
                    .map(|d| d.parse().map_err(|_| bad("a dimension is not a count")))
                    .collect::<Result<_, _>>()?;
                let [rows, cols] = dims[..] else {
                    return Err(bad("the array is not 2-D (rows, features)"));
                };
                shape.replace((rows, cols)).is_some()
            }
            _ => return Err(bad("an unknown key")),
        };
        if slot_taken {
            return Err(bad("a key given twice"));
        }
    }
    match (dtype, fortran, shape) {
        (Some(dtype), Some(true), Some((rows, cols))) => Ok((dtype, rows, cols)),
        (_, Some(false), _) => Err(bad("Fortran order is not read")),
        _ => Err(bad("a key is missing")),
    }
}

/// `values` (row-major, `rows × cols`) as NPY 1.0 `<f4`, its header padded with spaces so the
/// data starts at a multiple of 64 bytes, as numpy writes it.
pub fn write_npy(rows: usize, cols: usize, values: &[f32]) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    let unpadded = NPY_MAGIC.len() + 4 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut out = Vec::with_capacity(NPY_MAGIC.len() + 4 + header.len() + values.len() * 4);
    out.extend_from_slice(NPY_MAGIC);
    out.extend_from_slice(&[1, 0]);
    // A header holds two counts and fixed text: far below 64 KiB.
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Reads logits written by [`write_npy`] (any 2-D `<f4` NPY).
pub fn read_logits(bytes: &[u8]) -> Result<Rows, InferenceError> {
    read_npy(bytes, &[Dtype::F32])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npy_round_trips_and_bad_headers_are_refused() {
        let values = [1.0f32, -2.5, 3.25, 0.0, 7.0, 8.5];
        let npy = write_npy(2, 3, &values);
        assert_eq!(
            (npy.len() - 24) % 64,
            0,
            "the data starts on a 64-byte line"
        );
        let rows = read_logits(&npy).unwrap();
        assert_eq!((rows.rows, rows.cols), (2, 3));
        assert_eq!(rows.values, values);
        let header_end = npy.len() - 24;
        let swap = |from: &str, to: &str| {
            let head = std::str::from_utf8(&npy[10..header_end]).unwrap();
            let mut out = npy[..10].to_vec();
            out.extend_from_slice(head.replace(from, to).as_bytes());
            out.extend_from_slice(&npy[header_end..]);
            out
        };
        for (from, to) in [
            ("(2, 3)", "(3, 3)"),
            ("(2, 3)", "(6,)  "),
            ("False", "True "),
            ("'<f4'", "'>f4'"),
            ("'descr'", "'dtype'"),
        ] {
            assert!(read_logits(&swap(from, to)).is_err(), "{from} -> {to}");
        }
        assert!(read_logits(&npy[..npy.len() - 1]).is_err());
        assert!(read_logits(b"\x93NUMPY\x01\x00\xff\xff{").is_err());
    }

    #[test]
    fn csv_rows_are_checked_line_by_line() {
        let rows = read_rows(b"1, 2, 3\n\n4,5,6\n").unwrap();
        assert_eq!((rows.rows, rows.cols), (2, 3));
        let err = |text: &str| read_rows(text.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err("1,2\n1,2,3"),
            "csv line 2: 3 values, earlier lines have 2"
        );
        assert_eq!(err("1,x"), "csv line 1: \"x\" is not a number");
        assert_eq!(err("1,NaN"), "csv line 1: \"NaN\" is not finite");
        assert_eq!(err("\n"), "no rows");
        assert_eq!(
            read_rows(&[0xff, 0xfe]).unwrap_err(),
            InferenceError::NotRows
        );
    }
}
