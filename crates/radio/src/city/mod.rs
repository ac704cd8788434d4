//! A city laid on H3 around a real coordinate: hotspots (indoor and outdoor Wi-Fi, LoRa) with
//! a true position, an asserted position and res-12 cell, an antenna and keys, and subscribers
//! who walk about. Everything comes from the seed; floats describe the true world only, and
//! what leaves the city for the rules is integers and keys.

use crate::cheats::{cheater_behaviours, Behaviour};
use crate::propagation::Environment;
use h3o::{LatLng, Resolution};
use plexus_rewards::wireless::{Antenna, Hotspot, ModeledRadio, Position, RadioKind};
use plexus_types::{PublicKey, SecretKey};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Lisbon's Praça do Comércio, in millionths of a degree.
pub const LISBON: Position = Position {
    lat_e6: 38_707_500,
    lon_e6: -9_136_400,
};
/// Honest LoRa hotspots are placed at least this far apart (when the city has room): nearer
/// than 344 m their witnesses would not count.
const LORA_SPACING_M: f64 = 450.0;
/// How far from where it is a spoofer asserts, north and east: about 25 km.
const SPOOF_OFFSET_M: (i64, i64) = (18_000, 17_000);

/// What a hotspot is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HotspotKind {
    WifiIndoor,
    WifiOutdoor,
    Lora,
}

impl HotspotKind {
    pub fn name(self) -> &'static str {
        match self {
            HotspotKind::WifiIndoor => "wifi-indoor",
            HotspotKind::WifiOutdoor => "wifi-outdoor",
            HotspotKind::Lora => "lora",
        }
    }

    /// The coverage rules' kind of a Wi-Fi hotspot.
    pub fn radio_kind(self) -> Option<RadioKind> {
        match self {
            HotspotKind::WifiIndoor => Some(RadioKind::IndoorWifi),
            HotspotKind::WifiOutdoor => Some(RadioKind::OutdoorWifi),
            HotspotKind::Lora => None,
        }
    }
}

/// A point of the true world: metres east and north of the city's centre.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Point {
    pub east: f64,
    pub north: f64,
}

impl Point {
    pub fn distance(self, other: Point) -> f64 {
        (self.east - other.east).hypot(self.north - other.north)
    }

    fn polar(r: f64, angle: f64) -> Point {
        Point {
            east: r * angle.cos(),
            north: r * angle.sin(),
        }
    }

    fn plus(self, p: Point) -> Point {
        Point {
            east: self.east + p.east,
            north: self.north + p.north,
        }
    }
}

/// The run's size and seed.
#[derive(Debug, Clone, PartialEq)]
pub struct CityConfig {
    pub centre: Position,
    /// Hotspots and subscribers are placed within this distance of the centre.
    pub radius_m: f64,
    pub hotspots: usize,
    pub cheaters: usize,
    pub subscribers: usize,
    pub seed: u64,
    pub env: Environment,
}

/// Why a city could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    Hotspots(usize),
    Cheaters { cheaters: usize, hotspots: usize },
    Subscribers(usize),
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConfigError::Hotspots(n) => write!(f, "hotspots must be 1 to 5 000, not {n}"),
            ConfigError::Cheaters { cheaters, hotspots } => {
                write!(f, "{cheaters} cheaters among {hotspots} hotspots")
            }
            ConfigError::Subscribers(n) => write!(f, "subscribers must be at most 50 000, not {n}"),
        }
    }
}

impl std::error::Error for ConfigError {}

impl CityConfig {
    /// A city around [`LISBON`] of 2 km radius for up to 40 hotspots, its area growing with
    /// more so that their density stays that of 40 in 2 km.
    pub fn lisbon(hotspots: usize, cheaters: usize, subscribers: usize, seed: u64) -> CityConfig {
        CityConfig {
            centre: LISBON,
            radius_m: 2_000.0 * (hotspots.max(40) as f64 / 40.0).sqrt(),
            hotspots,
            cheaters,
            subscribers,
            seed,
            env: Environment::default(),
        }
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=5_000).contains(&self.hotspots) {
            return Err(ConfigError::Hotspots(self.hotspots));
        }
        if self.cheaters > self.hotspots {
            return Err(ConfigError::Cheaters {
                cheaters: self.cheaters,
                hotspots: self.hotspots,
            });
        }
        if self.subscribers > 50_000 {
            return Err(ConfigError::Subscribers(self.subscribers));
        }
        Ok(())
    }
}

/// A hotspot: what it is, how it behaves, where it is and what it asserts.
#[derive(Debug, Clone)]
pub struct SimHotspot {
    pub index: usize,
    pub kind: HotspotKind,
    pub behaviour: Behaviour,
    pub key: SecretKey,
    pub public: PublicKey,
    /// The owner's key, which pays for the self-dealer's traffic.
    pub owner: PublicKey,
    /// The owner's secret key, which signs the hotspot's registration on a devnet.
    pub owner_key: SecretKey,
    /// Where it really is.
    pub true_at: Point,
    pub asserted: Position,
    /// The res-12 cell of the asserted position.
    pub asserted_cell: u64,
    pub antenna: Antenna,
    /// Height of its assertion (the index: the first placed is the most senior).
    pub asserted_height: u64,
}

/// A phone that walks about and attaches to the Wi-Fi hotspot it hears best.
#[derive(Debug, Clone)]
pub struct Subscriber {
    pub index: usize,
    pub public: PublicKey,
    /// The phone's key, which signs its data sessions' receipts.
    pub key: SecretKey,
    /// Who pays for its data: itself, or a self-dealer's owner.
    pub payer: PublicKey,
    pub at: Point,
    /// A self-dealer's phone stays at, and uses only, that hotspot.
    pub pinned_to: Option<usize>,
}

/// The city: its hotspots and subscribers.
#[derive(Debug, Clone)]
pub struct City {
    pub config: CityConfig,
    pub hotspots: Vec<SimHotspot>,
    pub subscribers: Vec<Subscriber>,
}

fn key_from(rng: &mut ChaCha8Rng) -> SecretKey {
    SecretKey::from_seed(rng.gen())
}

fn random_point(rng: &mut ChaCha8Rng, radius: f64) -> Point {
    // Uniform over the disc.
    let r = radius * rng.gen::<f64>().sqrt();
    Point::polar(r, rng.gen_range(0.0..std::f64::consts::TAU))
}

/// The kind of the `i`-th honest hotspot: two in five LoRa, two in five indoor Wi-Fi, one in
/// five outdoor Wi-Fi.
fn honest_kind(i: usize) -> HotspotKind {
    match i % 5 {
        0 | 2 => HotspotKind::Lora,
        1 | 3 => HotspotKind::WifiIndoor,
        _ => HotspotKind::WifiOutdoor,
    }
}

fn cheater_kind(b: Behaviour) -> HotspotKind {
    match b {
        Behaviour::Spoofer | Behaviour::WitnessRing | Behaviour::Honest => HotspotKind::Lora,
        Behaviour::SelfDealer => HotspotKind::WifiIndoor,
        Behaviour::Silent => HotspotKind::WifiOutdoor,
    }
}

impl City {
    /// Builds the city of `config` from its seed.
    pub fn generate(config: CityConfig) -> Result<City, ConfigError> {
        config.validate()?;
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        let honest = config.hotspots - config.cheaters;
        let roles: Vec<(HotspotKind, Behaviour)> = (0..honest)
            .map(|i| (honest_kind(i), Behaviour::Honest))
            .chain(
                cheater_behaviours(config.cheaters)
                    .into_iter()
                    .map(|b| (cheater_kind(b), b)),
            )
            .collect();
        let radius = config.radius_m;
        // The ring's room is near the city's edge; its members claim spots spread downtown.
        let room = Point::polar(radius * 0.85, rng.gen_range(0.0..std::f64::consts::TAU));
        let ring_size = roles
            .iter()
            .filter(|r| r.1 == Behaviour::WitnessRing)
            .count();
        let ring_turn: f64 = rng.gen_range(0.0..std::f64::consts::TAU);
        let mut lora_spots: Vec<Point> = Vec::new();
        let mut city = City {
            config: config.clone(),
            hotspots: Vec::with_capacity(roles.len()),
            subscribers: Vec::new(),
        };
        let mut ring_seen = 0usize;
        for (index, (kind, behaviour)) in roles.into_iter().enumerate() {
            let key = key_from(&mut rng);
            let owner_key = key_from(&mut rng);
            let (true_at, claimed) = match behaviour {
                Behaviour::WitnessRing => {
                    let jitter = Point::polar(3.0, rng.gen_range(0.0..std::f64::consts::TAU));
                    let angle = ring_turn
                        + std::f64::consts::TAU * ring_seen as f64 / ring_size.max(1) as f64;
                    ring_seen += 1;
                    (room.plus(jitter), Point::polar(radius * 0.45, angle))
                }
                _ if kind == HotspotKind::Lora => {
                    let spot = (0..100)
                        .map(|_| random_point(&mut rng, radius))
                        .find(|p| lora_spots.iter().all(|q| p.distance(*q) >= LORA_SPACING_M))
                        .unwrap_or_else(|| random_point(&mut rng, radius));
                    lora_spots.push(spot);
                    (spot, spot)
                }
                _ => {
                    let spot = random_point(&mut rng, radius);
                    (spot, spot)
                }
            };
            let mut asserted = city.position_of(claimed);
            if behaviour == Behaviour::Spoofer {
                asserted = asserted.offset_m(SPOOF_OFFSET_M.0, SPOOF_OFFSET_M.1);
            }
            let antenna = match kind {
                HotspotKind::WifiIndoor => Antenna {
                    gain_cdbi: 300,
                    elevation_m: 3,
                    azimuth_deg: 0,
                },
                HotspotKind::WifiOutdoor => Antenna {
                    gain_cdbi: 900,
                    elevation_m: rng.gen_range(8..20),
                    azimuth_deg: rng.gen_range(0..360),
                },
                HotspotKind::Lora => Antenna {
                    gain_cdbi: 300,
                    elevation_m: rng.gen_range(5..25),
                    azimuth_deg: 0,
                },
            };
            city.hotspots.push(SimHotspot {
                index,
                kind,
                behaviour,
                public: key.public_key(),
                key,
                owner: owner_key.public_key(),
                owner_key,
                true_at,
                asserted,
                asserted_cell: cell_of(asserted),
                antenna,
                asserted_height: index as u64 + 1,
            });
        }
        for index in 0..config.subscribers {
            let key = key_from(&mut rng);
            let at = random_point(&mut rng, radius);
            city.subscribers.push(Subscriber {
                index,
                public: key.public_key(),
                payer: key.public_key(),
                key,
                at,
                pinned_to: None,
            });
        }
        // Each self-dealer's owner has a phone of its own at the hotspot.
        let dealers: Vec<(usize, Point, PublicKey)> = city
            .hotspots
            .iter()
            .filter(|h| h.behaviour == Behaviour::SelfDealer)
            .map(|h| (h.index, h.true_at, h.owner))
            .collect();
        for (hotspot, at, owner) in dealers {
            let key = key_from(&mut rng);
            city.subscribers.push(Subscriber {
                index: city.subscribers.len(),
                public: key.public_key(),
                key,
                payer: owner,
                at,
                pinned_to: Some(hotspot),
            });
        }
        Ok(city)
    }

    /// The position of a point of the true world, in millionths of a degree.
    pub fn position_of(&self, p: Point) -> Position {
        self.config
            .centre
            .offset_m(p.north.round() as i64, p.east.round() as i64)
    }

    /// The counterfactual of a ring: the same city, with every ring member honest and really
    /// at the spot it asserts.
    pub fn ring_placed_honestly(&self) -> City {
        let mut city = self.clone();
        let centre = self.config.centre;
        for h in city
            .hotspots
            .iter_mut()
            .filter(|h| h.behaviour == Behaviour::WitnessRing)
        {
            h.behaviour = Behaviour::Honest;
            h.true_at = point_of(centre, h.asserted);
        }
        city
    }

    /// The hotspot as the PoC rules see it (asserted location and cell, gain).
    pub fn registered(&self, h: &SimHotspot) -> Hotspot {
        Hotspot {
            key: h.public,
            asserted: h.asserted,
            cell: h.asserted_cell,
            asserted_height: h.asserted_height,
            gain_cdbi: h.antenna.gain_cdbi,
        }
    }

    /// The radio as rule M sees it, for a Wi-Fi hotspot.
    pub fn modeled(&self, h: &SimHotspot) -> Option<ModeledRadio> {
        Some(ModeledRadio {
            key: h.public,
            cell: h.asserted_cell,
            kind: h.kind.radio_kind()?,
            antenna: h.antenna,
        })
    }
}

/// The point of the true world at `p` (the inverse of [`City::position_of`], to a metre).
pub fn point_of(centre: Position, p: Position) -> Point {
    let north = plexus_rewards::wireless::distance_m(
        centre,
        Position {
            lat_e6: p.lat_e6,
            lon_e6: centre.lon_e6,
        },
    ) as f64;
    let east = plexus_rewards::wireless::distance_m(
        Position {
            lat_e6: p.lat_e6,
            lon_e6: centre.lon_e6,
        },
        p,
    ) as f64;
    Point {
        east: if p.lon_e6 < centre.lon_e6 {
            -east
        } else {
            east
        },
        north: if p.lat_e6 < centre.lat_e6 {
            -north
        } else {
            north
        },
    }
}

/// The res-12 H3 cell of a position (h3o's float conversion: the simulator decides where
/// things are; the rules only use the cell it asserts).
pub fn cell_of(p: Position) -> u64 {
    let ll = LatLng::new(f64::from(p.lat_e6) / 1e6, f64::from(p.lon_e6) / 1e6)
        .expect("positions are in range");
    u64::from(ll.to_cell(Resolution::Twelve))
}
