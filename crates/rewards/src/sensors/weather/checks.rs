//! Rules W1–W4 over one parameter's slots: which readings are faults.
//!
//! Every function here reads slot series (`None`: no reading in the slot) and sets fault bits;
//! none depends on anything but its arguments.

use super::params::{ParameterRules, QodParams, WeatherParameter};

/// Fault bits of one slot of one parameter.
pub(super) const MISSING: u8 = 1;
pub(super) const OUT_OF_BOUNDS: u8 = 1 << 1;
pub(super) const JUMP: u8 = 1 << 2;
pub(super) const CONSTANT: u8 = 1 << 3;

/// The slot series of every parameter, in [`WeatherParameter::ALL`]'s order.
pub(super) type Series = [Vec<Option<i64>>; 7];

/// Rules W1 (missing) and W2 (out of bounds) for a parameter other than precipitation.
pub(super) fn check_bounds(values: &[Option<i64>], rules: &ParameterRules, faults: &mut [u8]) {
    for (v, f) in values.iter().zip(faults.iter_mut()) {
        match v {
            None => *f |= MISSING,
            Some(v) if *v < rules.lower || *v > rules.upper => *f |= OUT_OF_BOUNDS,
            Some(_) => {}
        }
    }
}

/// Rules W1 and W2 for the rain gauge's counter: each reading's increase over the previous
/// reading must lie within the range per elapsed slot; a counter that falls is a fault.
pub(super) fn check_precipitation(
    values: &[Option<i64>],
    rules: &ParameterRules,
    faults: &mut [u8],
) {
    let mut previous: Option<(usize, i64)> = None;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else {
            faults[i] |= MISSING;
            continue;
        };
        if let Some((at, before)) = previous {
            let steps = (i - at) as i64;
            let rise = v - before;
            if rise < rules.lower || rise > rules.upper.saturating_mul(steps) {
                faults[i] |= OUT_OF_BOUNDS;
            }
        }
        previous = Some((i, v));
    }
}

/// Twice the median of the readings in the `window` slots ending at `i` (doubled so that the
/// mean of two middle values stays an integer), or `None` when too few slots hold readings.
fn doubled_median(
    values: &[Option<i64>],
    i: usize,
    window: usize,
    availability_ppm: u32,
    window_s: u32,
    timestep_s: u32,
    scratch: &mut Vec<i64>,
) -> Option<i64> {
    scratch.clear();
    scratch.extend(values[(i + 1).saturating_sub(window)..=i].iter().flatten());
    // Available share = readings × timestep / window length, as WeatherXM counts it.
    let enough = scratch.len() as u64 * u64::from(timestep_s) * 1_000_000
        >= u64::from(availability_ppm) * u64::from(window_s);
    if scratch.is_empty() || !enough {
        return None;
    }
    let n = scratch.len();
    let (_, upper, _) = scratch.select_nth_unstable(n / 2);
    let upper = *upper;
    if n % 2 == 1 {
        return Some(2 * upper);
    }
    let lower = *scratch[..n / 2].iter().max().expect("n ≥ 2");
    Some(lower + upper)
}

/// Rule W3 (jumps): where a reading differs from the previous one (bridging gaps up to the
/// gap fill) by more than the threshold, the one of the two farther from its own rolling
/// median is a fault; where a reading's median cannot be taken, it is a fault (an
/// unidentified spike). A reading equal to the previous one, when that one was a jump fault,
/// is one too, so a spike that holds still stays a fault.
pub(super) fn check_jumps(
    params: &QodParams,
    values: &[Option<i64>],
    rules: &ParameterRules,
    faults: &mut [u8],
) {
    let Some(threshold) = rules.jump else {
        return;
    };
    let window = (params.median_window_s / params.timestep_s) as usize;
    let bridge = (params.gap_fill_s / params.timestep_s) as usize + 1;
    let mut scratch = Vec::with_capacity(window);
    // The last median taken: a run of jumps asks for each slot's twice, as the later reading
    // of one pair and the earlier of the next.
    let mut last: Option<(usize, Option<i64>)> = None;
    let mut median = |i: usize, scratch: &mut Vec<i64>| {
        if let Some((_, m)) = last.filter(|(at, _)| *at == i) {
            return m;
        }
        let m = doubled_median(
            values,
            i,
            window,
            rules.median_availability_ppm,
            params.median_window_s,
            params.timestep_s,
            scratch,
        );
        last = Some((i, m));
        m
    };
    let mut previous: Option<(usize, i64)> = None;
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else { continue };
        if let Some((at, before)) = previous.filter(|(at, _)| i - at <= bridge) {
            if (v - before).abs() > threshold {
                match (median(at, &mut scratch), median(i, &mut scratch)) {
                    (Some(m_before), Some(m_now)) => {
                        let far_before = (2 * before - m_before).abs();
                        let far_now = (2 * v - m_now).abs();
                        if far_before > far_now {
                            faults[at] |= JUMP;
                        } else if far_now > far_before {
                            faults[i] |= JUMP;
                        }
                    }
                    (m_before, m_now) => {
                        if m_before.is_none() {
                            faults[at] |= JUMP;
                        }
                        if m_now.is_none() {
                            faults[i] |= JUMP;
                        }
                    }
                }
            } else if v == before && faults[at] & JUMP != 0 {
                faults[i] |= JUMP;
            }
        }
        previous = Some((i, v));
    }
}

/// The median of `values` over slots `range` (the lower middle of an even count), `None`
/// without readings.
fn median_over(values: &[Option<i64>], range: std::ops::RangeInclusive<usize>) -> Option<i64> {
    let mut present: Vec<i64> = values[range].iter().flatten().copied().collect();
    if present.is_empty() {
        return None;
    }
    let mid = (present.len() - 1) / 2;
    Some(*present.select_nth_unstable(mid).1)
}

/// Whether a run of `value` over slots `first..=last` that lasted longer than the parameter's
/// constant window is a fault, by WeatherXM's exemptions: saturated air may hold humidity and
/// temperature still; night holds illuminance at 0; calm, damp air above freezing holds the
/// wind still. A run longer than the maximum window is a fault whatever the exemption, except
/// for frozen wind gauges, which are faults anyway.
fn constant_is_fault(
    params: &QodParams,
    p: WeatherParameter,
    series: &Series,
    value: i64,
    first: usize,
    last: usize,
    past_max: bool,
) -> bool {
    use WeatherParameter as W;
    let humidity = || median_over(&series[W::Humidity.index()], first..=last);
    let temperature = || median_over(&series[W::Temperature.index()], first..=last);
    let saturated = |h: Option<i64>| h.is_some_and(|h| h >= params.saturated_humidity_dpct);
    match p {
        W::Humidity => value < params.saturated_humidity_dpct,
        W::Temperature => past_max || !saturated(humidity()),
        W::WindDirection | W::WindSpeed => {
            let still = p == W::WindDirection || value == 0;
            let frozen = temperature().is_none_or(|t| t <= 0);
            let damp = humidity().is_some_and(|h| h >= params.damp_humidity_dpct);
            // A gauge stuck at a nonzero speed is broken in any weather.
            !still || frozen || !damp || past_max
        }
        W::Illuminance => value != 0,
        W::Pressure | W::Precipitation => true,
    }
}

/// Rule W4 (constant values): a run of one value whose readings span more than the
/// parameter's constant window (gaps up to the gap fill do not break a run) is a fault over
/// its whole span, unless an exemption of [`constant_is_fault`] holds.
pub(super) fn check_constant(
    params: &QodParams,
    p: WeatherParameter,
    series: &Series,
    faults: &mut [u8],
) {
    let rules = params.rules(p);
    let Some(window_s) = rules.constant_s else {
        return;
    };
    let window = (window_s / params.timestep_s) as usize;
    let max_window = rules
        .constant_max_s
        .map(|s| (s / params.timestep_s) as usize);
    let bridge = (params.gap_fill_s / params.timestep_s) as usize + 1;
    let values = &series[p.index()];
    // (value, first slot, last slot) of the current run.
    let mut run: Option<(i64, usize, usize)> = None;
    let close = |run: (i64, usize, usize), faults: &mut [u8]| {
        let (value, first, last) = run;
        let span = last - first;
        if span < window {
            return;
        }
        let past_max = max_window.is_some_and(|m| span >= m);
        if constant_is_fault(params, p, series, value, first, last, past_max) {
            for f in &mut faults[first..=last] {
                *f |= CONSTANT;
            }
        }
    };
    for (i, v) in values.iter().enumerate() {
        let Some(v) = *v else { continue };
        run = match run {
            Some((value, first, last)) if value == v && i - last <= bridge => {
                Some((value, first, i))
            }
            Some(done) => {
                close(done, faults);
                Some((v, i, i))
            }
            None => Some((v, i, i)),
        };
    }
    if let Some(done) = run {
        close(done, faults);
    }
}
