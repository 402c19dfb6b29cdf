//! Chains, hubs and meshes of links: every version reaches every registry exactly once, with its
//! id, in the context named for its origin; nothing loops back, nothing is overwritten.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::*;
use linker::engine::{Link, LinkConfig};
use linker::mapping::ContextType;
use linker::state::StateFile;
use tokio::sync::watch;

/// Start one continuous AUTO link (all contexts) per edge.
async fn links(
    regs: &[Reg],
    edges: &[(usize, usize)],
) -> (watch::Sender<bool>, Vec<(Arc<Link>, tokio::task::JoinHandle<()>)>) {
    let (tx, rx) = watch::channel(false);
    let mut out = Vec::new();
    for &(s, d) in edges {
        let mut cfg = LinkConfig::new(regs[s].client(), regs[d].client());
        cfg.context_type = ContextType::Auto;
        cfg.subjects = vec![":*:".into()];
        let link = Link::open(cfg, StateFile::new(None)).await.unwrap();
        let (l, rx) = (link.clone(), rx.clone());
        let h = tokio::spawn(async move {
            let r = l.run(rx).await;
            assert!(r.is_ok(), "link stopped: {r:?}");
        });
        out.push((link, h));
    }
    (tx, out)
}

async fn instance(r: &Reg) -> String {
    r.client().identity().await.unwrap().instance_id.unwrap()
}

/// Every subject of a registry (all contexts) → [(version, id, schema)].
async fn contents(r: &Reg) -> BTreeMap<String, Vec<(i64, i64, String)>> {
    let c = r.client();
    let mut out = BTreeMap::new();
    for s in c.subjects_with(Some(":*:"), true).await.unwrap() {
        let v = dump(&c, &s).await.into_iter().map(|(n, id, _, schema)| (n, id, schema)).collect();
        out.insert(s, v);
    }
    out
}

/// Writes in every region (ids collide across regions: 1, 2, …), two versions of one subject.
async fn write_everywhere(regs: &[Reg], round: usize) {
    for (i, r) in regs.iter().enumerate() {
        let c = r.client();
        let name = format!("R{i}");
        if round == 0 {
            register(&c, &format!("own-{i}"), &avro_record(&name, &[("a", "int")])).await;
            register(&c, "shared-name", &avro_record(&format!("S{i}"), &[("a", "int")])).await;
        } else {
            register(&c, &format!("own-{i}"), &avro_record(&name, &[("a", "int"), ("b", "[\"null\",\"int\"]")])).await;
        }
    }
}

/// What every registry must hold: its own subjects, and every other writer's subjects under
/// `:.<origin instance id>:`, with the same versions and ids.
async fn expected(
    regs: &[Reg],
    edges: &[(usize, usize)],
    writers: &[usize],
    ids: &[String],
) -> Vec<BTreeMap<String, Vec<(i64, i64, String)>>> {
    // reach[w][r]: a path of links leads from w to r.
    let n = regs.len();
    let mut reach = vec![vec![false; n]; n];
    for (w, row) in reach.iter_mut().enumerate() {
        row[w] = true;
        let mut changed = true;
        while changed {
            changed = false;
            for &(a, b) in edges {
                if row[a] && !row[b] {
                    row[b] = true;
                    changed = true;
                }
            }
        }
    }
    let mut own = Vec::new();
    for &w in writers {
        own.push((w, contents(&regs[w]).await.into_iter().filter(|(s, _)| !s.starts_with(':')).collect::<Vec<_>>()));
    }
    (0..regs.len())
        .map(|r| {
            let mut m = BTreeMap::new();
            for (w, subjects) in own.iter().filter(|(w, _)| reach[*w][r]) {
                for (s, v) in subjects {
                    let name = if *w == r { s.clone() } else { format!(":.{}:{s}", ids[*w]) };
                    m.insert(name, v.clone());
                }
            }
            m
        })
        .collect()
}

async fn converge(regs: &[Reg], edges: &[(usize, usize)], writers: &[usize], what: &str) {
    let mut ids = Vec::new();
    for r in regs {
        ids.push(instance(r).await);
    }
    let want = expected(regs, edges, writers, &ids).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let mut all = true;
        let mut got = Vec::new();
        for r in regs {
            got.push(contents(r).await);
        }
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            if g != w {
                all = false;
                if std::time::Instant::now() > deadline {
                    panic!("{what}: registry {i} holds\n{g:#?}\nexpected\n{w:#?}");
                }
            }
        }
        if all {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_topology(n: usize, edges: &[(usize, usize)], writers: &[usize], what: &str) {
    let mut regs = Vec::new();
    for _ in 0..n {
        regs.push(start().await);
    }
    let (tx, running) = links(&regs, edges).await;
    for round in 0..2 {
        for &w in writers {
            write_everywhere(std::slice::from_ref(&regs[w]), round).await;
        }
        converge(&regs, edges, writers, what).await;
    }
    // Settled: a few more passes change nothing (no loop keeps writing).
    let before: Vec<u64> = running.iter().map(|(l, _)| l.status().counts.versions_imported).collect();
    tokio::time::sleep(Duration::from_millis(700)).await;
    converge(&regs, edges, writers, what).await;
    let after: Vec<u64> = running.iter().map(|(l, _)| l.status().counts.versions_imported).collect();
    assert_eq!(before, after, "{what}: links kept importing after convergence");
    tx.send(true).unwrap();
    for (_, h) in running {
        h.await.unwrap();
    }
}

#[tokio::test]
async fn a_chain_carries_what_the_middle_registry_imported() {
    // A → B → C; A and B write.
    run_topology(3, &[(0, 1), (1, 2)], &[0, 1], "chain").await;
}

#[tokio::test]
async fn a_hub_gathers_regions_and_fans_them_out() {
    // Regions 0, 1, 2 ↔ hub 3; every registry writes.
    let edges = [(0, 3), (3, 0), (1, 3), (3, 1), (2, 3), (3, 2)];
    run_topology(4, &edges, &[0, 1, 2, 3], "hub").await;
}

#[tokio::test]
async fn a_full_mesh_of_two_way_links_does_not_loop() {
    let edges = [(0, 1), (1, 0), (0, 2), (2, 0), (1, 2), (2, 1)];
    run_topology(3, &edges, &[0, 1, 2], "mesh").await;
}
