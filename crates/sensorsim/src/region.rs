//! The region: weather stations, rooftop solar meters and vehicles around a centre, each with
//! a key, a true position and a behaviour. Cheaters are spread over the kinds of cheat, one
//! of each in turn.

use plexus_rewards::wireless::geo::Position;
use plexus_types::SecretKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Athens, where WeatherXM began, in millionths of a degree.
pub const ATHENS: Position = Position {
    lat_e6: 37_983_800,
    lon_e6: 23_727_500,
};
/// Devices are placed within this many metres of the centre: close enough that each station
/// has neighbours within the 10 km of the neighbour check.
pub const RADIUS_M: f64 = 6_000.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeviceKind {
    Weather,
    EnergyMeter,
    Vehicle,
}

impl DeviceKind {
    /// The ledger's device class.
    pub fn class(self) -> &'static str {
        match self {
            DeviceKind::Weather => "weather",
            DeviceKind::EnergyMeter => "energy-meter",
            DeviceKind::Vehicle => "vehicle",
        }
    }
}

/// How a device behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Behaviour {
    Honest,
    /// A station that reports values drawn at random within its sensors' ranges.
    MadeUp,
    /// A station that repeats one reading.
    Constant,
    /// A station indoors: warm, dry, still and dim.
    Indoor,
    /// A meter that reports 2.5 times what its roof produced.
    InflatingMeter,
    /// A vehicle whose positions jump tens of kilometres.
    Teleporting,
}

impl Behaviour {
    /// The cheats, in the order cheaters are given them.
    pub const CHEATS: [Behaviour; 5] = [
        Behaviour::MadeUp,
        Behaviour::Constant,
        Behaviour::Indoor,
        Behaviour::InflatingMeter,
        Behaviour::Teleporting,
    ];

    /// The kind of device that commits this cheat.
    pub fn kind(self) -> Option<DeviceKind> {
        match self {
            Behaviour::Honest => None,
            Behaviour::MadeUp | Behaviour::Constant | Behaviour::Indoor => {
                Some(DeviceKind::Weather)
            }
            Behaviour::InflatingMeter => Some(DeviceKind::EnergyMeter),
            Behaviour::Teleporting => Some(DeviceKind::Vehicle),
        }
    }
}

/// One device of the region.
#[derive(Debug, Clone)]
pub struct Device {
    pub index: usize,
    pub kind: DeviceKind,
    pub behaviour: Behaviour,
    pub key: SecretKey,
    /// Metres east and north of the centre.
    pub east: f64,
    pub north: f64,
    pub position: Position,
    /// A meter's roof, watts peak; 0 for other devices.
    pub capacity_w: u64,
}

impl Device {
    /// The resolution-12 H3 cell it stands in, which it asserts on chain.
    pub fn cell(&self) -> u64 {
        let at = h3o::LatLng::new(
            f64::from(self.position.lat_e6) / 1e6,
            f64::from(self.position.lon_e6) / 1e6,
        )
        .expect("a position within the region is a valid coordinate");
        u64::from(at.to_cell(h3o::Resolution::Twelve))
    }
}

/// The devices of a region.
#[derive(Debug, Clone)]
pub struct Region {
    pub seed: u64,
    pub devices: Vec<Device>,
}

impl Region {
    /// `devices` devices, three in five weather stations and the rest meters and vehicles
    /// alike, of which `cheaters` cheat (spread over [`Behaviour::CHEATS`]); keys from `seed`.
    pub fn new(seed: u64, devices: usize, cheaters: usize) -> Region {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let stations = devices * 3 / 5;
        let meters = (devices - stations) / 2;
        let kind_of = |i: usize| {
            if i < stations {
                DeviceKind::Weather
            } else if i < stations + meters {
                DeviceKind::EnergyMeter
            } else {
                DeviceKind::Vehicle
            }
        };
        let mut behaviours = vec![Behaviour::Honest; devices];
        // Cheater c takes cheat c mod 5, on the last honest device of that cheat's kind.
        for c in 0..cheaters.min(devices) {
            let cheat = Behaviour::CHEATS[c % Behaviour::CHEATS.len()];
            let kind = cheat.kind().expect("a cheat has a kind");
            if let Some(i) = (0..devices)
                .rev()
                .find(|&i| kind_of(i) == kind && behaviours[i] == Behaviour::Honest)
            {
                behaviours[i] = cheat;
            }
        }
        let devices = (0..devices)
            .map(|index| {
                let angle = rng.gen::<f64>() * std::f64::consts::TAU;
                let r = RADIUS_M * rng.gen::<f64>().sqrt();
                let (east, north) = (r * angle.cos(), r * angle.sin());
                let mut key_seed = [0u8; 32];
                key_seed[..8].copy_from_slice(&seed.to_le_bytes());
                key_seed[8..16].copy_from_slice(&(index as u64).to_le_bytes());
                key_seed[16..24].copy_from_slice(b"sensors!");
                let kind = kind_of(index);
                Device {
                    index,
                    kind,
                    behaviour: behaviours[index],
                    key: SecretKey::from_seed(key_seed),
                    east,
                    north,
                    position: ATHENS.offset_m(north.round() as i64, east.round() as i64),
                    capacity_w: if kind == DeviceKind::EnergyMeter {
                        3_000 + 500 * rng.gen_range(0..10u64)
                    } else {
                        0
                    },
                }
            })
            .collect();
        Region { seed, devices }
    }
}
