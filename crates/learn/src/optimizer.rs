//! The server's step: how the round's aggregate update moves the global model. FedAvgM keeps
//! a momentum of past aggregates; FedAdam keeps Adam's moment estimates per parameter (Reddi et
//! al., "Adaptive Federated Optimization", 2021).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum OptimizerError {
    #[error("the aggregate has {got} parameters, the model {expected}")]
    Length { got: usize, expected: usize },
}

/// A server optimizer and its state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "optimizer", rename_all = "snake_case")]
pub enum ServerOptimizer {
    /// global += lr · v, with v = momentum · v + Δ.
    FedAvgM {
        lr: f32,
        momentum: f32,
        #[serde(default)]
        velocity: Vec<f32>,
    },
    /// Adam on the negated aggregate as the gradient.
    FedAdam {
        lr: f32,
        beta1: f32,
        beta2: f32,
        epsilon: f32,
        #[serde(default)]
        m: Vec<f32>,
        #[serde(default)]
        v: Vec<f32>,
    },
}

impl ServerOptimizer {
    /// Plain FedAvg: the aggregate is applied as it is.
    pub fn plain() -> ServerOptimizer {
        ServerOptimizer::FedAvgM {
            lr: 1.0,
            momentum: 0.0,
            velocity: Vec::new(),
        }
    }

    pub fn fedavgm(lr: f32, momentum: f32) -> ServerOptimizer {
        ServerOptimizer::FedAvgM {
            lr,
            momentum,
            velocity: Vec::new(),
        }
    }

    pub fn fedadam(lr: f32) -> ServerOptimizer {
        ServerOptimizer::FedAdam {
            lr,
            beta1: 0.9,
            beta2: 0.99,
            epsilon: 1e-3,
            m: Vec::new(),
            v: Vec::new(),
        }
    }

    /// Applies the round's aggregate update `delta` to `global`.
    pub fn step(&mut self, global: &mut [f32], delta: &[f32]) -> Result<(), OptimizerError> {
        if delta.len() != global.len() {
            return Err(OptimizerError::Length {
                got: delta.len(),
                expected: global.len(),
            });
        }
        let n = global.len();
        match self {
            ServerOptimizer::FedAvgM {
                lr,
                momentum,
                velocity,
            } => {
                velocity.resize(n, 0.0);
                for ((g, v), d) in global.iter_mut().zip(velocity.iter_mut()).zip(delta) {
                    *v = *momentum * *v + d;
                    *g += *lr * *v;
                }
            }
            ServerOptimizer::FedAdam {
                lr,
                beta1,
                beta2,
                epsilon,
                m,
                v,
            } => {
                m.resize(n, 0.0);
                v.resize(n, 0.0);
                for i in 0..n {
                    m[i] = *beta1 * m[i] + (1.0 - *beta1) * delta[i];
                    v[i] = *beta2 * v[i] + (1.0 - *beta2) * delta[i] * delta[i];
                    global[i] += *lr * m[i] / (v[i].sqrt() + *epsilon);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_applies_the_aggregate_and_momentum_accumulates_it() {
        let mut g = vec![1.0, 2.0];
        let mut plain = ServerOptimizer::plain();
        plain.step(&mut g, &[0.5, -1.0]).unwrap();
        assert_eq!(g, vec![1.5, 1.0]);

        let mut g = vec![0.0];
        let mut m = ServerOptimizer::fedavgm(1.0, 0.5);
        m.step(&mut g, &[1.0]).unwrap();
        m.step(&mut g, &[1.0]).unwrap();
        // v = 1, then 0.5 + 1 = 1.5: the model moved 2.5.
        assert_eq!(g, vec![2.5]);
        assert!(m.step(&mut g, &[1.0, 2.0]).is_err());
    }

    #[test]
    fn fedadam_moves_each_parameter_in_the_aggregate_direction_whatever_its_scale() {
        let mut g = vec![0.0, 0.0];
        let mut adam = ServerOptimizer::fedadam(0.1);
        for _ in 0..20 {
            adam.step(&mut g, &[0.5, -0.001]).unwrap();
        }
        // Steps of about lr · m / (√v + ε): the second coordinate, 500 times smaller, still
        // moves by a sizeable fraction of the first (ε = 10⁻³ limits how far), which is the
        // adaptivity FedAdam adds over FedAvg.
        assert!(g[0] > 1.0 && g[0] < 6.0, "{g:?}");
        assert!(g[1] < -0.1 * g[0] && g[1] > -g[0], "{g:?}");
    }
}
