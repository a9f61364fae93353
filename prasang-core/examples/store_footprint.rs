//! What a store's space on disk is made of: sled's size on disk, the live bytes (keys + values)
//! per tree, and the size of a compacted copy (sled's export into a fresh database), which shows
//! how much of the disk use is sled's own overhead rather than data.
//!
//! ```sh
//! cargo run --release -p prasang-core --example store_footprint -- <data folder>
//! ```
//! (The server must not be running on that folder.)

use std::error::Error;

fn main() -> Result<(), Box<dyn Error>> {
    let folder = std::env::args()
        .nth(1)
        .ok_or("usage: store_footprint <data folder>")?;
    let db = sled::open(std::path::Path::new(&folder).join("store"))?;
    let on_disk = db.size_on_disk()?;
    let mut trees = Vec::new();
    for name in db.tree_names() {
        let tree = db.open_tree(&name)?;
        let (mut entries, mut bytes) = (0u64, 0u64);
        for entry in tree.iter() {
            let (key, value) = entry?;
            entries += 1;
            bytes += (key.len() + value.len()) as u64;
        }
        trees.push((String::from_utf8_lossy(&name).into_owned(), entries, bytes));
    }
    trees.sort_by_key(|(_, _, bytes)| std::cmp::Reverse(*bytes));
    let live: u64 = trees.iter().map(|(_, _, bytes)| bytes).sum();
    println!("{:<28} {:>10} {:>12}", "tree", "entries", "live bytes");
    for (name, entries, bytes) in trees.iter().filter(|(_, entries, _)| *entries > 0) {
        println!("{name:<28} {entries:>10} {bytes:>12}");
    }
    let copy = tempfile::tempdir()?;
    let compacted = sled::open(copy.path())?;
    compacted.import(db.export());
    compacted.flush()?;
    let compacted_bytes = compacted.size_on_disk()?;
    println!(
        "on disk {:.1} MB, live data {:.1} MB ({:.1}x), compacted copy {:.1} MB",
        on_disk as f64 / 1e6,
        live as f64 / 1e6,
        on_disk as f64 / live.max(1) as f64,
        compacted_bytes as f64 / 1e6
    );
    Ok(())
}
