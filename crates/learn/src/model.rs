//! Models as one flat parameter vector, trained and evaluated with candle on the CPU: an MLP
//! and a small CNN for 8×8 images, classifiers or (with [`Objective::Regression`]) regressors of
//! one real value. The MLP trains and evaluates through [`crate::mlp`], its
//! steps written out over candle's matrix kernels, which for a model this small is about
//! twice as fast and agrees with candle's autograd and layers to rounding (tested below).
//! Parameters are ordered by their names, so `params` and `set_params` are the exchange
//! format between participants and the coordinator. Initial weights come from a seed, so a
//! task's starting model is reproducible.

use crate::data::Dataset;
use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use serde::{Deserialize, Serialize};

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("candle: {0}")]
    Candle(#[from] candle_core::Error),
    #[error("{got} parameters given, the model has {expected}")]
    Params { got: usize, expected: usize },
    #[error("the data has {got} features per example, the model takes {expected}")]
    Features { got: usize, expected: usize },
    #[error("the CNN takes 8×8 images (64 features), not {0}")]
    NotAnImage(usize),
    #[error("label {label} is not one of the model's {classes} classes")]
    Label { label: u32, classes: usize },
    #[error("the model's objective is {model:?}, the data's {data:?}")]
    Objective { model: Objective, data: Objective },
    #[error("target {index} is not a finite number")]
    Target { index: usize },
    #[error("no examples to train or evaluate on")]
    NoData,
    #[error("{values} values are not a whole number of examples of {features} features")]
    Ragged { values: usize, features: usize },
}

/// A model's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Architecture {
    /// inputs → `hidden` (ReLU) → classes.
    Mlp { hidden: usize },
    /// 8×8 image → 3×3 convolution with `channels` filters (ReLU) → 2×2 max-pool → classes.
    Cnn { channels: usize },
}

pub use crate::objective::Objective;
pub use crate::train_config::TrainConfig;

enum Net {
    Mlp(candle_nn::Linear, candle_nn::Linear),
    Cnn(candle_nn::Conv2d, candle_nn::Linear),
}

pub struct Model {
    pub arch: Architecture,
    pub inputs: usize,
    /// Outputs per example: the classes, or 1 for a regression model.
    pub classes: usize,
    pub objective: Objective,
    vars: VarMap,
    net: Net,
    device: Device,
}

/// splitmix64: the seeded stream initial weights are drawn from.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Model {
    /// A classifier with weights drawn from `seed`: uniform in ±1/√fan_in, biases zero.
    pub fn new(
        arch: Architecture,
        inputs: usize,
        classes: usize,
        seed: u64,
    ) -> Result<Model, ModelError> {
        Model::with_objective(arch, inputs, classes, Objective::Classification, seed)
    }

    /// A regression model of one real-valued output, its hidden weights drawn as in
    /// [`Model::new`] and its output layer zero (see [`Model::with_objective`]).
    pub fn regression(arch: Architecture, inputs: usize, seed: u64) -> Result<Model, ModelError> {
        Model::with_objective(arch, inputs, 1, Objective::Regression, seed)
    }

    /// A model of `classes` outputs trained for `objective`, weights drawn as in [`Model::new`];
    /// a regression model's output layer starts at zero, so that it first predicts 0.
    pub fn with_objective(
        arch: Architecture,
        inputs: usize,
        classes: usize,
        objective: Objective,
        seed: u64,
    ) -> Result<Model, ModelError> {
        let device = Device::Cpu;
        let vars = VarMap::new();
        let vb = VarBuilder::from_varmap(&vars, DType::F32, &device);
        let net = match arch {
            Architecture::Mlp { hidden } => Net::Mlp(
                candle_nn::linear(inputs, hidden, vb.pp("l1"))?,
                candle_nn::linear(hidden, classes, vb.pp("l2"))?,
            ),
            Architecture::Cnn { channels } => {
                if inputs != 64 {
                    return Err(ModelError::NotAnImage(inputs));
                }
                let cfg = candle_nn::Conv2dConfig {
                    padding: 1,
                    ..Default::default()
                };
                Net::Cnn(
                    candle_nn::conv2d(1, channels, 3, cfg, vb.pp("conv"))?,
                    candle_nn::linear(channels * 16, classes, vb.pp("fc"))?,
                )
            }
        };
        let model = Model {
            arch,
            inputs,
            classes,
            objective,
            vars,
            net,
            device,
        };
        // A regression model starts with its output layer at zero, predicting 0 for every
        // example: the mean of targets centred as a task's should be. From random output
        // weights it would start far worse than that constant, and a round's scores would pay
        // any update for undoing the noise, one trained on made-up targets as much as an
        // honest one, rather than for what it learned.
        let output = match arch {
            Architecture::Mlp { .. } => "l2.",
            Architecture::Cnn { .. } => "fc.",
        };
        let zeroed = |name: &str| {
            name.ends_with("bias")
                || (objective == Objective::Regression && name.starts_with(output))
        };
        let mut state = seed;
        let mut init = Vec::with_capacity(model.num_params());
        for (name, var) in model.named_vars() {
            let dims = var.dims().to_vec();
            let n: usize = dims.iter().product();
            if zeroed(&name) {
                init.extend(std::iter::repeat_n(0.0, n));
                continue;
            }
            let fan_in: usize = dims[1..].iter().product();
            let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
            for _ in 0..n {
                let unit = (splitmix(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
                init.push(((unit * 2.0 - 1.0) * bound) as f32);
            }
        }
        model.set_params(&init)?;
        Ok(model)
    }

    fn named_vars(&self) -> Vec<(String, candle_core::Var)> {
        let data = self.vars.data().lock().unwrap_or_else(|p| p.into_inner());
        let mut vars: Vec<(String, candle_core::Var)> =
            data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    }

    pub fn num_params(&self) -> usize {
        self.named_vars().iter().map(|(_, v)| v.elem_count()).sum()
    }

    /// Every parameter, variables in name order, each flattened in row order.
    pub fn params(&self) -> Result<Vec<f32>, ModelError> {
        let mut out = Vec::with_capacity(self.num_params());
        for (_, var) in self.named_vars() {
            out.extend(var.as_tensor().flatten_all()?.to_vec1::<f32>()?);
        }
        Ok(out)
    }

    /// Replaces every parameter, in the order of [`Model::params`].
    pub fn set_params(&self, params: &[f32]) -> Result<(), ModelError> {
        let expected = self.num_params();
        if params.len() != expected {
            return Err(ModelError::Params {
                got: params.len(),
                expected,
            });
        }
        let mut at = 0;
        for (_, var) in self.named_vars() {
            let n = var.elem_count();
            let t = Tensor::from_slice(&params[at..at + n], var.dims(), &self.device)?;
            var.set(&t)?;
            at += n;
        }
        Ok(())
    }

    fn forward(&self, xs: &Tensor) -> Result<Tensor, ModelError> {
        Ok(match &self.net {
            Net::Mlp(l1, l2) => l2.forward(&l1.forward(xs)?.relu()?)?,
            Net::Cnn(conv, fc) => {
                let n = xs.dim(0)?;
                let img = xs.reshape((n, 1, 8, 8))?;
                let h = conv.forward(&img)?.relu()?.max_pool2d(2)?;
                fc.forward(&h.flatten_from(1)?)?
            }
        })
    }

    fn tensors(
        &self,
        data: &Dataset,
        range: std::ops::Range<usize>,
    ) -> Result<(Tensor, Tensor), ModelError> {
        if data.dim != self.inputs {
            return Err(ModelError::Features {
                got: data.dim,
                expected: self.inputs,
            });
        }
        let xs = Tensor::from_slice(
            &data.features[range.start * data.dim..range.end * data.dim],
            (range.len(), data.dim),
            &self.device,
        )?;
        let ys = match self.objective {
            Objective::Classification => {
                Tensor::from_slice(&data.labels[range.clone()], range.len(), &self.device)?
            }
            Objective::Regression => {
                Tensor::from_slice(&data.targets[range.clone()], (range.len(), 1), &self.device)?
            }
        };
        Ok((xs, ys))
    }

    /// Trains on `data` with plain SGD over mini-batches in order; returns the mean loss of the
    /// last epoch.
    pub fn train(&self, data: &Dataset, config: &TrainConfig) -> Result<f64, ModelError> {
        if data.is_empty() {
            return Err(ModelError::NoData);
        }
        if let Architecture::Mlp { .. } = self.arch {
            return self.train_mlp(data, config);
        }
        self.check_data(data)?;
        self.train_autograd(data, config)
    }

    /// The objective's loss of `outputs` against `ys` ([`Model::tensors`]) as candle computes it.
    fn loss(&self, outputs: &Tensor, ys: &Tensor) -> Result<Tensor, ModelError> {
        Ok(match self.objective {
            Objective::Classification => candle_nn::loss::cross_entropy(outputs, ys)?,
            Objective::Regression => candle_nn::loss::mse(outputs, ys)?,
        })
    }

    /// [`Model::train`] through candle's autograd: any network.
    fn train_autograd(&self, data: &Dataset, config: &TrainConfig) -> Result<f64, ModelError> {
        let mut sgd = candle_nn::SGD::new(self.vars.all_vars(), config.lr)?;
        let batch = config.batch.max(1);
        let mut last = 0.0;
        for _ in 0..config.epochs.max(1) {
            let (mut sum, mut batches) = (0.0, 0usize);
            let mut start = 0;
            while start < data.len() {
                let end = (start + batch).min(data.len());
                let (xs, ys) = self.tensors(data, start..end)?;
                let loss = self.loss(&self.forward(&xs)?, &ys)?;
                sgd.backward_step(&loss)?;
                sum += f64::from(loss.to_scalar::<f32>()?);
                batches += 1;
                start = end;
            }
            last = sum / batches as f64;
        }
        Ok(last)
    }

    /// That `data` is not empty, has this model's features and objective, and only its classes
    /// as labels or finite numbers as targets.
    fn check_data(&self, data: &Dataset) -> Result<(), ModelError> {
        if data.is_empty() {
            return Err(ModelError::NoData);
        }
        if data.dim != self.inputs {
            return Err(ModelError::Features {
                got: data.dim,
                expected: self.inputs,
            });
        }
        let objective = if data.is_regression() {
            Objective::Regression
        } else {
            Objective::Classification
        };
        if data.features.len() != data.len() * data.dim {
            return Err(ModelError::Ragged {
                values: data.features.len(),
                features: data.dim,
            });
        }
        if objective != self.objective {
            return Err(ModelError::Objective {
                model: self.objective,
                data: objective,
            });
        }
        if objective == Objective::Regression {
            if let Some(index) = data.targets.iter().position(|y| !y.is_finite()) {
                return Err(ModelError::Target { index });
            }
            return Ok(());
        }
        if let Some(&label) = data.labels.iter().find(|&&l| l as usize >= self.classes) {
            return Err(ModelError::Label {
                label,
                classes: self.classes,
            });
        }
        Ok(())
    }

    /// [`Model::train`] for the MLP: the same SGD steps as autograd, to rounding, with the
    /// gradients written out on the flat parameters ([`crate::mlp`]).
    fn train_mlp(&self, data: &Dataset, config: &TrainConfig) -> Result<f64, ModelError> {
        let Architecture::Mlp { hidden } = self.arch else {
            return self.train_autograd(data, config);
        };
        self.check_data(data)?;
        let mut params = self.params()?;
        let loss = crate::mlp::sgd(
            &mut params,
            (self.inputs, hidden, self.classes),
            self.objective,
            data,
            config,
        );
        self.set_params(&params)?;
        Ok(loss)
    }

    /// The mean loss on `data` and the accuracy: cross-entropy and the share of examples
    /// classified right for a classifier, the mean squared error and 0 for a regression model
    /// (accuracy has no meaning there).
    pub fn evaluate(&self, data: &Dataset) -> Result<(f64, f64), ModelError> {
        self.check_data(data)?;
        let Architecture::Mlp { hidden } = self.arch else {
            return self.evaluate_candle(data);
        };
        let params = self.params()?;
        Ok(crate::mlp::evaluate(
            &params,
            (self.inputs, hidden, self.classes),
            self.objective,
            data,
        ))
    }

    /// The logits of the examples in `features` (row-major, [`Model::inputs`] values per
    /// example), row-major with [`Model::classes`] values per example, computed `batch`
    /// examples at a time. The MLP runs through [`crate::mlp`] as in [`Model::evaluate`], the
    /// CNN through candle's layers. Batching changes only the grouping of the work, so the
    /// logits of one example agree across batch sizes to rounding.
    pub fn logits(&self, features: &[f32], batch: usize) -> Result<Vec<f32>, ModelError> {
        if features.is_empty() {
            return Err(ModelError::NoData);
        }
        if !features.len().is_multiple_of(self.inputs) {
            return Err(ModelError::Ragged {
                values: features.len(),
                features: self.inputs,
            });
        }
        let rows = features.len() / self.inputs;
        let mut out = Vec::with_capacity(rows * self.classes);
        let params = match self.arch {
            Architecture::Mlp { .. } => self.params()?,
            Architecture::Cnn { .. } => Vec::new(),
        };
        for chunk in features.chunks(batch.max(1) * self.inputs) {
            let n = chunk.len() / self.inputs;
            match self.arch {
                Architecture::Mlp { hidden } => out.extend(crate::mlp::logits(
                    &params,
                    (self.inputs, hidden, self.classes),
                    chunk,
                    n,
                )),
                Architecture::Cnn { .. } => {
                    let xs = Tensor::from_slice(chunk, (n, self.inputs), &self.device)?;
                    out.extend(self.forward(&xs)?.flatten_all()?.to_vec1::<f32>()?);
                }
            }
        }
        Ok(out)
    }

    /// [`Model::evaluate`] through candle's layers: any network.
    fn evaluate_candle(&self, data: &Dataset) -> Result<(f64, f64), ModelError> {
        if data.is_empty() {
            return Err(ModelError::NoData);
        }
        let (xs, ys) = self.tensors(data, 0..data.len())?;
        let logits = self.forward(&xs)?;
        let loss = self.loss(&logits, &ys)?.to_scalar::<f32>()?;
        if self.objective == Objective::Regression {
            return Ok((f64::from(loss), 0.0));
        }
        let right = logits
            .argmax(D::Minus1)?
            .eq(&ys)?
            .to_dtype(DType::F32)?
            .sum_all()?
            .to_scalar::<f32>()?;
        Ok((f64::from(loss), f64::from(right) / data.len() as f64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_round_trip_and_a_seed_fixes_the_initial_model() {
        for arch in [
            Architecture::Mlp { hidden: 32 },
            Architecture::Cnn { channels: 8 },
        ] {
            let a = Model::new(arch, 64, 10, 7).unwrap();
            let b = Model::new(arch, 64, 10, 7).unwrap();
            let p = a.params().unwrap();
            assert_eq!(p, b.params().unwrap());
            assert_ne!(p, Model::new(arch, 64, 10, 8).unwrap().params().unwrap());
            let doubled: Vec<f32> = p.iter().map(|x| x * 2.0).collect();
            a.set_params(&doubled).unwrap();
            assert_eq!(a.params().unwrap(), doubled);
            assert!(matches!(
                a.set_params(&p[1..]),
                Err(ModelError::Params { .. })
            ));
        }
        assert!(matches!(
            Model::new(Architecture::Cnn { channels: 4 }, 63, 10, 1),
            Err(ModelError::NotAnImage(63))
        ));
    }

    #[test]
    fn the_mlp_s_written_out_gradients_are_autograd_s() {
        let (train, _) = Dataset::digits().split_every(5);
        let data = train.subset(&(0..100).collect::<Vec<_>>());
        let config = TrainConfig {
            epochs: 2,
            batch: 16,
            lr: 0.1,
        };
        let a = Model::new(Architecture::Mlp { hidden: 32 }, 64, 10, 5).unwrap();
        let b = Model::new(Architecture::Mlp { hidden: 32 }, 64, 10, 5).unwrap();
        let la = a.train_mlp(&data, &config).unwrap();
        let lb = b.train_autograd(&data, &config).unwrap();
        assert!((la - lb).abs() < 1e-4, "loss {la} vs {lb}");
        let (pa, pb) = (a.params().unwrap(), b.params().unwrap());
        let start = Model::new(Architecture::Mlp { hidden: 32 }, 64, 10, 5)
            .unwrap()
            .params()
            .unwrap();
        assert_ne!(pa, start, "training moved nothing");
        for (x, y) in pa.iter().zip(&pb) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
    }

    /// 200 examples of 6 features whose target is a fixed linear function of them plus a bend.
    fn regression_data() -> Dataset {
        let mut features = Vec::new();
        let mut targets = Vec::new();
        for i in 0..200u32 {
            let x: Vec<f32> = (0..6u32)
                .map(|j| ((i * 7 + j * 13) % 17) as f32 / 17.0 - 0.5)
                .collect();
            targets.push(0.8 * x[0] - 0.5 * x[3] + x[5].abs());
            features.extend(x);
        }
        Dataset::regression(6, features, targets)
    }

    #[test]
    fn the_mlp_s_written_out_regression_gradients_are_autograd_s() {
        let data = regression_data();
        let config = TrainConfig {
            epochs: 3,
            batch: 16,
            lr: 0.05,
        };
        let arch = Architecture::Mlp { hidden: 8 };
        let a = Model::regression(arch, 6, 4).unwrap();
        let b = Model::regression(arch, 6, 4).unwrap();
        let start = a.params().unwrap();
        let la = a.train_mlp(&data, &config).unwrap();
        let lb = b.train_autograd(&data, &config).unwrap();
        assert!((la - lb).abs() < 1e-5, "loss {la} vs {lb}");
        let (pa, pb) = (a.params().unwrap(), b.params().unwrap());
        assert_ne!(pa, start, "training moved nothing");
        for (x, y) in pa.iter().zip(&pb) {
            assert!((x - y).abs() < 1e-5, "{x} vs {y}");
        }
        // Evaluation is the mean squared error, written out or through candle.
        let (mse, accuracy) = a.evaluate(&data).unwrap();
        let (candle_mse, _) = a.evaluate_candle(&data).unwrap();
        assert!(
            (mse - candle_mse).abs() < 1e-5 * candle_mse,
            "{mse} vs {candle_mse}"
        );
        assert_eq!(accuracy, 0.0);
        let predictions = a.logits(&data.features, 64).unwrap();
        let by_hand = predictions
            .iter()
            .zip(&data.targets)
            .map(|(p, y)| f64::from(p - y).powi(2))
            .sum::<f64>()
            / data.len() as f64;
        assert!((mse - by_hand).abs() < 1e-9, "{mse} vs {by_hand}");
    }

    #[test]
    fn a_regression_model_learns_its_targets_and_refuses_labels() {
        let data = regression_data();
        let model = Model::regression(Architecture::Mlp { hidden: 16 }, 6, 9).unwrap();
        let (before, _) = model.evaluate(&data).unwrap();
        let config = TrainConfig {
            epochs: 200,
            batch: 20,
            lr: 0.1,
        };
        model.train(&data, &config).unwrap();
        let (after, _) = model.evaluate(&data).unwrap();
        assert!(
            after < 0.1 * before,
            "mse {before} before training, {after} after"
        );
        let labelled = Dataset::labelled(6, 2, data.features.clone(), vec![0; data.len()]);
        assert!(matches!(
            model.train(&labelled, &config),
            Err(ModelError::Objective {
                model: Objective::Regression,
                data: Objective::Classification
            })
        ));
        let classifier = Model::new(Architecture::Mlp { hidden: 4 }, 6, 2, 1).unwrap();
        assert!(matches!(
            classifier.evaluate(&data),
            Err(ModelError::Objective { .. })
        ));
        let mut bad = data.clone();
        bad.targets[3] = f32::NAN;
        assert!(matches!(
            model.train(&bad, &config),
            Err(ModelError::Target { index: 3 })
        ));
    }

    #[test]
    fn the_mlp_s_evaluation_is_candle_s() {
        let (train, test) = Dataset::digits().split_every(5);
        let model = Model::new(Architecture::Mlp { hidden: 32 }, 64, 10, 3).unwrap();
        for trained in [false, true] {
            if trained {
                let config = TrainConfig {
                    epochs: 5,
                    batch: 16,
                    lr: 0.1,
                };
                model.train(&train, &config).unwrap();
            }
            let (loss, accuracy) = model.evaluate(&test).unwrap();
            let (candle_loss, candle_accuracy) = model.evaluate_candle(&test).unwrap();
            assert!(
                (loss - candle_loss).abs() < 1e-5 * candle_loss,
                "{loss} vs {candle_loss}"
            );
            assert_eq!(accuracy, candle_accuracy);
            assert!(
                trained == (accuracy > 0.8),
                "trained {trained}: accuracy {accuracy}"
            );
        }
    }

    #[test]
    fn logits_agree_with_evaluation_and_across_batch_sizes() {
        let (_, test) = Dataset::digits().split_every(5);
        for arch in [
            Architecture::Mlp { hidden: 32 },
            Architecture::Cnn { channels: 4 },
        ] {
            let model = Model::new(arch, 64, 10, 11).unwrap();
            let all = model.logits(&test.features, 4096).unwrap();
            assert_eq!(all.len(), test.len() * 10);
            let one = model.logits(&test.features, 1).unwrap();
            for (a, b) in all.iter().zip(&one) {
                assert!((a - b).abs() <= 1e-5 * a.abs().max(1.0), "{a} vs {b}");
            }
            // The accuracy the logits give is the one evaluation reports.
            let right = all
                .chunks_exact(10)
                .zip(&test.labels)
                .filter(|(row, &label)| {
                    let best = (0..10).fold(0, |b, c| if row[c] > row[b] { c } else { b });
                    best == label as usize
                })
                .count();
            let (_, accuracy) = model.evaluate(&test).unwrap();
            assert_eq!(right as f64 / test.len() as f64, accuracy, "{arch:?}");
        }
        let model = Model::new(Architecture::Mlp { hidden: 4 }, 3, 2, 1).unwrap();
        assert!(matches!(
            model.logits(&[1.0; 7], 2),
            Err(ModelError::Ragged {
                values: 7,
                features: 3
            })
        ));
        assert!(matches!(model.logits(&[], 2), Err(ModelError::NoData)));
    }

    #[test]
    fn data_that_does_not_fit_the_model_is_refused_and_changes_nothing() {
        let model = Model::new(Architecture::Mlp { hidden: 8 }, 4, 3, 1).unwrap();
        let before = model.params().unwrap();
        let config = TrainConfig::default();
        let data = |dim: usize, labels: Vec<u32>| {
            Dataset::labelled(dim, 3, vec![0.5; dim * labels.len()], labels)
        };
        let err = model.train(&data(4, vec![0, 1, 7]), &config).unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::Label {
                    label: 7,
                    classes: 3
                }
            ),
            "{err}"
        );
        let err = model.train(&data(5, vec![0, 1]), &config).unwrap_err();
        assert!(
            matches!(
                err,
                ModelError::Features {
                    got: 5,
                    expected: 4
                }
            ),
            "{err}"
        );
        assert!(matches!(
            model.train(&data(4, vec![]), &config),
            Err(ModelError::NoData)
        ));
        assert_eq!(model.params().unwrap(), before);
        model.train(&data(4, vec![0, 1, 2]), &config).unwrap();
        assert_ne!(model.params().unwrap(), before);
    }

    #[test]
    fn training_on_the_digits_learns_them() {
        let (train, test) = Dataset::digits().split_every(5);
        for arch in [
            Architecture::Mlp { hidden: 32 },
            Architecture::Cnn { channels: 8 },
        ] {
            let model = Model::new(arch, 64, 10, 1).unwrap();
            let (_, before) = model.evaluate(&test).unwrap();
            let config = TrainConfig {
                epochs: 10,
                batch: 32,
                lr: 0.1,
            };
            model.train(&train, &config).unwrap();
            let (_, after) = model.evaluate(&test).unwrap();
            assert!(before < 0.3, "{arch:?} before training: {before}");
            assert!(after > 0.9, "{arch:?} after training: {after}");
        }
    }
}
