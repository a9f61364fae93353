//! Builds every channel plugin into a WebAssembly component and installs it with its manifest.
//!
//! ```text
//! cargo run -p prasang-plugin-build            # bundled plugins + examples
//! cargo run -p prasang-plugin-build -- --check # only report what would be built
//! ```
//!
//! A plugin is a crate folder with a `plugin.toml` manifest under `plugins/` (bundled, installed
//! into `<target>/plugins/`) or `examples/` (installed into `<target>/plugins-examples/`). Each is
//! compiled for `wasm32-unknown-unknown` in one `cargo build` (sharing the workspace target
//! folder), then its core module is wrapped into a component with `wit-component`, which reads the
//! WIT world that wit-bindgen embedded in the module. The output is `<id>.wasm` + `<id>.toml`.

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

type Result<T, E = Box<dyn Error>> = std::result::Result<T, E>;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

struct Plugin {
    /// The crate's package name.
    package: String,
    /// The manifest's `id`.
    id: String,
    manifest: PathBuf,
    /// Where the component and manifest go.
    install_dir: PathBuf,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("prasang-plugin-build: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let check_only = std::env::args().any(|arg| arg == "--check");
    let root = workspace_root();
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));

    let mut plugins = discover(&root.join("plugins"), &target_dir.join("plugins"))?;
    plugins.extend(discover(
        &root.join("examples"),
        &target_dir.join("plugins-examples"),
    )?);
    if plugins.is_empty() {
        return Err("no plugin crates (folders with plugin.toml) found".into());
    }
    for plugin in &plugins {
        println!(
            "{} ({}) -> {}",
            plugin.id,
            plugin.package,
            plugin
                .install_dir
                .join(format!("{}.wasm", plugin.id))
                .display()
        );
    }
    if check_only {
        return Ok(());
    }

    compile(&root, &target_dir, &plugins)?;
    for plugin in &plugins {
        let module_path = target_dir
            .join(WASM_TARGET)
            .join("release")
            .join(format!("{}.wasm", plugin.package.replace('-', "_")));
        let module = std::fs::read(&module_path)
            .map_err(|e| format!("reading {}: {e}", module_path.display()))?;
        let component =
            componentize(&module).map_err(|e| format!("componentizing {}: {e}", plugin.package))?;
        std::fs::create_dir_all(&plugin.install_dir)?;
        write_atomically(
            &plugin.install_dir.join(format!("{}.wasm", plugin.id)),
            &component,
        )?;
        write_atomically(
            &plugin.install_dir.join(format!("{}.toml", plugin.id)),
            &std::fs::read(&plugin.manifest)?,
        )?;
        println!("built {} ({} KiB)", plugin.id, component.len() / 1024);
    }
    Ok(())
}

fn workspace_root() -> PathBuf {
    // This crate lives in <root>/plugins/build.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("plugins/build has a grandparent")
        .to_path_buf()
}

/// Crate folders directly under `dir` that hold a `plugin.toml`.
fn discover(dir: &Path, install_dir: &Path) -> Result<Vec<Plugin>> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries {
        let crate_dir = entry?.path();
        let manifest = crate_dir.join("plugin.toml");
        let cargo_toml = crate_dir.join("Cargo.toml");
        if !manifest.is_file() || !cargo_toml.is_file() {
            continue;
        }
        let id = read_key(&manifest, &["id"])?;
        let package = read_key(&cargo_toml, &["package", "name"])?;
        found.push(Plugin {
            package,
            id,
            manifest,
            install_dir: install_dir.to_path_buf(),
        });
    }
    found.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(found)
}

fn read_key(file: &Path, path: &[&str]) -> Result<String> {
    let text = std::fs::read_to_string(file)?;
    let mut value: &toml::Value =
        &toml::from_str::<toml::Value>(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    for key in path {
        value = value
            .get(key)
            .ok_or_else(|| format!("{} has no `{}`", file.display(), path.join(".")))?;
    }
    value
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("{}: `{}` is not a string", file.display(), path.join(".")).into())
}

/// 1 MiB of stack, the static data, and the rest for the heap.
const INITIAL_MEMORY_BYTES: usize = 2 << 20;

fn compile(root: &Path, target_dir: &Path, plugins: &[Plugin]) -> Result<()> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args(["build", "--release", "--target", WASM_TARGET])
        .arg("--target-dir")
        .arg(target_dir)
        // Debug info would triple the component size and slow every load.
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "debuginfo")
        // Room for the SDK's heap in the memory a plugin starts with, so a delivery need not
        // grow linear memory (each growth costs the host two page-protection changes).
        .env(
            "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
            format!("-C link-arg=--initial-memory={INITIAL_MEMORY_BYTES}"),
        );
    for plugin in plugins {
        command.args(["-p", &plugin.package]);
    }
    let status = command.status()?;
    if !status.success() {
        return Err(format!(
            "cargo build for {WASM_TARGET} failed ({status}); is the target installed? \
             `rustup target add {WASM_TARGET}`"
        )
        .into());
    }
    Ok(())
}

fn componentize(module: &[u8]) -> Result<Vec<u8>, String> {
    wit_component::ComponentEncoder::default()
        .module(module)
        .and_then(|encoder| encoder.validate(true).encode())
        .map_err(|e| format!("{e:#}"))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path)?;
    Ok(())
}
