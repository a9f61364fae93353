//! Compiled plugins kept on disk, so a restart deserializes each component in milliseconds
//! instead of compiling it again (hundreds of milliseconds for the bundled three).
//!
//! A cache file is `<folder>/<key>.cwasm`, where the key is the SHA-256 of the engine's
//! compatibility hash ([`Engine::precompile_compatibility_hash`]: target, compiler flags,
//! tunables, wasm features, wasmtime version) and the component's bytes: a new component or a
//! changed engine looks for another file, and stale ones are simply never read again. The file
//! holds a header (magic, the key, the SHA-256 of the payload) and then what
//! [`Component::serialize`] wrote. Anything that does not match — short, foreign, written for
//! another key, or with a payload whose digest differs — is logged, ignored and replaced by a
//! fresh compilation; it is never handed to wasmtime.

use std::hash::Hasher;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

/// First bytes of every cache file; bumped if the layout below ever changes.
const MAGIC: &[u8; 8] = b"PRSCWSM1";
/// Magic, key, payload digest.
const HEADER_LEN: usize = MAGIC.len() + 32 + 32;

/// What the cache did since the host started (see [`PluginHost::cache_stats`](super::PluginHost::cache_stats)).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Components read from the cache.
    pub hits: u64,
    /// Components compiled (no usable cache file, or no cache).
    pub compiled: u64,
    /// Cache files that were there but refused (corrupt, truncated, foreign) and rewritten.
    pub rejected: u64,
}

/// The cache of one host's engine.
pub(crate) struct CompileCache {
    folder: PathBuf,
    /// SHA-256 of the engine's compatibility hash.
    engine: [u8; 32],
    hits: AtomicU64,
    compiled: AtomicU64,
    rejected: AtomicU64,
}

impl CompileCache {
    /// A cache in `folder` (created on first write) for components compiled by `engine`.
    pub(crate) fn new(folder: PathBuf, engine: &Engine) -> Self {
        let mut hasher = Sha256Hasher(Sha256::new());
        std::hash::Hash::hash(&engine.precompile_compatibility_hash(), &mut hasher);
        CompileCache {
            folder,
            engine: hasher.0.finalize().into(),
            hits: AtomicU64::new(0),
            compiled: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            compiled: self.compiled.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
        }
    }

    /// The compiled form of `bytes`: from the cache when a sound file is there, otherwise
    /// compiled and written to the cache (a failed write is logged; the component is still used).
    pub(crate) fn component(&self, engine: &Engine, bytes: &[u8]) -> wasmtime::Result<Component> {
        let key: [u8; 32] = Sha256::new()
            .chain_update(self.engine)
            .chain_update(bytes)
            .finalize()
            .into();
        let path = self.folder.join(format!("{}.cwasm", hex(&key)));
        match std::fs::read(&path) {
            Ok(file) => match self.load(engine, &key, &file) {
                Ok(component) => {
                    self.hits.fetch_add(1, Ordering::Relaxed);
                    return Ok(component);
                }
                Err(why) => {
                    self.rejected.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(file = %path.display(), "ignoring the compiled-plugin cache file: {why}; compiling again");
                }
            },
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => {
                tracing::warn!(file = %path.display(), %error, "cannot read the compiled-plugin cache");
            }
        }
        let component = Component::new(engine, bytes)?;
        self.compiled.fetch_add(1, Ordering::Relaxed);
        if let Err(error) = component
            .serialize()
            .map_err(|e| std::io::Error::other(format!("{e:#}")))
            .and_then(|payload| self.store(&path, &key, &payload))
        {
            tracing::warn!(file = %path.display(), %error, "cannot write the compiled-plugin cache");
        }
        Ok(component)
    }

    /// The component in `file`, after checking its header against `key` and its payload digest.
    fn load(&self, engine: &Engine, key: &[u8; 32], file: &[u8]) -> Result<Component, String> {
        let (header, payload) = file
            .split_at_checked(HEADER_LEN)
            .ok_or("shorter than its header")?;
        let (magic, rest) = header.split_at(MAGIC.len());
        let (file_key, digest) = rest.split_at(32);
        if magic != MAGIC {
            return Err("not a prasang cache file".into());
        }
        if file_key != key {
            return Err("written for another component or engine".into());
        }
        if digest != &Sha256::digest(payload)[..] {
            return Err("its contents do not match their digest".into());
        }
        // SAFETY: `Component::deserialize` must only see bytes that `Component::serialize`
        // produced (it does not validate the machine code). These are: the payload was written
        // by `store` below — from `serialize`, to a temporary file renamed into place, so no
        // reader sees a partial file — in a cache folder inside the data folder that this
        // process created owner-only (0700 on Unix); the header just checked ties it to this
        // very component and engine and its SHA-256 rules out truncation and corruption; and
        // it was read into memory once, so what was checked is what is deserialized. Whoever
        // can write that folder can already change the store and the signing keys. wasmtime
        // itself refuses payloads from another version, target or configuration.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize(engine, payload) };
        component.map_err(|e| format!("wasmtime refused it: {e:#}"))
    }

    /// Writes `payload` under `path` atomically: a temporary file in the same folder, flushed,
    /// then renamed over the final name.
    fn store(&self, path: &Path, key: &[u8; 32], payload: &[u8]) -> std::io::Result<()> {
        create_private_dir(&self.folder)?;
        let mut file = tempfile::Builder::new()
            .prefix(".partial-")
            .tempfile_in(&self.folder)?;
        file.write_all(MAGIC)?;
        file.write_all(key)?;
        file.write_all(&Sha256::digest(payload))?;
        file.write_all(payload)?;
        file.as_file().sync_all()?;
        file.persist(path).map_err(|e| e.error)?;
        Ok(())
    }
}

/// Creates `folder` readable and writable by this user only.
fn create_private_dir(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Feeds `Hash` impls into SHA-256, so the engine's compatibility hash becomes a stable key
/// (std's `DefaultHasher` is not promised to stay the same across Rust releases).
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        let digest = self.0.clone().finalize();
        u64::from_le_bytes(std::array::from_fn(|i| digest[i]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine(simd: bool) -> Engine {
        let mut config = wasmtime::Config::new();
        config
            .wasm_component_model(true)
            .wasm_simd(simd)
            .wasm_relaxed_simd(simd);
        Engine::new(&config).expect("engine")
    }

    /// A component exporting `answer: func() -> u32`, returning `n`.
    fn component(n: u32) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
                (core module $m (func (export "answer") (result i32) i32.const {n}))
                (core instance $i (instantiate $m))
                (func (export "answer") (result u32) (canon lift (core func $i "answer"))))"#
        ))
        .expect("wat")
    }

    fn answer(engine: &Engine, component: &Component) -> u32 {
        let mut store = wasmtime::Store::new(engine, ());
        let instance = wasmtime::component::Linker::new(engine)
            .instantiate(&mut store, component)
            .expect("instantiate");
        let func = instance
            .get_typed_func::<(), (u32,)>(&mut store, "answer")
            .expect("export");
        func.call(&mut store, ()).expect("call").0
    }

    fn stats(hits: u64, compiled: u64, rejected: u64) -> CacheStats {
        CacheStats {
            hits,
            compiled,
            rejected,
        }
    }

    fn cache_files(folder: &Path) -> Vec<PathBuf> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
            .expect("folder")
            .map(|entry| entry.expect("entry").path())
            .collect();
        files.sort();
        files
    }

    #[test]
    fn the_second_load_reads_the_cache() {
        let dir = tempfile::tempdir().expect("dir");
        let engine = engine(true);
        let first = CompileCache::new(dir.path().join("c"), &engine);
        let c = first.component(&engine, &component(7)).expect("compile");
        assert_eq!(answer(&engine, &c), 7);
        assert_eq!(first.stats(), stats(0, 1, 0));
        let files = cache_files(&dir.path().join("c"));
        assert_eq!(files.len(), 1, "one file, no temporary left: {files:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("c"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }

        let again = CompileCache::new(dir.path().join("c"), &engine);
        let c = again.component(&engine, &component(7)).expect("cached");
        assert_eq!(answer(&engine, &c), 7);
        assert_eq!(again.stats(), stats(1, 0, 0));
    }

    #[test]
    fn a_corrupt_truncated_or_foreign_file_is_rebuilt() {
        let dir = tempfile::tempdir().expect("dir");
        let engine = engine(true);
        CompileCache::new(dir.path().into(), &engine)
            .component(&engine, &component(1))
            .expect("compile");
        let path = cache_files(dir.path()).remove(0);
        let good = std::fs::read(&path).expect("read");
        let mut flipped = good.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        let mut other_engine_header = good.clone();
        other_engine_header[MAGIC.len()] ^= 1;
        let damaged: [&[u8]; 5] = [
            &flipped,
            &good[..good.len() / 2],
            &good[..10],
            b"hello",
            &other_engine_header,
        ];
        for bad in damaged {
            std::fs::write(&path, bad).expect("damage");
            let cache = CompileCache::new(dir.path().into(), &engine);
            let c = cache.component(&engine, &component(1)).expect("rebuilt");
            assert_eq!(answer(&engine, &c), 1);
            assert_eq!(cache.stats(), stats(0, 1, 1));
            let next = CompileCache::new(dir.path().into(), &engine);
            next.component(&engine, &component(1)).expect("cached");
            assert_eq!(next.stats().hits, 1, "the file was rewritten whole");
        }
    }

    #[test]
    fn another_component_or_engine_config_does_not_share_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let (simd, plain) = (engine(true), engine(false));
        let cache = CompileCache::new(dir.path().into(), &simd);
        cache.component(&simd, &component(1)).expect("compile");
        let c = cache.component(&simd, &component(2)).expect("compile");
        assert_eq!(answer(&simd, &c), 2, "not the first component's code");
        assert_eq!(cache.stats(), stats(0, 2, 0));

        let other = CompileCache::new(dir.path().into(), &plain);
        let c = other.component(&plain, &component(1)).expect("compile");
        assert_eq!(answer(&plain, &c), 1);
        assert_eq!(other.stats(), stats(0, 1, 0));
        assert_eq!(cache_files(dir.path()).len(), 3);

        // A file copied under another key's name is refused by its header.
        let files = cache_files(dir.path());
        std::fs::copy(&files[0], &files[1]).expect("copy");
        std::fs::copy(&files[0], &files[2]).expect("copy");
        let simd_again = CompileCache::new(dir.path().into(), &simd);
        let plain_again = CompileCache::new(dir.path().into(), &plain);
        for n in [1, 2] {
            assert_eq!(
                answer(
                    &simd,
                    &simd_again.component(&simd, &component(n)).expect("load")
                ),
                n
            );
        }
        assert_eq!(
            answer(
                &plain,
                &plain_again.component(&plain, &component(1)).expect("load")
            ),
            1
        );
        assert_eq!(simd_again.stats().hits + plain_again.stats().hits, 1);
        assert_eq!(
            simd_again.stats().rejected + plain_again.stats().rejected,
            2
        );
    }
}
