//! Where the tests find the built channel plugins: one lookup for prasang-core's plugin tests
//! and prasang-server's notification tests; and the hand-written fixture components.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The folder with the bundled plugins' components and manifests (`<id>.wasm` + `<id>.toml`).
///
/// `PRASANG_PLUGINS_DIR`, when set, names that folder, built beforehand (CI runs
/// `plugins/build.sh`). Otherwise it is `target/plugins`, after the first call in each test
/// binary has run `cargo run -p prasang-plugin-build`: a quick no-op when nothing changed, and
/// the tests never load stale plugins.
pub fn plugins_dir() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| match std::env::var_os("PRASANG_PLUGINS_DIR") {
            Some(dir) => PathBuf::from(dir),
            None => build().join("plugins"),
        })
        .clone()
}

/// The folder with the example plugins (`examples/*` with a `plugin.toml`), which the build tool
/// installs beside [`plugins_dir`] as `plugins-examples`.
pub fn example_plugins_dir() -> PathBuf {
    let plugins = plugins_dir();
    plugins.parent().map_or_else(
        || PathBuf::from("plugins-examples"),
        |target| target.join("plugins-examples"),
    )
}

/// The workspace root.
fn workspace() -> &'static Path {
    // This crate is plugins/sinks.
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The workspace's target folder.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => workspace().join(dir),
        None => workspace().join("target"),
    }
}

/// Runs the plugin build tool (one test binary at a time) and returns the target folder.
fn build() -> PathBuf {
    let target = target_dir();
    std::fs::create_dir_all(&target).expect("creating the target folder");
    // Test binaries may run in parallel (nextest); build one at a time.
    let lock = std::fs::File::create(target.join(".prasang-plugin-build.lock"))
        .expect("creating the plugin build lock file");
    lock.lock().expect("locking the plugin build");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace())
        .args(["run", "--quiet", "-p", "prasang-plugin-build"])
        .status()
        .expect("running cargo to build the plugins");
    assert!(
        status.success(),
        "building the plugins failed; run `bash plugins/build.sh` to see why"
    );
    target
}

/// Turns the hand-written core module `prasang-core/tests/fixtures/plugins/<name>.wat` (which
/// exports `deliver` by hand) into a prasang:channel@0.1.0 component: the plugin tests' fixtures
/// and the benchmark's no-op plugin.
pub fn wat_component(name: &str) -> Result<Vec<u8>, String> {
    wat_component_at(name, "0.1.0")
}

/// [`wat_component`] against `plugins/wit/<version>`: the fixtures take the notification as one
/// pointer and answer with one, which fits every version's `deliver`, so they stand in for a
/// plugin built against an older version after the SDK has moved on.
pub fn wat_component_at(name: &str, version: &str) -> Result<Vec<u8>, String> {
    let fixture = workspace().join(format!("prasang-core/tests/fixtures/plugins/{name}.wat"));
    let mut module = wat::parse_file(fixture).map_err(|e| e.to_string())?;
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve
        .push_dir(workspace().join("plugins/wit").join(version))
        .map_err(|e| e.to_string())?;
    let world = resolve
        .select_world(&[package], Some("channel"))
        .map_err(|e| e.to_string())?;
    wit_component::embed_component_metadata(
        &mut module,
        &resolve,
        world,
        wit_component::StringEncoding::UTF8,
        false,
    )
    .map_err(|e| e.to_string())?;
    wit_component::ComponentEncoder::default()
        .module(&module)
        .map_err(|e| e.to_string())?
        .validate(true)
        .encode()
        .map_err(|e| e.to_string())
}
