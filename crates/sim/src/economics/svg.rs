//! The charts of a run, as hand-written SVG: axes with tick labels, a legend and a title;
//! one polyline per series with one point per epoch. Amounts are integers until they become
//! coordinates here; floats only place ink.

use super::Economics;
use plexus_ledger::ResourceClass;
use std::fmt::Write as _;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 500.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 220.0;
const TOP: f64 = 50.0;
const BOTTOM: f64 = 60.0;
const COLOURS: [&str; 8] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
];

/// One line of a chart: a value per epoch, in uplx.
pub struct Series {
    pub name: String,
    pub values: Vec<u128>,
}

/// A shaded band between two series (drawn under the lines, in the colour of line `colour`).
pub struct Band {
    pub low: Vec<u128>,
    pub high: Vec<u128>,
    pub colour: usize,
}

/// The four charts of a run, by file name.
pub fn charts(e: &Economics) -> Vec<(&'static str, String)> {
    let epochs: Vec<u64> = e.rows.iter().map(|r| r.epoch).collect();
    let col = |f: &dyn Fn(&super::EpochRow) -> u128| e.rows.iter().map(f).collect::<Vec<_>>();
    let supply = vec![
        series("total supply", col(&|r| r.supply)),
        series("circulating", col(&|r| r.circulating)),
    ];
    let mut by_class: Vec<Series> = ResourceClass::ALL
        .iter()
        .enumerate()
        .map(|(k, r)| series(&format!("{r} pool"), col(&|row| row.pools[k])))
        .collect();
    by_class.push(series("validators", col(&|r| r.to_validators)));
    let medians: Vec<Series> = e
        .class_names
        .iter()
        .enumerate()
        .map(|(k, c)| series(&format!("{c} median"), col(&|r| r.rewards[k].median)))
        .collect();
    let bands: Vec<Band> = (0..e.class_names.len())
        .map(|k| Band {
            low: col(&|r| r.rewards[k].p10),
            high: col(&|r| r.rewards[k].p90),
            colour: k,
        })
        .collect();
    let fees = vec![
        series("claim fees (to validators)", col(&|r| r.fees)),
        series("validators' emission share", col(&|r| r.to_validators)),
        series("validators' income", col(&|r| r.fees + r.to_validators)),
    ];
    let chart = |title: &str, s: &[Series], b: &[Band]| line_chart(title, &epochs, s, b);
    vec![
        (
            "supply.svg",
            chart("Total and circulating supply (PLX)", &supply, &[]),
        ),
        (
            "emission_by_class.svg",
            chart("Emission per epoch by resource class (PLX)", &by_class, &[]),
        ),
        (
            "rewards_per_device.svg",
            chart(
                "Reward per device per epoch by class: median, p10–p90 band (PLX)",
                &medians,
                &bands,
            ),
        ),
        (
            "fees.svg",
            chart("Fees per epoch and where they go (PLX)", &fees, &[]),
        ),
    ]
}

fn series(name: &str, values: Vec<u128>) -> Series {
    Series {
        name: name.to_string(),
        values,
    }
}

/// Escapes text for XML.
fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A step of 1, 2 or 5 × 10ⁿ that cuts `span` into at most about six ticks.
fn nice_step(span: f64) -> f64 {
    let raw = (span / 5.0).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .find(|m| m * magnitude >= raw)
        .unwrap_or(10.0);
    step * magnitude
}

fn plx(uplx: u128) -> f64 {
    uplx as f64 / 1_000_000.0
}

/// A line chart of `series` (and `bands`) over `epochs`.
pub fn line_chart(title: &str, epochs: &[u64], series: &[Series], bands: &[Band]) -> String {
    let first = epochs.first().copied().unwrap_or(0) as f64;
    let last = epochs.last().copied().unwrap_or(1) as f64;
    let x_span = (last - first).max(1.0);
    let top_value = series
        .iter()
        .flat_map(|s| s.values.iter())
        .chain(bands.iter().flat_map(|b| b.high.iter()))
        .map(|v| plx(*v))
        .fold(0.0f64, f64::max);
    let y_step = nice_step(top_value.max(1e-6));
    let y_max = (top_value / y_step).ceil().max(1.0) * y_step;
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |epoch: f64| LEFT + (epoch - first) / x_span * plot_w;
    let y = |value: f64| TOP + plot_h - value / y_max * plot_h;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{}" y="28" font-size="16" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(title)
    );
    axes(&mut out, first, last, y_step, y_max, &x, &y);
    for b in bands {
        let colour = COLOURS[b.colour % COLOURS.len()];
        let mut d = String::new();
        for (k, (e, v)) in epochs.iter().zip(&b.high).enumerate() {
            let _ = write!(
                d,
                "{}{:.1},{:.1} ",
                if k == 0 { "M" } else { "L" },
                x(*e as f64),
                y(plx(*v))
            );
        }
        for (e, v) in epochs.iter().zip(&b.low).rev() {
            let _ = write!(d, "L{:.1},{:.1} ", x(*e as f64), y(plx(*v)));
        }
        let _ = writeln!(
            out,
            r#"<path class="band" d="{}Z" fill="{colour}" fill-opacity="0.15" stroke="none"/>"#,
            d
        );
    }
    for (k, s) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let points: Vec<String> = epochs
            .iter()
            .zip(&s.values)
            .map(|(e, v)| format!("{:.1},{:.1}", x(*e as f64), y(plx(*v))))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline class="series" data-name="{}" fill="none" stroke="{colour}" stroke-width="1.5" points="{}"/>"#,
            escape(&s.name),
            points.join(" ")
        );
    }
    legend(&mut out, series);
    out.push_str("</svg>\n");
    out
}

fn axes(
    out: &mut String,
    first: f64,
    last: f64,
    y_step: f64,
    y_max: f64,
    x: &dyn Fn(f64) -> f64,
    y: &dyn Fn(f64) -> f64,
) {
    let (x0, x1, y0, y1) = (x(first), x(last.max(first + 1.0)), y(0.0), y(y_max));
    let _ = writeln!(
        out,
        r#"<path class="axes" d="M{x0:.1},{y1:.1} L{x0:.1},{y0:.1} L{x1:.1},{y0:.1}" stroke="black" fill="none"/>"#
    );
    let ticks = (y_max / y_step).round() as u64;
    for k in 0..=ticks {
        let v = k as f64 * y_step;
        let _ = writeln!(
            out,
            r##"<line x1="{:.1}" y1="{yy:.1}" x2="{x1:.1}" y2="{yy:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
            x0 - 4.0,
            x0 - 8.0,
            y(v) + 4.0,
            tick_label(v),
            yy = y(v)
        );
    }
    let x_step = nice_step(last - first).max(1.0).round();
    let mut e = (first / x_step).ceil() * x_step;
    while e <= last + 0.5 {
        let _ = writeln!(
            out,
            r#"<line x1="{xx:.1}" y1="{y0:.1}" x2="{xx:.1}" y2="{:.1}" stroke="black"/><text x="{xx:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            y0 + 5.0,
            y0 + 20.0,
            e as u64,
            xx = x(e)
        );
        e += x_step;
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">epoch</text>"#,
        (x0 + x1) / 2.0,
        y0 + 42.0
    );
}

fn tick_label(v: f64) -> String {
    if v >= 1_000_000.0 {
        format!("{:.1}M", v / 1_000_000.0)
    } else if v >= 1_000.0 {
        format!("{:.1}k", v / 1_000.0)
    } else if v >= 1.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn legend(out: &mut String, series: &[Series]) {
    let x = WIDTH - RIGHT + 15.0;
    out.push_str("<g class=\"legend\">\n");
    for (k, s) in series.iter().enumerate() {
        let y = TOP + 10.0 + 18.0 * k as f64;
        let _ = writeln!(
            out,
            r#"<rect x="{x:.1}" y="{:.1}" width="12" height="4" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"#,
            y - 4.0,
            COLOURS[k % COLOURS.len()],
            x + 18.0,
            y + 1.0,
            escape(&s.name)
        );
    }
    out.push_str("</g>\n");
}
