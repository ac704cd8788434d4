//! Rules N1–N3, M1–M3, V1–V3, S1–S3 and C1–C3.

use super::cells::{select, Candidate, Selection, CELL_PARAMS};
use super::meter::{meter_quality, reference_irradiance, MeterHour, METER_PARAMS};
use super::neighbours::{agreement, default_params, StationDay};
use super::streak::{level_of, next_week, Streak, STREAK_LEVELS};
use super::vehicle::{vehicle_quality, VehicleReading, VEHICLE_PARAMS};
use super::weather::{DailyQod, ParameterDay, WeatherParameter};
use super::PPM;
use crate::wireless::geo::Position;
use plexus_types::{Address, PublicKey};

/// A day whose counted hourly means are `temperature(hour)` and `humidity(hour)`.
fn day(temperature: impl Fn(usize) -> i64, humidity: impl Fn(usize) -> i64) -> DailyQod {
    let parameters = WeatherParameter::ALL
        .iter()
        .map(|&p| ParameterDay {
            parameter: p,
            hours_ppm: vec![PPM; 24],
            hour_means: (0..24)
                .map(|h| match p {
                    WeatherParameter::Temperature => Some(temperature(h)),
                    WeatherParameter::Humidity => Some(humidity(h)),
                    _ => Some(0),
                })
                .collect(),
            missing: 0,
            out_of_bounds: 0,
            jumps: 0,
            constant: 0,
        })
        .collect();
    DailyQod {
        score_ppm: PPM,
        parameters,
        readings_used: 0,
        readings_ignored: 0,
    }
}

const DAY: u64 = 1_764_892_800;

const ORIGIN: Position = Position {
    lat_e6: 37_983_000,
    lon_e6: 23_727_000,
};

#[test]
fn a_station_far_from_its_neighbours_readings_disagrees_and_honest_ones_agree() {
    // Six honest stations within 3 km, a tenth of a degree apart; one indoors, 5 °C warmer
    // and 20 % drier; one 50 km away.
    let honest: Vec<DailyQod> = (0..6)
        .map(|i| {
            day(
                |h| 1_500 + 20 * h as i64 + 10 * i,
                |h| 600 - 5 * h as i64 + 3 * i,
            )
        })
        .collect();
    let indoor = day(|h| 2_000 + 20 * h as i64, |h| 400 - 5 * h as i64);
    let far = day(|_| 3_000, |_| 200);
    let mut stations: Vec<StationDay> = honest
        .iter()
        .enumerate()
        .map(|(i, qod)| StationDay {
            position: ORIGIN.offset_m(400 * i as i64, -300 * i as i64),
            qod,
        })
        .collect();
    stations.push(StationDay {
        position: ORIGIN.offset_m(1_000, 1_000),
        qod: &indoor,
    });
    stations.push(StationDay {
        position: ORIGIN.offset_m(50_000, 0),
        qod: &far,
    });
    let found = agreement(&default_params(), &stations);
    for a in &found[..6] {
        assert_eq!(a.compared_hours, 48);
        assert_eq!(a.ppm, PPM, "{a:?}");
    }
    assert_eq!(found[6].compared_hours, 48);
    assert_eq!(found[6].ppm, 0);
    // Nobody within 10 km: nothing contradicts it.
    assert_eq!(found[7].compared_hours, 0);
    assert_eq!(found[7].ppm, PPM);
}

#[test]
fn a_meter_is_believed_up_to_what_the_sun_allowed_and_an_inflating_one_is_paid_nothing() {
    // Three stations: 0 lx at night, up to 100 000 lx (820 W/m²) at noon.
    let lux: Vec<Option<i64>> = (0..24)
        .map(|h: i64| {
            Some(if (6..18).contains(&h) {
                100_000 - (h - 12).abs() * 15_000
            } else {
                0
            })
        })
        .collect();
    let stations = [lux.as_slice(), lux.as_slice(), lux.as_slice()];
    let sun = reference_irradiance(&METER_PARAMS, &stations);
    assert_eq!(sun[12], Some(819));
    assert_eq!(sun[0], Some(0));
    // A 5 kW roof at 80 % of the clear-sky figure every hour.
    let honest: Vec<MeterHour> = (0..24)
        .map(|h| MeterHour {
            hour_start_s: DAY + h * 3_600,
            produced_wh: 5_000 * sun[h as usize].unwrap() / 1_000 * 8 / 10,
            consumed_wh: 400,
        })
        .collect();
    let day = meter_quality(&METER_PARAMS, 5_000, DAY, &sun, &honest);
    assert_eq!((day.quality_ppm, day.implausible_hours), (PPM, 0));
    // Twice what it produced: every sunny hour past the ceiling.
    let inflated: Vec<MeterHour> = honest
        .iter()
        .map(|h| MeterHour {
            produced_wh: h.produced_wh * 2,
            ..*h
        })
        .collect();
    let day = meter_quality(&METER_PARAMS, 5_000, DAY, &sun, &inflated);
    assert!(day.implausible_hours > 2);
    assert_eq!(day.quality_ppm, 0);
    // Half the hours reported: half the day's quality.
    let half = meter_quality(&METER_PARAMS, 5_000, DAY, &sun, &honest[..12]);
    assert_eq!(half.quality_ppm, PPM / 2);
    // Without a reference, a sunny hour cannot be believed.
    let blind = meter_quality(&METER_PARAMS, 5_000, DAY, &[None; 24], &honest);
    assert_eq!(blind.quality_ppm, 0);
}

fn drive(seconds: u64, speed_ms: i64) -> Vec<VehicleReading> {
    (0..=seconds / 10)
        .map(|i| {
            let at = i * 10;
            VehicleReading {
                at_s: 1_000 + at,
                position: ORIGIN.offset_m(at as i64 * speed_ms, 0),
                speed_cms: (speed_ms * 100) as u32,
                odometer_m: 50_000 + at * speed_ms as u64 * 11 / 10,
            }
        })
        .collect()
}

#[test]
fn a_possible_trip_scores_one_and_a_teleport_scores_nothing() {
    let trip = drive(600, 25);
    let day = vehicle_quality(&VEHICLE_PARAMS, &trip);
    assert_eq!(day.segments, 60);
    assert_eq!(day.quality_ppm, PPM);
    // The same trip in any order, with repeats, is the same trip.
    let mut shuffled: Vec<VehicleReading> = trip.iter().rev().copied().collect();
    shuffled.extend_from_slice(&trip[..5]);
    assert_eq!(vehicle_quality(&VEHICLE_PARAMS, &shuffled), day);
    // 100 km in ten seconds.
    let mut teleport = trip.clone();
    teleport[30].position = ORIGIN.offset_m(100_000, 0);
    assert_eq!(vehicle_quality(&VEHICLE_PARAMS, &teleport).quality_ppm, 0);
    // An odometer that rolls back, and one that claims more road than time allows.
    let mut rolled = trip.clone();
    rolled[30].odometer_m = 10;
    let rolled = vehicle_quality(&VEHICLE_PARAMS, &rolled);
    assert!(rolled.quality_ppm < PPM && rolled.quality_ppm > 0);
    let mut padded = trip;
    padded[30].odometer_m += 5_000;
    assert!(vehicle_quality(&VEHICLE_PARAMS, &padded).quality_ppm < PPM);
    // Parked all day, with readings or without: nothing proven, nothing paid.
    assert_eq!(
        vehicle_quality(&VEHICLE_PARAMS, &drive(0, 0)).quality_ppm,
        0
    );
    assert_eq!(
        vehicle_quality(&VEHICLE_PARAMS, &drive(600, 0)).quality_ppm,
        0
    );
    // 400 m is not a trip; 600 m is.
    assert_eq!(
        vehicle_quality(&VEHICLE_PARAMS, &drive(20, 20)).quality_ppm,
        0
    );
    assert_eq!(
        vehicle_quality(&VEHICLE_PARAMS, &drive(30, 20)).quality_ppm,
        PPM
    );
}

#[test]
fn dimo_s_streak_levels_are_4_21_and_36_weeks_worth_1000_2000_and_3000_points() {
    let table: Vec<(u8, u32, u64)> = STREAK_LEVELS
        .iter()
        .map(|l| (l.level, l.min_weeks, l.points))
        .collect();
    assert_eq!(
        table,
        [(1, 0, 0), (2, 4, 1_000), (3, 21, 2_000), (4, 36, 3_000)]
    );
    for (weeks, points) in [
        (3, 0),
        (4, 1_000),
        (20, 1_000),
        (21, 2_000),
        (35, 2_000),
        (36, 3_000),
        (500, 3_000),
    ] {
        assert_eq!(level_of(weeks).points, points, "{weeks} weeks");
    }
    // Connected for 40 weeks in a row: the points of each week's streak.
    let mut streak = Streak::default();
    let mut total = 0;
    for _ in 0..40 {
        let (next, points) = next_week(streak, true);
        streak = next;
        total += points;
    }
    assert_eq!(streak.connected_weeks, 40);
    assert_eq!(total, 17 * 1_000 + 15 * 2_000 + 5 * 3_000);
}

#[test]
fn a_missed_week_pays_nothing_and_every_third_in_a_row_drops_a_level() {
    // The streak after `missed` weeks missed in a row, from `connected` weeks and `before`
    // weeks already missed.
    let after = |connected: u32, before: u32, missed: u32| {
        let mut s = Streak {
            connected_weeks: connected,
            missed_weeks: before,
        };
        for _ in 0..missed {
            let (next, points) = next_week(s, false);
            assert_eq!(points, 0);
            s = next;
        }
        s.connected_weeks
    };
    // DIMO's own cases: 22 weeks and a third miss fall to 4; 21 weeks and a sixth miss (five
    // already missed) fall to 4; 1 week and a third miss falls to 0.
    assert_eq!(after(22, 0, 3), 4);
    assert_eq!(after(21, 5, 1), 4);
    assert_eq!(after(1, 0, 3), 0);
    // Level 4 falls to level 3's start, and six misses from there to level 2's.
    assert_eq!(after(40, 0, 3), 21);
    assert_eq!(after(40, 0, 6), 4);
    // Two misses cost only their own weeks: the streak goes on where it was.
    assert_eq!(after(40, 0, 2), 40);
    let (back, points) = next_week(
        Streak {
            connected_weeks: 40,
            missed_weeks: 2,
        },
        true,
    );
    assert_eq!(
        (back.connected_weeks, back.missed_weeks, points),
        (41, 0, 3_000)
    );
}

fn candidate(i: u8, cell: u64, quality: u32, since: u64) -> Candidate {
    Candidate {
        device: PublicKey::from_slice(&[i; 32]).unwrap(),
        owner: Address([i; 20]),
        cell,
        quality_ppm: quality,
        location_ppm: PPM,
        since,
    }
}

#[test]
fn a_cell_pays_its_ten_best_stations_the_senior_first_among_equals() {
    // Twelve equal stations in one cell, registered at heights 100..112; a better one that
    // moved in last; one below the quality bar; one without a location; two in another cell.
    let mut all: Vec<Candidate> = (0..12)
        .map(|i| candidate(i, 7, 900_000, 100 + u64::from(i)))
        .collect();
    all.push(candidate(20, 7, 990_000, 5_000));
    all.push(candidate(21, 7, 400_000, 1));
    let mut lost = candidate(22, 7, 990_000, 1);
    lost.location_ppm = 0;
    all.push(lost);
    all.push(candidate(23, 8, 600_000, 1));
    all.push(candidate(24, 8, 700_000, 9));
    let (selection, leaves) = select(&CELL_PARAMS, &all).unwrap();
    // The newcomer ranks first by quality; then the nine most senior of the twelve.
    assert_eq!(selection[12], Selection::Paid);
    assert!(selection[..9].iter().all(|s| *s == Selection::Paid));
    assert_eq!(&selection[9..12], &[Selection::CellFull; 3]);
    assert_eq!(selection[13], Selection::BelowQuality);
    assert_eq!(selection[14], Selection::NoLocation);
    assert_eq!(&selection[15..], &[Selection::Paid; 2]);
    assert_eq!(leaves.len(), 12);
    assert!(leaves.windows(2).all(|w| w[0].device < w[1].device));
    let units = |i: u8| {
        leaves
            .iter()
            .find(|l| l.device == PublicKey::from_slice(&[i; 32]).unwrap())
            .map(|l| l.units)
    };
    assert_eq!(units(24), Some(700_000));
    // Proof of location scales the units.
    let mut half = candidate(30, 9, 800_000, 1);
    half.location_ppm = PPM / 2;
    let (_, leaves) = select(&CELL_PARAMS, &[half]).unwrap();
    assert_eq!(leaves[0].units, 400_000);
}
