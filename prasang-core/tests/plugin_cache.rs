//! Compiled plugins are kept on disk: a restart reads them instead of compiling again, and a
//! damaged cache file is refused, compiled again and rewritten (the unit tests of
//! `plugin_host::cache` cover foreign files and a changed engine configuration).
#![cfg(feature = "plugins")]

mod plugin_support;

use std::path::{Path, PathBuf};

use prasang_core::Config;
use prasang_core::notify::Channel;
use prasang_core::plugin_host::{
    CACHE_FOLDER, CacheStats, ChannelSettings, HostServices, PluginHost,
};

fn files(folder: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(folder)
        .map(|entries| entries.map(|entry| entry.unwrap().path()).collect())
        .unwrap_or_default()
}

/// Starts a host with its compiled plugins in `cache`, loads the bundled plugins, sends a booking
/// e-mail through `email` and returns what the cache did.
fn start(cache: &Path) -> CacheStats {
    let outbox = tempfile::tempdir().unwrap();
    let host = PluginHost::new(HostServices::outbox(outbox.path()))
        .unwrap()
        .with_cache(cache);
    let loaded = host.load_dir(plugin_support::plugins_dir()).unwrap();
    assert_eq!(loaded.plugins.len(), 3, "{:?}", loaded.skipped);
    let email = loaded.plugins.iter().find(|p| p.id() == "email").unwrap();
    email.deliver(&plugin_support::booked("email")).unwrap();
    assert_eq!(files(outbox.path()).len(), 1, "the e-mail is in the outbox");
    host.cache_stats()
}

#[test]
fn a_restart_reads_the_compiled_plugins_and_a_damaged_file_is_rebuilt() {
    let data = tempfile::tempdir().unwrap();
    let cache = data.path().join("cache");
    let stats = |hits, compiled, rejected| CacheStats {
        hits,
        compiled,
        rejected,
    };

    assert_eq!(start(&cache), stats(0, 3, 0));
    assert_eq!(files(&cache).len(), 3);
    assert_eq!(start(&cache), stats(3, 0, 0));

    for (n, file) in files(&cache).iter().enumerate() {
        let mut bytes = std::fs::read(file).unwrap();
        match n {
            0 => bytes.truncate(bytes.len() / 2),
            1 => *bytes.last_mut().unwrap() ^= 1,
            _ => bytes = b"not a compiled plugin".to_vec(),
        }
        std::fs::write(file, bytes).unwrap();
    }
    assert_eq!(start(&cache), stats(0, 3, 3));
    assert_eq!(start(&cache), stats(3, 0, 0));
}

#[test]
fn channel_settings_keep_the_cache_in_the_data_folder() {
    let data = tempfile::tempdir().unwrap();
    let settings =
        ChannelSettings::outbox(plugin_support::plugins_dir(), data.path().join("outbox"));
    let load = || settings.load(Config::new(data.path())).unwrap().1.cache;
    assert_eq!(load().compiled, 3);
    assert_eq!(files(&data.path().join(CACHE_FOLDER)).len(), 3);
    assert_eq!(
        load(),
        CacheStats {
            hits: 3,
            compiled: 0,
            rejected: 0
        }
    );
    // A store without a data folder has no cache: the plugins load, the cache did nothing.
    let (_, report) = settings.load(Config::temporary()).unwrap();
    assert_eq!(report.loaded.len(), 3);
    assert_eq!(report.cache, CacheStats::default());
}
