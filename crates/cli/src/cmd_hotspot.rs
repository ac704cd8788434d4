//! `plexus hotspot assert-location` and `plexus query coverage`: wireless hotspots from the
//! command line. Latitude and longitude become a resolution-12 H3 cell here, with `h3o`; the
//! chain only ever sees the cell, so no floating point reaches the ledger.

use crate::cmd_tx::send_and_wait;
use crate::output::{cell, Table};
use crate::{print_json, Globals};
use anyhow::{bail, Context};
use plexus_client::NodeApi;
use plexus_types::tx::{Antenna, ANTENNA_GAIN_CDBI, ASSERTED_RESOLUTION, MAX_ANTENNA_ELEVATION_M};
use plexus_types::{Address, Body, PublicKey};
use serde_json::{json, Value};
use std::time::Duration;

/// Wireless hotspots.
#[derive(clap::Subcommand)]
pub enum HotspotCommand {
    /// Assert where a hotspot stands and how its antenna is mounted, signed by its owner. Costs
    /// the chain's location assertion fee (burned) on top of the transaction fee; a move to
    /// another cell resets the hotspot's seniority, a new antenna in the same cell does not.
    AssertLocation(AssertLocation),
}

#[derive(clap::Args)]
pub struct AssertLocation {
    /// Name of the owner's key, which signs and pays.
    #[arg(long)]
    from: String,
    /// The hotspot: its public key (64 hex digits) or the name of its key in the keyring.
    #[arg(long)]
    device: String,
    /// Latitude in degrees, -90 to 90.
    #[arg(long, allow_negative_numbers = true)]
    lat: f64,
    /// Longitude in degrees, -180 to 180.
    #[arg(long, allow_negative_numbers = true)]
    lng: f64,
    /// Antenna gain in dBi, -10 to 30 (kept to hundredths).
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    gain_dbi: f64,
    /// Antenna height above ground in metres, at most 1000.
    #[arg(long, default_value_t = 0)]
    elevation_m: u32,
    /// Direction the antenna points, degrees clockwise from north, 0 to 359. The chain records
    /// it turned into the coverage model's grid frame around the asserted cell.
    #[arg(long, default_value_t = 0)]
    azimuth: u32,
    /// How long to wait for the transaction to commit.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    timeout: Duration,
}

pub async fn run(g: &Globals, cmd: HotspotCommand) -> anyhow::Result<()> {
    match cmd {
        HotspotCommand::AssertLocation(a) => assert_location(g, a).await,
    }
}

/// The resolution-12 cell at `lat`, `lng` (degrees).
pub fn cell_at(lat: f64, lng: f64) -> anyhow::Result<u64> {
    if !(-90.0..=90.0).contains(&lat) {
        bail!("--lat {lat} is not a latitude: it must be between -90 and 90 degrees");
    }
    if !(-180.0..=180.0).contains(&lng) {
        bail!("--lng {lng} is not a longitude: it must be between -180 and 180 degrees");
    }
    let point = h3o::LatLng::new(lat, lng)
        .with_context(|| format!("{lat}, {lng} is not a point on Earth"))?;
    let resolution = h3o::Resolution::try_from(ASSERTED_RESOLUTION)
        .context("the asserted resolution is an H3 resolution")?;
    Ok(point.to_cell(resolution).into())
}

/// The antenna the flags describe, within the chain's bounds.
pub fn antenna(gain_dbi: f64, elevation_m: u32, azimuth: u32) -> anyhow::Result<Antenna> {
    let (low, high) = (
        f64::from(*ANTENNA_GAIN_CDBI.start()) / 100.0,
        f64::from(*ANTENNA_GAIN_CDBI.end()) / 100.0,
    );
    if !(low..=high).contains(&gain_dbi) {
        bail!("--gain-dbi {gain_dbi} is outside {low} to {high} dBi");
    }
    if elevation_m > MAX_ANTENNA_ELEVATION_M {
        bail!("--elevation-m {elevation_m} is above the highest, {MAX_ANTENNA_ELEVATION_M} m");
    }
    if azimuth >= 360 {
        bail!("--azimuth {azimuth} is not a bearing: it must be 0 to 359 degrees");
    }
    Ok(Antenna {
        // Within ±3000 after the check above, so the conversion is exact.
        gain_cdbi: (gain_dbi * 100.0).round() as i32,
        elevation_m,
        azimuth_deg: azimuth,
    })
}

/// A device's public key, or the public key of a key in the keyring by that name.
pub(crate) fn resolve_device(g: &Globals, text: &str) -> anyhow::Result<PublicKey> {
    if let Ok(key) = text.parse::<PublicKey>() {
        return Ok(key);
    }
    let info = g.keyring().show(text).with_context(|| {
        format!(
            "--device {text:?} is neither 64 hex digits of a device key nor a key in the keyring"
        )
    })?;
    info.public_key
        .parse()
        .with_context(|| format!("key {text:?} holds no valid public key"))
}

async fn assert_location(g: &Globals, a: AssertLocation) -> anyhow::Result<()> {
    let h3_cell = cell_at(a.lat, a.lng)?;
    let mut antenna = antenna(a.gain_dbi, a.elevation_m, a.azimuth)?;
    antenna.azimuth_deg = crate::bearing::grid_azimuth(h3_cell, a.azimuth)?;
    let device = resolve_device(g, &a.device)?;
    let key = g.keyring().secret(&a.from)?;
    let owner = Address::from_public_key(&key.public_key());
    let client = g.client()?;
    // The ledger refuses each of these too; asked first, they cost no transaction fee and
    // read in the user's terms.
    let Some(record) = client.device(&device).await? else {
        bail!("no device {device} is registered on this chain");
    };
    let chain = client.chain_params().await?;
    if !chain
        .device_class(&record.class)
        .is_some_and(|c| c.asserts_location())
    {
        let wireless: Vec<&str> = chain
            .device_classes
            .iter()
            .filter(|c| c.asserts_location())
            .map(|c| c.name.as_str())
            .collect();
        bail!(
            "device {device} is of class {}, not a wireless one ({}): it asserts no location",
            record.class,
            wireless.join(", ")
        );
    }
    if record.owner != owner {
        bail!(
            "device {device} belongs to {}, not to {:?} ({owner}): only its owner asserts its location",
            record.owner,
            a.from
        );
    }
    let fee = chain.wireless.location_assert_fee;
    let needed = fee
        .checked_add(chain.params.min_fee)
        .context("the assertion fee and the transaction fee overflow")?;
    let balance = client.account_of(&owner).await?.balance;
    if balance < needed {
        bail!(
            "{:?} holds {}, and asserting a location costs {} (the fee of {} burned, plus the transaction fee)",
            a.from,
            balance.to_plx_string(),
            needed.to_plx_string(),
            fee.to_plx_string()
        );
    }
    let body = Body::AssertLocation {
        device,
        h3_cell,
        antenna,
    };
    let result = send_and_wait(g, &key, body, a.timeout).await?;
    if g.json {
        print_json(&json!({
            "device": device,
            "h3_cell": format!("{h3_cell:x}"),
            "antenna": antenna,
            "bearing_deg": a.azimuth,
            "location_assert_fee": fee,
            "tx": result,
        }));
    } else {
        println!(
            "asserted {device} at {h3_cell:x} (res {ASSERTED_RESOLUTION}), antenna bearing {}° (azimuth {}° in the cell's grid) · committed {} at height {} · burned {}",
            a.azimuth,
            antenna.azimuth_deg,
            result["hash"].as_str().unwrap_or("?"),
            result["height"],
            fee.to_plx_string()
        );
    }
    Ok(())
}

/// The H3 index `text` in hex of a hex at resolution 12 or coarser.
fn parse_hex(text: &str) -> anyhow::Result<h3o::CellIndex> {
    let digits = text.strip_prefix("0x").unwrap_or(text);
    let cell = u64::from_str_radix(digits, 16)
        .ok()
        .and_then(|n| h3o::CellIndex::try_from(n).ok())
        .with_context(|| {
            format!("--hex {text:?} is not an H3 cell index in hex (for example 8c2a100d2c0a5ff)")
        })?;
    let resolution = u8::from(cell.resolution());
    if resolution > ASSERTED_RESOLUTION {
        bail!(
            "--hex {text} is a resolution {resolution} cell; locations are asserted at resolution {ASSERTED_RESOLUTION}, so ask about one of 0 to {ASSERTED_RESOLUTION}"
        );
    }
    Ok(cell)
}

/// `plexus query coverage --hex H`: the hotspots asserted within the hex.
pub async fn query_coverage(g: &Globals, text: &str) -> anyhow::Result<()> {
    let hex = parse_hex(text)?;
    let client = g.client()?;
    let devices: Vec<Value> = client
        .list(&format!("/v1/coverage/{hex}"), "devices")
        .await?;
    if g.json {
        print_json(&json!({
            "hex": hex.to_string(),
            "resolution": u8::from(hex.resolution()),
            "devices": devices,
        }));
        return Ok(());
    }
    let mut table = Table::new(&[
        "KEY",
        "CLASS",
        "CELL",
        "GAIN dBi",
        "ELEV m",
        "AZIMUTH",
        "SENIORITY",
        "STATUS",
    ]);
    for d in &devices {
        let l = &d["location"];
        let asserted = l["h3_cell"]
            .as_u64()
            .map(|c| format!("{c:x}"))
            .unwrap_or_else(|| "-".into());
        let gain = l["antenna"]["gain_cdbi"]
            .as_i64()
            .map(|c| format!("{:.2}", c as f64 / 100.0))
            .unwrap_or_else(|| "-".into());
        table.row([
            cell(&d["key"]),
            cell(&d["class"]),
            asserted,
            gain,
            cell(&l["antenna"]["elevation_m"]),
            cell(&l["antenna"]["azimuth_deg"]),
            cell(&l["seniority_height"]),
            cell(&d["status"]),
        ]);
    }
    table.print_or(&format!("no hotspot asserted within {hex}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_becomes_its_resolution_12_cell_and_bad_coordinates_say_which() {
        let cell = h3o::CellIndex::try_from(cell_at(37.7749, -122.4194).unwrap()).unwrap();
        assert_eq!(u8::from(cell.resolution()), 12);
        let centre = h3o::LatLng::from(cell);
        assert!((centre.lat() - 37.7749).abs() < 0.001 && (centre.lng() + 122.4194).abs() < 0.001);
        assert!(cell_at(91.0, 0.0)
            .unwrap_err()
            .to_string()
            .contains("--lat"));
        assert!(cell_at(0.0, -180.5)
            .unwrap_err()
            .to_string()
            .contains("--lng"));
        assert!(cell_at(f64::NAN, 0.0).is_err());
    }

    #[test]
    fn antenna_flags_become_hundredths_and_out_of_range_ones_are_refused() {
        assert_eq!(
            antenna(5.25, 12, 270).unwrap(),
            Antenna {
                gain_cdbi: 525,
                elevation_m: 12,
                azimuth_deg: 270
            }
        );
        assert_eq!(antenna(-10.0, 0, 0).unwrap().gain_cdbi, -1_000);
        assert!(antenna(30.01, 0, 0)
            .unwrap_err()
            .to_string()
            .contains("--gain-dbi"));
        assert!(antenna(0.0, 1_001, 0)
            .unwrap_err()
            .to_string()
            .contains("--elevation-m"));
        assert!(antenna(0.0, 0, 360)
            .unwrap_err()
            .to_string()
            .contains("--azimuth"));
    }

    #[test]
    fn a_hex_finer_than_resolution_12_or_not_h3_is_refused() {
        assert_eq!(
            u64::from(parse_hex("8c2a100d2c0a5ff").unwrap()),
            0x8c2a100d2c0a5ff
        );
        let district = h3o::CellIndex::try_from(0x8c2a100d2c0a5ff)
            .unwrap()
            .parent(h3o::Resolution::Seven)
            .unwrap();
        assert_eq!(parse_hex(&format!("0x{district}")).unwrap(), district);
        assert!(parse_hex("nothex")
            .unwrap_err()
            .to_string()
            .contains("not an H3"));
        let fine = parse_hex("8c2a100d2c0a5ff")
            .unwrap()
            .children(h3o::Resolution::Thirteen)
            .next()
            .unwrap();
        assert!(parse_hex(&fine.to_string())
            .unwrap_err()
            .to_string()
            .contains("resolution 13"));
    }
}
