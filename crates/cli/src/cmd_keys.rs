//! `plexus keys add|list|show`.

use crate::{print_json, Globals};
use clap::Subcommand;
use plexus_types::SecretKey;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a new key and store it in the keyring.
    Add {
        /// Name of the key (letters, digits, '-' or '_').
        name: String,
    },
    /// List the keys in the keyring.
    List,
    /// Show a key's address and public key.
    Show { name: String },
}

pub fn run(g: &Globals, cmd: KeysCommand) -> anyhow::Result<()> {
    let ring = g.keyring();
    match cmd {
        KeysCommand::Add { name } => {
            let info = ring.add(&name, &SecretKey::generate())?;
            if g.json {
                print_json(&info);
            } else {
                println!("created key {:?}\naddress: {}", info.name, info.address);
            }
        }
        KeysCommand::List => {
            let keys = ring.list()?;
            if g.json {
                print_json(&keys);
            } else {
                let mut table = crate::output::Table::new(&["NAME", "ADDRESS"]);
                for k in keys {
                    table.row([k.name, k.address.to_string()]);
                }
                table.print_or("no keys yet (create one with `plexus keys add NAME`)");
            }
        }
        KeysCommand::Show { name } => {
            let info = ring.show(&name)?;
            if g.json {
                print_json(&info);
            } else {
                println!(
                    "name:       {}\naddress:    {}\npublic key: {}",
                    info.name, info.address, info.public_key
                );
            }
        }
    }
    Ok(())
}
