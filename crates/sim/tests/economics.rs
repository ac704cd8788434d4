//! `plexus_sim::economics`: a seed reproduces a run byte for byte, every minted unit is
//! accounted for in every epoch, halvings land where the parameters put them, and the charts
//! are well-formed SVG with one line per series and a point per epoch.

use plexus_sim::economics::{self, svg, Economics, EconomicsConfig};

fn run(devices: u64, epochs: u64, seed: u64) -> Economics {
    let config = EconomicsConfig::new(devices, epochs, seed);
    economics::run(&config, |_, _| {}).expect("the run completes")
}

#[test]
fn the_same_seed_writes_the_same_table_and_another_seed_does_not() {
    let first = run(60, 12, 7);
    assert_eq!(first.csv(), run(60, 12, 7).csv());
    assert_eq!(first.json(), run(60, 12, 7).json());
    assert_ne!(first.csv(), run(60, 12, 8).csv());
}

#[test]
fn every_minted_unit_is_paid_pooled_or_settled_in_every_epoch() {
    let e = run(80, 15, 3);
    let mut claimable = 0u128;
    let mut paid = 0u128;
    for r in &e.rows {
        let pooled: u128 = r.pools.iter().sum();
        assert_eq!(
            r.emission,
            pooled + r.split_dust + r.to_validators,
            "epoch {}",
            r.epoch
        );
        claimable = claimable + r.emission
            - r.to_validators
            - r.split_dust
            - r.paid
            - r.expired
            - r.settle_dust;
        assert_eq!(claimable, r.claimable, "epoch {}", r.epoch);
        paid += r.paid;
        assert_eq!(paid, r.paid_total);
        assert_eq!(
            r.minted_total,
            r.paid_total + r.dust_total + r.expired_total + r.to_validators_total + r.claimable,
            "epoch {}",
            r.epoch
        );
        assert_eq!(r.supply, e.summary.genesis_supply + r.minted_total);
    }
    // Devices were paid, some rewards expired (owners who never claim, and the pools nobody
    // scores), and fees were charged per claim.
    let s = &e.summary;
    assert!(s.paid > 0 && s.expired > 0 && s.fees > 0, "{s:?}");
    let claims: u64 = e.rows.iter().map(|r| r.claims).sum();
    assert_eq!(s.fees, u128::from(claims) * 1_000);
}

#[test]
fn the_emission_halves_at_the_epoch_the_parameters_say() {
    let mut config = EconomicsConfig::new(30, 12, 1);
    config.rewards.halving_epochs = 5;
    let initial = config.rewards.initial_epoch_emission.0;
    let e = economics::run(&config, |_, _| {}).unwrap();
    let emission: Vec<u128> = e.rows.iter().map(|r| r.emission).collect();
    let mut expected = vec![initial; 5];
    expected.extend([initial / 2; 5]);
    expected.extend([initial / 4; 2]);
    assert_eq!(emission, expected);
    assert_eq!(e.summary.halvings_at, vec![6, 11]);
}

#[test]
fn every_class_of_the_chain_is_in_the_fleet_and_bigger_devices_earn_more() {
    let e = run(100, 6, 2);
    for (class, n) in &e.summary.devices_by_class {
        assert!(*n > 0, "no {class} device");
    }
    let column = |name: &str| e.class_names.iter().position(|c| c == name).unwrap();
    let last = e.rows.last().unwrap();
    let median = |name: &str| last.rewards[column(name)].median;
    assert!(median("gpu-a100") > median("cpu-large"), "{last:?}");
    assert!(median("cpu-large") > median("cpu-small"), "{last:?}");
    assert!(median("bw-home") > 0);
    // Storage is paid from deals, not from emission: the oracle scores no storage manifest.
    assert_eq!(median("storage-small"), 0);
}

#[test]
fn bad_sizes_are_refused_with_the_bound() {
    let refused = |devices, epochs| {
        let config = EconomicsConfig::new(devices, epochs, 1);
        economics::run(&config, |_, _| {}).unwrap_err().to_string()
    };
    assert!(refused(0, 5).contains("--devices must be 1 to 1000000"));
    assert!(refused(1_000_001, 5).contains("--devices must be 1 to 1000000"));
    assert!(refused(5, 0).contains("--epochs must be 1 to 10000"));
    assert!(refused(5, 10_001).contains("--epochs must be 1 to 10000"));
    assert!(refused(1_000_000, 10_000).contains("device-epochs"));
}

#[test]
fn each_chart_is_well_formed_svg_with_one_line_per_series_and_a_point_per_epoch() {
    let epochs = 9;
    let e = run(40, epochs, 4);
    let charts = svg::charts(&e);
    let names: Vec<&str> = charts.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "supply.svg",
            "emission_by_class.svg",
            "rewards_per_device.svg",
            "fees.svg"
        ]
    );
    // One series per resource class and one for the validators.
    let by_class = plexus_rewards::ResourceClass::ALL.len() + 1;
    let expected_series = [2, by_class, e.class_names.len(), 3];
    for ((name, text), series) in charts.iter().zip(expected_series) {
        check_well_formed(text).unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(text.contains("<g class=\"legend\">") && text.contains("epoch</text>"));
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("<polyline"))
            .collect();
        assert_eq!(lines.len(), series, "{name}");
        for line in lines {
            let points = line
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert_eq!(points.split_whitespace().count(), epochs as usize, "{name}");
        }
    }
}

#[test]
fn the_well_formedness_check_refuses_broken_xml() {
    assert!(check_well_formed("<svg><g></g></svg>").is_ok());
    assert!(check_well_formed("<svg><g></svg>").is_err());
    assert!(check_well_formed("<svg a=1/>").is_err());
    assert!(check_well_formed("<svg>a & b</svg>").is_err());
    assert!(check_well_formed("<svg/><svg/>").is_err());
}

/// Checks that `text` is well-formed XML: tags nest and close, attribute values are quoted,
/// and text holds no bare `<` or `&`.
fn check_well_formed(text: &str) -> Result<(), String> {
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    let mut roots = 0;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start])?;
        let end = rest[start..].find('>').ok_or("a tag is not closed")? + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let expected = open.pop().ok_or(format!("</{name}> closes nothing"))?;
            if expected != name.trim() {
                return Err(format!("</{name}> closes <{expected}>"));
            }
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().ok_or("an empty tag")?;
        check_attributes(&body[name.len()..])?;
        if open.is_empty() {
            roots += 1;
        }
        if !self_closing {
            open.push(name.to_string());
        }
    }
    check_text(rest)?;
    match (open.last(), roots) {
        (Some(name), _) => Err(format!("<{name}> is never closed")),
        (None, 1) => Ok(()),
        (None, n) => Err(format!("{n} root elements")),
    }
}

fn check_attributes(mut s: &str) -> Result<(), String> {
    loop {
        s = s.trim_start();
        if s.is_empty() {
            return Ok(());
        }
        let eq = s
            .find('=')
            .ok_or(format!("attribute without a value: {s}"))?;
        let after = &s[eq + 1..];
        let quote = after.chars().next().filter(|c| *c == '"' || *c == '\'');
        let quote = quote.ok_or(format!("unquoted attribute: {s}"))?;
        let close = after[1..]
            .find(quote)
            .ok_or("an attribute value is not closed")?;
        check_text(&after[1..1 + close])?;
        s = &after[close + 2..];
    }
}

fn check_text(s: &str) -> Result<(), String> {
    if s.contains('<') {
        return Err(format!("a bare '<' in {s:?}"));
    }
    for (i, _) in s.match_indices('&') {
        let entity = &s[i..s[i..].find(';').map_or(s.len(), |j| i + j + 1)];
        if !["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"].contains(&entity) {
            return Err(format!("a bare '&' in {s:?}"));
        }
    }
    Ok(())
}

/// The books keep the ledger's accounts: a real chain run epoch by epoch (no validator set,
/// no manifests, so every pool expires when its window closes) mints, splits and settles
/// exactly what the books do.
#[test]
fn the_books_match_a_real_chain_epoch_by_epoch() {
    use plexus_ledger::query;
    use plexus_sim::economics::books::Books;
    use plexus_sim::{key_of, World};
    let oracle = plexus_types::Address::from_public_key(&key_of(1, "oracle").public_key());
    let world = World::new(1, &[], oracle, 4).unwrap();
    let params = query::chain_info(world.chain.store())
        .unwrap()
        .expect("the chain has its info")
        .rewards;
    let mut books = Books::new(params.clone(), 0);
    for epoch in 1..=7 {
        world.run_to(epoch * params.epoch_blocks).unwrap();
        let end = books.end_epoch(epoch).unwrap();
        let store = world.chain.store();
        let (record, _) = query::epoch(store, epoch)
            .unwrap()
            .expect("the epoch ended");
        assert_eq!(record.emission, end.emission);
        assert_eq!(record.pools, end.pools);
        assert_eq!(record.split_dust, end.split_dust);
        let chain = query::reward_totals(store).unwrap();
        assert_eq!(chain.totals, books.totals, "epoch {epoch}");
        assert_eq!(chain.claimable, books.claimable, "epoch {epoch}");
        books.check().unwrap();
    }
    assert!(books.totals.expired.0 > 0, "pools expired on both sides");
}
