//! What a simulation tells: one line per event worth knowing, in the order it happened, and
//! the chain's height and app hash at the end. The same seed tells the same story, byte for
//! byte; that is what the determinism check compares.

use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Story {
    pub scenario: String,
    pub seed: u64,
    pub lines: Vec<String>,
}

impl Story {
    pub fn new(scenario: &str, seed: u64) -> Story {
        Story {
            scenario: scenario.to_string(),
            seed,
            lines: Vec::new(),
        }
    }

    /// Adds one line at `height`.
    pub fn tell(&mut self, height: u64, line: impl Into<String>) {
        self.lines.push(format!("[{height:>4}] {}", line.into()));
    }

    /// Whether a line contains `text`.
    pub fn mentions(&self, text: &str) -> bool {
        self.lines.iter().any(|l| l.contains(text))
    }
}

impl fmt::Display for Story {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "scenario {} (seed {})", self.scenario, self.seed)?;
        for line in &self.lines {
            writeln!(f, "  {line}")?;
        }
        Ok(())
    }
}
