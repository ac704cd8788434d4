//! Rules W1–W6, with WeatherXM's WS1000 parameters checked at their published bounds.

use super::*;

const DAY: u64 = 1_764_892_800; // 2025-12-05 00:00 UTC
const STEP: u64 = 16;

/// An honest station: every value moves a little from slot to slot (the temperature at every
/// slot), none jumps, none holds still for long (illuminance is 0 at night, which is exempt).
fn honest(slot: i64) -> WeatherReading {
    let hour = slot.rem_euclid(5_400) / 225;
    let tri = |period: i64, amp: i64| {
        let x = slot.rem_euclid(period);
        let half = period / 2;
        (if x < half { x } else { period - x }) * amp / half
    };
    WeatherReading {
        at_s: (DAY as i64 + slot * STEP as i64) as u64,
        temperature_cc: Some((1_200 + tri(5_400, 800) + 3 * slot.rem_euclid(2)) as i32),
        humidity_dpct: Some((600 + slot.rem_euclid(7)) as u32),
        pressure_dhpa: Some((10_130 + (slot / 50).rem_euclid(5)) as u32),
        wind_speed_cms: Some((300 + slot.rem_euclid(11) * 10) as u32),
        wind_direction_deg: Some((slot * 7).rem_euclid(360) as u32),
        illuminance_lux: Some(if (6..18).contains(&hour) {
            (1_000 + slot.rem_euclid(13) * 100) as u32
        } else {
            0
        }),
        precipitation_um: Some((5_000 + (slot + 1_350).div_euclid(100) * 254) as u32),
    }
}

/// The lead-in and the day, from `honest`, each reading passed through `edit`.
fn day_with(edit: impl Fn(i64, &mut WeatherReading)) -> Vec<WeatherReading> {
    (-1_350..5_400)
        .map(|slot| {
            let mut r = honest(slot);
            edit(slot, &mut r);
            r
        })
        .collect()
}

fn score(readings: &[WeatherReading]) -> DailyQod {
    daily_qod(&WS1000, DAY, readings).unwrap()
}

#[test]
fn an_honest_station_that_reports_every_slot_scores_one() {
    let q = score(&day_with(|_, _| {}));
    assert_eq!(q.score_ppm, PPM);
    assert_eq!(q.readings_used, 6_750);
    assert_eq!(q.readings_ignored, 0);
}

#[test]
fn the_published_ws1000_table_is_the_one_checked() {
    use WeatherParameter as W;
    let p = &WS1000;
    assert_eq!(p.timestep_s, 16);
    assert_eq!(p.median_window_s, 10 * 60);
    assert_eq!(p.gap_fill_s, 60);
    assert_eq!(p.lead_in_s, 360 * 60);
    // Ranges, in the readings' units: 10–99 %, −40–60 °C, 0–359°, 0–50 m/s, 300–1100 hPa,
    // 0–400 000 lx, and 0.254 mm × 16 a step of the rain gauge.
    let ranges: Vec<(i64, i64)> = W::ALL
        .iter()
        .map(|&w| (p.rules(w).lower, p.rules(w).upper))
        .collect();
    assert_eq!(
        ranges,
        [
            (100, 990),
            (-4_000, 6_000),
            (0, 359),
            (0, 5_000),
            (3_000, 11_000),
            (0, 400_000),
            (0, 4_064)
        ]
    );
    // Jumps: 5 %, 2 °C, none, 20 m/s, 0.8 hPa, 97 600 lx, none.
    let jumps: Vec<Option<i64>> = W::ALL.iter().map(|&w| p.rules(w).jump).collect();
    assert_eq!(
        jumps,
        [
            Some(50),
            Some(200),
            None,
            Some(2_000),
            Some(8),
            Some(97_600),
            None
        ]
    );
    let minutes = |s: Option<u32>| s.map(|s| s / 60);
    let constant: Vec<Option<u32>> = W::ALL
        .iter()
        .map(|&w| minutes(p.rules(w).constant_s))
        .collect();
    assert_eq!(
        constant,
        [
            Some(360),
            Some(240),
            Some(360),
            Some(360),
            Some(120),
            Some(120),
            None
        ]
    );
    let hours: Vec<u32> = W::ALL
        .iter()
        .map(|&w| p.rules(w).hour_availability_ppm / 10_000)
        .collect();
    assert_eq!(hours, [67, 67, 75, 75, 67, 67, 85]);
}

#[test]
fn a_value_at_the_sensor_s_limit_is_valid_and_one_unit_past_it_is_a_fault() {
    for (value, faults) in [(6_000, 0), (6_001, 1), (-4_000, 0), (-4_001, 1)] {
        // One reading at noon; the ones around it ramp to it slowly enough not to jump.
        let q = score(&day_with(|slot, r| {
            let distance = (slot - 2_700).abs();
            if distance < 200 {
                let base = r.temperature_cc.unwrap() as i64;
                let v = value + (base - value) * distance / 200;
                r.temperature_cc = Some(v as i32);
            }
        }));
        let t = q.parameter(WeatherParameter::Temperature);
        assert_eq!(t.out_of_bounds, faults, "{value}");
        assert_eq!(t.jumps, 0, "{value}");
    }
}

#[test]
fn of_a_jump_only_the_reading_far_from_the_median_is_a_fault() {
    // A 10 °C spike in one slot.
    let q = score(&day_with(|slot, r| {
        if slot == 3_000 {
            r.temperature_cc = Some(r.temperature_cc.unwrap() + 1_000);
        }
    }));
    let t = q.parameter(WeatherParameter::Temperature);
    assert_eq!(t.jumps, 1);
    // A step of exactly 2 °C is no jump; of 2.01 °C is, and only its upper reading is a fault.
    let t = |slot: i64| i64::from(honest(slot).temperature_cc.unwrap());
    for (rise, jumps) in [(200, 0), (201, 1)] {
        let q = score(&day_with(|slot, r| {
            if slot >= 3_000 {
                let offset = rise - (t(3_000) - t(2_999));
                r.temperature_cc = Some((t(slot) + offset) as i32);
            }
        }));
        assert_eq!(
            q.parameter(WeatherParameter::Temperature).jumps,
            jumps,
            "{rise}"
        );
    }
}

#[test]
fn a_spike_that_holds_still_stays_a_fault_until_the_value_moves() {
    let q = score(&day_with(|slot, r| {
        if (3_000..3_010).contains(&slot) {
            r.pressure_dhpa = Some(10_500);
        }
    }));
    assert_eq!(q.parameter(WeatherParameter::Pressure).jumps, 10);
}

#[test]
fn a_value_held_past_its_window_is_a_fault_over_the_whole_run() {
    // Temperature's window is 240 minutes: 900 slots of 16 s.
    for (held, faults) in [(900, 0), (901, 901)] {
        // Held from slot 1 000, then moving on from the held value as before.
        let t = |slot: i64| i64::from(honest(slot).temperature_cc.unwrap());
        let end = 1_000 + held;
        let q = score(&day_with(|slot, r| {
            if (1_000..end).contains(&slot) {
                r.temperature_cc = Some(t(1_000) as i32);
            } else if slot >= end {
                r.temperature_cc = Some((t(slot) - t(end) + t(1_000) + 1) as i32);
            }
        }));
        let t = q.parameter(WeatherParameter::Temperature);
        // The run starts and ends with small steps, not jumps.
        assert_eq!(t.jumps, 0);
        assert_eq!(t.constant, faults, "held for {held} slots");
    }
}

#[test]
fn saturated_air_may_hold_humidity_and_temperature_still_but_not_below_95_percent() {
    for (humidity, faults) in [(950, false), (949, true)] {
        let q = score(&day_with(|slot, r| {
            if (1_000..2_500).contains(&slot) {
                r.humidity_dpct = Some(humidity);
                r.temperature_cc = Some(800);
            }
        }));
        assert_eq!(
            q.parameter(WeatherParameter::Humidity).constant > 0,
            faults,
            "{humidity}"
        );
        assert_eq!(
            q.parameter(WeatherParameter::Temperature).constant > 0,
            faults,
            "{humidity}"
        );
    }
}

#[test]
fn calm_is_a_fault_in_dry_air_and_exempt_in_damp_air_above_freezing() {
    let calm = |humidity: u32, temperature: i32| {
        score(&day_with(move |slot, r| {
            if (0..2_000).contains(&slot) {
                r.wind_speed_cms = Some(0);
                r.humidity_dpct = Some(humidity + (slot.rem_euclid(3)) as u32);
                r.temperature_cc = Some(temperature + (slot.rem_euclid(3)) as i32);
            }
        }))
        .parameter(WeatherParameter::WindSpeed)
        .constant
    };
    assert!(calm(600, 1_000) > 0, "dry air");
    assert_eq!(calm(900, 1_000), 0, "damp air");
    assert!(calm(900, -200) > 0, "a frozen gauge");
}

#[test]
fn night_may_hold_illuminance_at_zero_but_a_lamp_may_not_hold_it_lit() {
    let lamp = score(&day_with(|slot, r| {
        if (0..1_000).contains(&slot) {
            r.illuminance_lux = Some(300);
        }
    }));
    assert!(lamp.parameter(WeatherParameter::Illuminance).constant >= 1_000);
    let night = score(&day_with(|_, _| {}));
    assert_eq!(night.parameter(WeatherParameter::Illuminance).constant, 0);
}

#[test]
fn a_missing_hour_costs_its_share_and_an_hour_below_availability_scores_zero() {
    // Hour 5 entirely missing: one hour of 24 for every parameter.
    let gap = score(
        &day_with(|_, _| {})
            .into_iter()
            .filter(|r| !(DAY + 5 * 3_600..DAY + 6 * 3_600).contains(&r.at_s))
            .collect::<Vec<_>>(),
    );
    assert_eq!(gap.score_ppm, 23 * PPM / 24);
    // Hour 5 with every third reading missing: 150 of 225 slots is 66.7 %, under the 67 %
    // of temperature, humidity, pressure and illuminance and the 75 % and 85 % of the others.
    let sparse = score(
        &day_with(|_, _| {})
            .into_iter()
            .filter(|r| {
                let in_hour = (DAY + 5 * 3_600..DAY + 6 * 3_600).contains(&r.at_s);
                !in_hour || !((r.at_s - DAY) / STEP).is_multiple_of(3)
            })
            .collect::<Vec<_>>(),
    );
    for p in &sparse.parameters {
        assert_eq!(p.hours_ppm[5], 0, "{:?}", p.parameter);
        assert_eq!(p.hours_ppm[4], PPM);
    }
}

#[test]
fn the_score_depends_on_the_set_of_readings_not_their_order_or_repeats() {
    let readings = day_with(|slot, r| {
        if slot % 97 == 0 {
            r.temperature_cc = Some(r.temperature_cc.unwrap() + 900);
        }
    });
    let once = score(&readings);
    let mut shuffled: Vec<WeatherReading> = readings.iter().rev().copied().collect();
    shuffled.extend_from_slice(&readings[..500]);
    let again = score(&shuffled);
    assert_eq!(again.score_ppm, once.score_ppm);
    assert_eq!(again.parameters, once.parameters);
    assert_eq!(again.readings_ignored, 500);
}

#[test]
fn a_rain_gauge_that_runs_backwards_or_too_fast_is_a_fault() {
    let q = score(&day_with(|slot, r| {
        if slot == 2_000 {
            r.precipitation_um = Some(1);
        }
        if slot == 3_000 {
            r.precipitation_um = Some(r.precipitation_um.unwrap() + 4_065);
        }
    }));
    // 2 000 falls, 2 001 rises too far from it; 3 000 rises too far, 3 001 falls back.
    assert_eq!(
        q.parameter(WeatherParameter::Precipitation).out_of_bounds,
        4
    );
}

#[test]
fn made_up_values_score_far_below_an_honest_station() {
    // Each value drawn anew within the sensor's range every slot.
    let mut x: u64 = 7;
    let mut next = move |range: u64| {
        x = x
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (x >> 33) % range
    };
    let readings: Vec<WeatherReading> = (-1_350..5_400i64)
        .map(|slot| WeatherReading {
            at_s: (DAY as i64 + slot * 16) as u64,
            temperature_cc: Some(next(10_000) as i32 - 4_000),
            humidity_dpct: Some(100 + next(890) as u32),
            pressure_dhpa: Some(3_000 + next(8_000) as u32),
            wind_speed_cms: Some(next(5_000) as u32),
            wind_direction_deg: Some(next(360) as u32),
            illuminance_lux: Some(next(400_000) as u32),
            precipitation_um: Some(next(1_000_000) as u32),
        })
        .collect();
    let q = score(&readings);
    assert!(q.score_ppm < PPM / 2, "{}", q.score_ppm);
}
