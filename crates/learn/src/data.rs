//! Training data: examples as flat `f32` features with an integer label (classification) or
//! a real-valued target (regression), read from CSV files (features, then the label or target,
//! per line), the digits data set shipped with Plexus, and the partitions a devnet gives its
//! participants.

/// A data set of `len()` examples, `dim` features each (`features.len() == len() × dim`).
/// A classification set has one label per example in `labels` and no `targets`; a regression
/// set (see [`Dataset::regression`]) has one target per example in `targets`, no `labels`, and
/// `classes` 0.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub dim: usize,
    pub classes: usize,
    pub features: Vec<f32>,
    pub labels: Vec<u32>,
    pub targets: Vec<f32>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DataError {
    #[error("line {line}: {reason}")]
    Line { line: usize, reason: String },
    #[error("no examples")]
    Empty,
    #[error("npy: {0}")]
    Npy(String),
}

/// The 8×8 handwritten digits (1797 images, pixels 0..16, 10 classes); see `data/README.md`.
pub const DIGITS_CSV: &str = include_str!("../data/digits.csv");

impl Dataset {
    /// A classification set: `labels[i]` is the class of example `i`.
    pub fn labelled(dim: usize, classes: usize, features: Vec<f32>, labels: Vec<u32>) -> Dataset {
        Dataset {
            dim,
            classes,
            features,
            labels,
            targets: Vec::new(),
        }
    }

    /// A regression set: `targets[i]` is the value to predict from example `i`.
    pub fn regression(dim: usize, features: Vec<f32>, targets: Vec<f32>) -> Dataset {
        Dataset {
            dim,
            classes: 0,
            features,
            labels: Vec::new(),
            targets,
        }
    }

    /// Whether the examples carry real-valued targets rather than labels.
    pub fn is_regression(&self) -> bool {
        !self.targets.is_empty()
    }

    pub fn len(&self) -> usize {
        self.labels.len().max(self.targets.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The features of example `i`.
    pub fn example(&self, i: usize) -> &[f32] {
        &self.features[i * self.dim..(i + 1) * self.dim]
    }

    /// Parses CSV text: each non-empty line is `f1,…,fd,label`, every line with the same d,
    /// labels below `classes`. Features are scaled by `scale` (1/16 for the digits' pixels).
    pub fn from_csv(text: &str, classes: usize, scale: f32) -> Result<Dataset, DataError> {
        let CsvRows {
            dim,
            features,
            last,
        } = csv_rows(text, scale)?;
        let labels = last
            .into_iter()
            .map(|(line, field)| {
                let bad = |reason: String| DataError::Line { line, reason };
                let label: u32 = field
                    .parse()
                    .map_err(|_| bad(format!("label {field:?} is not a class number")))?;
                if label as usize >= classes {
                    return Err(bad(format!("label {label} is not below {classes}")));
                }
                Ok(label)
            })
            .collect::<Result<_, _>>()?;
        Ok(Dataset::labelled(dim, classes, features, labels))
    }

    /// Parses CSV text of a regression set: each non-empty line is `f1,…,fd,target`, every
    /// line with the same d, the target a finite number. Features are scaled by `scale`, the
    /// target is not.
    pub fn from_csv_targets(text: &str, scale: f32) -> Result<Dataset, DataError> {
        let CsvRows {
            dim,
            features,
            last,
        } = csv_rows(text, scale)?;
        let targets = last
            .into_iter()
            .map(|(line, field)| match field.parse::<f32>() {
                Ok(y) if y.is_finite() => Ok(y),
                _ => Err(DataError::Line {
                    line,
                    reason: format!("target {field:?} is not a finite number"),
                }),
            })
            .collect::<Result<_, _>>()?;
        Ok(Dataset::regression(dim, features, targets))
    }

    /// Reads an NPY file holding a 2-D array of numbers: one example per row, the features,
    /// then the label (an integer below `classes`). Features are scaled by `scale`.
    pub fn from_npy(
        path: &std::path::Path,
        classes: usize,
        scale: f32,
    ) -> Result<Dataset, DataError> {
        let npy = |e: candle_core::Error| DataError::Npy(format!("{}: {e}", path.display()));
        let tensor = candle_core::Tensor::read_npy(path).map_err(npy)?;
        let (rows, cols) = tensor.dims2().map_err(npy)?;
        if rows == 0 {
            return Err(DataError::Empty);
        }
        if cols < 2 {
            return Err(DataError::Npy("a row needs features and a label".into()));
        }
        let values: Vec<Vec<f64>> = tensor
            .to_dtype(candle_core::DType::F64)
            .and_then(|t| t.to_vec2())
            .map_err(npy)?;
        let dim = cols - 1;
        let mut features = Vec::with_capacity(rows * dim);
        let mut labels = Vec::with_capacity(rows);
        for (i, row) in values.iter().enumerate() {
            let bad = |reason: String| DataError::Line {
                line: i + 1,
                reason,
            };
            for x in &row[..dim] {
                if !x.is_finite() {
                    return Err(bad(format!("{x} is not finite")));
                }
                features.push(*x as f32 * scale);
            }
            let label = row[dim];
            if label.fract() != 0.0 || label < 0.0 || label >= classes as f64 {
                return Err(bad(format!("label {label} is not a class below {classes}")));
            }
            labels.push(label as u32);
        }
        Ok(Dataset::labelled(dim, classes, features, labels))
    }

    /// The shipped digits, pixels scaled to 0..1.
    pub fn digits() -> Dataset {
        Dataset::from_csv(DIGITS_CSV, 10, 1.0 / 16.0).expect("the shipped digits parse")
    }

    /// The examples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut features = Vec::with_capacity(indices.len() * self.dim);
        for &i in indices {
            features.extend_from_slice(self.example(i));
        }
        let pick = |values: &[f32]| -> Vec<f32> {
            if values.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| values[i]).collect()
            }
        };
        Dataset {
            dim: self.dim,
            classes: self.classes,
            targets: pick(&self.targets),
            features,
            labels: if self.labels.is_empty() {
                Vec::new()
            } else {
                indices.iter().map(|&i| self.labels[i]).collect()
            },
        }
    }

    /// Splits off a held-out set: every `k`-th example (by index) is held out. Deterministic,
    /// and every class is represented in both parts of the digits.
    pub fn split_every(&self, k: usize) -> (Dataset, Dataset) {
        let (held, kept): (Vec<usize>, Vec<usize>) = (0..self.len()).partition(|i| i % k == 0);
        (self.subset(&kept), self.subset(&held))
    }

    /// Non-IID partition over `parts` participants, skewed by label: of the examples sorted by
    /// label (then index), those at even positions are cut into `2 × parts` shards and
    /// participant p gets shards p and p + parts (McMahan et al.'s split: two or three digits
    /// each), and those at odd positions are dealt round-robin. So each participant holds
    /// mostly a few digits and a little of every other, as people's own data would be.
    pub fn non_iid_partition(&self, parts: usize) -> Vec<Vec<usize>> {
        let parts = parts.max(1);
        let mut order: Vec<usize> = (0..self.len()).collect();
        order.sort_by_key(|&i| (self.labels[i], i));
        let skewed: Vec<usize> = order.iter().step_by(2).copied().collect();
        let shards = 2 * parts;
        let shard = |s: usize| {
            let start = s * skewed.len() / shards;
            let end = (s + 1) * skewed.len() / shards;
            skewed[start..end].to_vec()
        };
        let mut out: Vec<Vec<usize>> = (0..parts)
            .map(|p| {
                let mut mine = shard(p);
                mine.extend(shard(p + parts));
                mine
            })
            .collect();
        for (k, i) in order.iter().skip(1).step_by(2).enumerate() {
            out[k % parts].push(*i);
        }
        out
    }
}

/// The indices `0..len` in an order drawn from `seed` (a Fisher–Yates pass over splitmix64):
/// the same seed, the same order.
pub fn shuffled_order(len: usize, seed: u64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    let mut state = seed;
    for i in (1..len).rev() {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        order.swap(i, ((z ^ (z >> 31)) % (i as u64 + 1)) as usize);
    }
    order
}

/// The rows of CSV text: the width d, the features of every line, and each line's number and
/// last field, for the caller to read as a label or a target.
struct CsvRows<'a> {
    dim: usize,
    features: Vec<f32>,
    last: Vec<(usize, &'a str)>,
}

/// Reads CSV text into [`CsvRows`], every feature scaled by `scale`.
fn csv_rows(text: &str, scale: f32) -> Result<CsvRows<'_>, DataError> {
    let mut dim = None;
    let mut features = Vec::new();
    let mut last = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: String| DataError::Line {
            line: i + 1,
            reason,
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let d = fields.len() - 1;
        if d == 0 {
            return Err(bad("a line needs features and a label".into()));
        }
        if *dim.get_or_insert(d) != d {
            return Err(bad(format!(
                "{d} features, earlier lines have {}",
                dim.unwrap_or(0)
            )));
        }
        for f in &fields[..d] {
            let x: f32 = f
                .parse()
                .map_err(|_| bad(format!("{f:?} is not a number")))?;
            if !x.is_finite() {
                return Err(bad(format!("{f:?} is not finite")));
            }
            features.push(x * scale);
        }
        last.push((i + 1, fields[d]));
    }
    let dim = dim.ok_or(DataError::Empty)?;
    Ok(CsvRows {
        dim,
        features,
        last,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_digits_are_complete() {
        let d = Dataset::digits();
        assert_eq!(d.len(), 1797);
        assert_eq!(d.dim, 64);
        for c in 0..10 {
            let n = d.labels.iter().filter(|l| **l == c).count();
            assert!((170..=190).contains(&n), "digit {c}: {n} images");
        }
        assert!(d.features.iter().all(|x| (0.0..=1.0).contains(x)));
    }

    #[test]
    fn a_partition_covers_every_example_once_and_is_skewed() {
        let d = Dataset::digits();
        let parts = d.non_iid_partition(8);
        let mut all: Vec<usize> = parts.iter().flatten().copied().collect();
        all.sort_unstable();
        assert_eq!(all, (0..d.len()).collect::<Vec<_>>());
        for p in &parts {
            // Every digit appears, but two of them hold well over their even share (a fifth).
            let mut counts = [0usize; 10];
            for &i in p {
                counts[d.labels[i] as usize] += 1;
            }
            assert!(counts.iter().all(|c| *c > 0), "{counts:?}");
            counts.sort_unstable();
            assert!(counts[8] + counts[9] > p.len() * 3 / 10, "{counts:?}");
        }
        let (train, test) = d.split_every(5);
        assert_eq!(train.len() + test.len(), d.len());
    }

    #[test]
    fn regression_csv_reads_real_targets_and_subsets_keep_them() {
        let d = Dataset::from_csv_targets("1,2,0.5\n3,4,-1.25\n", 0.5).unwrap();
        assert!(d.is_regression());
        assert_eq!((d.len(), d.dim), (2, 2));
        assert_eq!(d.features, vec![0.5, 1.0, 1.5, 2.0]);
        assert_eq!(d.targets, vec![0.5, -1.25]);
        let back = d.subset(&[1, 0]);
        assert_eq!(back.targets, vec![-1.25, 0.5]);
        assert!(back.labels.is_empty());
        let err = Dataset::from_csv_targets("1,2,x\n", 1.0).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: target \"x\" is not a finite number"
        );
        assert!(Dataset::from_csv_targets("1,nan\n", 1.0).is_err());
    }

    #[test]
    fn bad_csv_is_refused_by_line() {
        let err = |text: &str| Dataset::from_csv(text, 10, 1.0).unwrap_err().to_string();
        assert_eq!(
            err("1,2,3\n1,2\n"),
            "line 2: 1 features, earlier lines have 2"
        );
        assert_eq!(err("1,x,3\n"), "line 1: \"x\" is not a number");
        assert_eq!(err("1,2,10\n"), "line 1: label 10 is not below 10");
        assert_eq!(
            err("1,2,-1\n"),
            "line 1: label \"-1\" is not a class number"
        );
        assert_eq!(err("1,inf,3\n"), "line 1: \"inf\" is not finite");
        assert_eq!(err("\n\n"), "no examples");
        assert_eq!(err("5\n"), "line 1: a line needs features and a label");
    }
}
