//! Progress shown while long work runs: a spinner that names the step under way, bars of
//! counts, and bars of bytes with their rate and the time left.
//!
//! Everything here draws on standard error, and only when standard error is a terminal and
//! the command is not printing JSON: standard output, and whatever a program or a test
//! captures, stays byte for byte what it was without progress. Where nothing is drawn, a
//! step's message goes to standard error as a plain line (unless quiet), as it always did.

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use plexus_blobs::client::BlobClient;
use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

/// Whether progress is drawn: on a terminal, for a person (not with `--json`).
pub fn drawn(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

const SPINNER_TICK: Duration = Duration::from_millis(100);

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("progress templates parse")
}

/// The steps of one long piece of work, each shown as a spinner naming it while it runs and
/// left as a line with its duration once done. Bars made through it draw beneath the step.
pub struct Steps {
    multi: Option<MultiProgress>,
    current: Option<ProgressBar>,
    quiet: bool,
}

impl Steps {
    /// Steps drawn when `drawn(json)`; else each step is a plain line on standard error,
    /// unless `quiet`.
    pub fn new(json: bool, quiet: bool) -> Steps {
        Steps {
            multi: drawn(json)
                .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
            current: None,
            quiet,
        }
    }

    /// Ends the step under way (if any) and starts the next one.
    pub fn step(&mut self, message: impl Into<String>) {
        let message = message.into();
        self.finish();
        match &self.multi {
            Some(multi) => {
                let spinner = multi.add(ProgressBar::new_spinner());
                spinner.set_style(style("{spinner} {msg} [{elapsed}]"));
                spinner.set_message(message);
                spinner.enable_steady_tick(SPINNER_TICK);
                self.current = Some(spinner);
            }
            None if !self.quiet => eprintln!("{message}"),
            None => {}
        }
    }

    /// Ends the step under way, leaving its name and duration on the screen.
    pub fn finish(&mut self) {
        if let Some(spinner) = self.current.take() {
            spinner.set_style(style("✓ {msg} [{elapsed}]"));
            spinner.finish();
        }
    }

    /// A bar of `len` things (transfers, devices) drawn under the steps, with their rate and
    /// the time left; hidden when the steps are not drawn.
    pub fn count_bar(&self, len: u64, what: &str) -> ProgressBar {
        self.bar(len, &count_template(what))
    }

    /// A bar of `len` bytes drawn under the steps, with MiB/s and the time left; hidden when
    /// the steps are not drawn.
    pub fn byte_bar(&self, len: u64, what: &str) -> ProgressBar {
        self.bar(len, &byte_template(what))
    }

    fn bar(&self, len: u64, template: &str) -> ProgressBar {
        match &self.multi {
            Some(multi) => {
                let bar = multi.add(ProgressBar::new(len));
                bar.set_style(style(template).progress_chars("=> "));
                bar
            }
            None => ProgressBar::hidden(),
        }
    }
}

impl Drop for Steps {
    fn drop(&mut self) {
        // A step left running by an early return (an error) is cleared, not left spinning.
        if let Some(spinner) = self.current.take() {
            spinner.finish_and_clear();
        }
    }
}

/// A bar of `len` things with their rate and the time left, for one piece of work; hidden
/// unless `drawn(json)`.
pub fn count_bar(json: bool, len: u64, what: &str) -> ProgressBar {
    if !drawn(json) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    bar.set_style(style(&count_template(what)).progress_chars("=> "));
    bar
}

fn count_template(what: &str) -> String {
    format!("{{bar:40}} {{pos}}/{{len}} {what} · {{per_sec}} · {{eta}} left")
}

/// A bar of `total` bytes with their rate (MiB/s) and the time left, for one transfer; hidden
/// unless `drawn(json)`.
pub fn byte_bar(json: bool, what: &str, total: u64) -> ProgressBar {
    if !drawn(json) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(style(&byte_template(what)).progress_chars("=> "));
    bar
}

fn byte_template(what: &str) -> String {
    format!("{what} {{bar:40}} {{bytes}}/{{total_bytes}} · {{binary_bytes_per_sec}} · {{eta}} left")
}

/// A blob transfer's progress drawn as a byte bar (see [`byte_bar`]).
pub struct TransferBar(pub ProgressBar);

/// `client`, drawing the progress of its transfers on `bar`.
pub fn tracked(client: &BlobClient, bar: &ProgressBar) -> BlobClient {
    client
        .clone()
        .with_progress(Arc::new(TransferBar(bar.clone())))
}

impl plexus_blobs::client::TransferProgress for TransferBar {
    fn begin(&self, total: u64, done: u64) {
        self.0.set_length(total);
        self.0.set_position(done);
        self.0.reset_eta();
    }

    fn advance(&self, bytes: u64) {
        // Hash bytes in an upload and ranges fetched again in a download would carry the
        // count past the blob's size.
        let len = self.0.length().unwrap_or(u64::MAX);
        self.0.set_position((self.0.position() + bytes).min(len));
    }
}
