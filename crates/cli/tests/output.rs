//! The CLI's shapes of output as a user sees them: shell completions, `--output table` and
//! `--output json` (the same as `--json`), and clear errors for shapes it does not know.
mod support;

use serde_json::Value;
use support::*;

/// The header row and the item rows of a table, each split into its cells (cells are
/// separated by two or more blanks; a cell may hold single blanks, as "APP HASH").
fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .map(|line| {
            line.split("  ")
                .map(str::trim)
                .filter(|cell| !cell.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

fn stdout_ok(out: std::process::Output, what: &str) -> String {
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn completions_for_bash_name_the_subcommands_and_an_unknown_shell_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let script = run_ok(dir.path(), &["completions", "bash"]);
    assert!(script.contains("_plexus()"), "{script}");
    assert!(script.contains("complete -F _plexus"), "{script}");
    for sub in ["devnet", "query", "blob", "keys", "bench", "completions"] {
        assert!(script.contains(sub), "the script does not name {sub}");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        assert!(!run_ok(dir.path(), &["completions", shell]).is_empty());
    }

    let out = run(dir.path(), &["completions", "tcsh"]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    assert!(err.contains("bash, elvish, fish, powershell, zsh"), "{err}");
}

#[test]
fn an_unknown_output_shape_or_two_contradicting_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &["--output", "xml", "keys", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("invalid value 'xml' for '--output"), "{err}");
    assert!(err.contains("table, json"), "{err}");

    let out = run(dir.path(), &["--json", "--output", "table", "keys", "list"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("choose one"), "{err}");
}

#[test]
fn keys_list_prints_the_same_json_either_way_and_a_table_with_a_row_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let alice = add_key(home, "alice");
    let bob = add_key(home, "bob");
    let list = ["--keyring-backend", "test", "keys", "list"];
    let json = |flags: &[&str]| {
        let mut args = flags.to_vec();
        args.extend_from_slice(&list);
        run_ok(home, &args)
    };
    let old = json(&["--json"]);
    assert_eq!(json(&["--output", "json"]), old);
    assert_eq!(json(&["--output=json"]), old);
    assert_eq!(
        json(&["--json", "--output", "json"]),
        old,
        "saying it twice is no error"
    );
    let keys: Value = serde_json::from_str(&old).unwrap();
    assert_eq!(keys.as_array().unwrap().len(), 2, "{old}");

    let table = json(&["--output", "table"]);
    assert_eq!(json(&[]), table, "a table is the default");
    let rows = table_rows(&table);
    assert_eq!(rows[0], ["NAME", "ADDRESS"], "{table}");
    assert_eq!(rows.len(), 3, "a header and one row per key: {table}");
    assert!(rows.contains(&vec!["alice".to_string(), alice]), "{table}");
    assert!(rows.contains(&vec!["bob".to_string(), bob]), "{table}");
}

#[test]
fn chain_queries_print_the_same_json_either_way_and_tables_with_the_expected_columns() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init_node(
        &home,
        &["--chain-id", "plexus-output-test", "--block-ms", "200"],
    );
    let node = NodeProcess::start(&home, free_port());
    let text = |args: &[&str]| stdout_ok(node.cli(args), &format!("{args:?}"));

    // The same JSON under both spellings (a record whose height does not move, and a list).
    for query in [
        &["query", "account", "faucet", "--height", "0"][..],
        &["query", "validators"][..],
        &["query", "rewards"][..],
    ] {
        let old = text(&[&["--json"], query].concat());
        serde_json::from_str::<Value>(&old).unwrap();
        assert_eq!(text(&[&["--output", "json"], query].concat()), old);
    }

    let account = text(&[
        "--output", "table", "query", "account", "faucet", "--height", "0",
    ]);
    let rows = table_rows(&account);
    assert_eq!(
        rows[0],
        ["ADDRESS", "BALANCE", "NONCE", "HEIGHT", "APP HASH", "PROOF"],
        "{account}"
    );
    assert_eq!(rows.len(), 2, "{account}");
    let faucet = node.cli_json(&["--json", "keys", "show", "faucet"]);
    assert_eq!(rows[1][0], faucet["address"].as_str().unwrap(), "{account}");
    assert_eq!(rows[1][5], "verified", "{account}");

    // Rewards: one row per share of what was minted, then whether the shares balance.
    let rewards = node.cli_json(&["--json", "query", "rewards"]);
    let table = text(&["--output", "table", "query", "rewards"]);
    let (table, balanced) = table.trim_end().rsplit_once('\n').unwrap();
    assert_eq!(balanced, format!("balanced: {}", rewards["balanced"]));
    let rows = table_rows(table);
    assert_eq!(rows[0], ["SHARE", "AMOUNT"], "{table}");
    let shares: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(
        shares,
        [
            "minted",
            "paid",
            "forfeited",
            "dust",
            "expired",
            "to_validators",
            "claimable",
            "slashed_stake"
        ],
        "{table}"
    );
    for (row, share) in rows[1..].iter().zip(&shares) {
        assert!(rewards[*share].is_string(), "{share} is not in {rewards}");
        assert!(
            row[1].ends_with("plx") || row[1].ends_with("PLX"),
            "{table}"
        );
    }

    // Block 1 commits within a block interval of the start.
    wait_for_height(&node.url, 1, std::time::Duration::from_secs(30));
    let block = text(&["query", "block", "1"]);
    let rows = table_rows(&block);
    assert_eq!(rows[0], ["HEIGHT", "TXS", "HASH", "APP HASH"], "{block}");
    assert_eq!(rows.len(), 2, "{block}");
    assert_eq!(rows[1][0], "1", "{block}");
}

#[test]
fn blob_transfers_draw_no_progress_when_standard_error_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init_node(
        &home,
        &["--chain-id", "plexus-progress-test", "--block-ms", "200"],
    );
    let node = NodeProcess::start(&home, free_port());
    let file = dir.path().join("blob.bin");
    let bytes: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    std::fs::write(&file, &bytes).unwrap();
    let file = file.to_str().unwrap();

    let put = node.cli(&["blob", "put", file, "--from", "faucet"]);
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    assert!(
        put.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    let id = String::from_utf8(put.stdout).unwrap();
    assert_eq!(id.trim(), plexus_blobs::BlobId::of(&bytes).to_string());
    // The same JSON under both spellings.
    let old = stdout_ok(
        node.cli(&["--json", "blob", "put", file, "--from", "faucet"]),
        "put",
    );
    let new = node.cli(&["--output", "json", "blob", "put", file, "--from", "faucet"]);
    assert_eq!(stdout_ok(new, "put"), old);

    let out = dir.path().join("got.bin");
    let get = node.cli(&["blob", "get", id.trim(), "-o", out.to_str().unwrap()]);
    assert!(
        get.status.success(),
        "{}",
        String::from_utf8_lossy(&get.stderr)
    );
    assert!(
        get.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&get.stderr)
    );
    assert_eq!(std::fs::read(&out).unwrap(), bytes);
    let report = String::from_utf8(get.stdout).unwrap();
    assert!(report.starts_with("3000000 bytes of"), "{report}");
}
