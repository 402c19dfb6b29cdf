//! `lockstep registry verify` and `lockstep registry repair`: check the embedded log for damage
//! and recover every intact record (registry/src/store/repair.rs does the work).

use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum RegistryAction {
    /// Report damage in the embedded log (read only; safe while a registry runs).
    /// Exit 0 when intact (a torn tail is fine: it is cut off at start), 1 when damaged, 2 on error.
    Verify(DirArgs),
    /// Rewrite a damaged embedded log with every intact record; new ids go above every id the
    /// damaged bytes could have held. The registry must be stopped; the damaged file is kept.
    Repair(DirArgs),
}

#[derive(clap::Args, Debug)]
pub struct DirArgs {
    /// Directory of the embedded store [default: ./lockstep-data].
    #[arg(long, env = "LOCKSTEP_DATA_DIR")]
    data_dir: Option<PathBuf>,
}

pub fn run(action: RegistryAction, parent_data_dir: Option<PathBuf>) -> ExitCode {
    let (name, args) = match &action {
        RegistryAction::Verify(a) => ("verify", a),
        RegistryAction::Repair(a) => ("repair", a),
    };
    let dir = args.data_dir.clone().or(parent_data_dir).unwrap_or_else(|| PathBuf::from("./lockstep-data"));
    let result = match action {
        RegistryAction::Verify(_) => registry::store::repair::verify(&dir).map(|r| {
            print!("{}", r.render());
            if r.damage.is_empty() && r.bad_offsets.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }),
        RegistryAction::Repair(_) => registry::store::repair::repair(&dir).map(|r| {
            print!("{}", r.report.render());
            match &r.backup {
                None => println!("nothing to repair"),
                Some(b) => {
                    println!(
                        "repaired: {} intact records kept; the damaged log is kept as {}",
                        r.report.records,
                        b.display()
                    );
                    for (ctx, id) in &r.high_water {
                        println!("context {ctx}: new ids start above {id}");
                    }
                }
            }
            ExitCode::SUCCESS
        }),
    };
    result.unwrap_or_else(|e| {
        eprintln!("lockstep registry {name}: {e}");
        ExitCode::from(2)
    })
}
