//! The plugin manifest: `<id>.toml` beside `<id>.wasm`.
//!
//! ```toml
//! id = "webhook"                       # channel id: preferences and idempotency keys use it
//! version = "0.1.0"                    # the plugin's own version
//! api = "0.1.0"                        # the prasang:channel WIT version it was built against
//! allowed-hosts = ["hooks.example.com", "127.0.0.1:9000"]
//! # component = "webhook.wasm"         # default: the manifest's file name with .wasm
//!
//! [config]                             # read by the plugin with config-get
//! url = "https://hooks.example.com/prasang"
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PluginLoadError;

/// A parsed plugin manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Channel id (`email`, `webhook`, ...): lowercase letters, digits, `-` and `_`.
    pub id: String,
    /// The plugin's own version.
    pub version: String,
    /// The `prasang:channel` interface version the plugin was built against, e.g. `0.1.0`.
    pub api: String,
    /// Hosts the plugin may POST to: `name` (any port) or `name:port`.
    pub allowed_hosts: Vec<String>,
    /// The component file, relative to the manifest's folder.
    pub component: PathBuf,
    /// Settings the plugin reads with `config-get` (non-string TOML values are given as text).
    pub config: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawManifest {
    id: String,
    version: String,
    api: String,
    #[serde(default)]
    allowed_hosts: Vec<String>,
    component: Option<PathBuf>,
    #[serde(default)]
    config: BTreeMap<String, toml::Value>,
}

impl Manifest {
    /// Reads and checks a manifest file; the component path is resolved against its folder.
    pub fn from_file(path: &Path) -> Result<Manifest, PluginLoadError> {
        let text = std::fs::read_to_string(path).map_err(|error| PluginLoadError::Io {
            path: path.to_path_buf(),
            error,
        })?;
        // The default is the manifest's own name with `.wasm`, relative like a named component.
        let file_name = path.file_name().map(Path::new).unwrap_or(path);
        let mut manifest = Manifest::parse(&text, file_name.with_extension("wasm"))?;
        if manifest.component.is_relative() {
            let folder = path.parent().unwrap_or(Path::new("."));
            manifest.component = folder.join(&manifest.component);
        }
        Ok(manifest)
    }

    /// Parses manifest text; `default_component` is used when it names no component.
    pub fn parse(text: &str, default_component: PathBuf) -> Result<Manifest, PluginLoadError> {
        let raw: RawManifest = toml::from_str(text)
            .map_err(|error| PluginLoadError::Manifest(error.message().to_owned()))?;
        let valid_id = !raw.id.is_empty()
            && raw.id.len() <= 64
            && raw
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid_id {
            return Err(PluginLoadError::Manifest(format!(
                "id `{}` must be 1-64 characters of a-z, 0-9, `-` and `_`",
                raw.id
            )));
        }
        let config = raw
            .config
            .into_iter()
            .map(|(key, value)| {
                let text = match value {
                    toml::Value::String(text) => text,
                    other => other.to_string(),
                };
                (key, text)
            })
            .collect();
        Ok(Manifest {
            id: raw.id,
            version: raw.version,
            api: raw.api,
            allowed_hosts: raw
                .allowed_hosts
                .into_iter()
                .map(|host| host.to_ascii_lowercase())
                .collect(),
            component: raw.component.unwrap_or(default_component),
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_of_any_type_are_read_as_text() {
        let manifest = Manifest::parse(
            "id = \"sms\"\nversion = \"1.0.0\"\napi = \"0.1.0\"\nallowed-hosts = [\"GW.example\"]\n\
             [config]\nurl = \"http://gw.example/send\"\nretries = 3\n",
            "sms.wasm".into(),
        )
        .unwrap();
        assert_eq!(manifest.allowed_hosts, ["gw.example"]);
        assert_eq!(manifest.config["retries"], "3");
        assert_eq!(manifest.component, PathBuf::from("sms.wasm"));
    }

    #[test]
    fn components_resolve_against_the_manifests_folder_once() {
        let folder = tempfile::tempdir().unwrap();
        let plugins = folder.path().join("plugins");
        std::fs::create_dir(&plugins).unwrap();
        let minimal = "id = \"sms\"\nversion = \"1\"\napi = \"0.1.0\"\n";
        std::fs::write(plugins.join("sms.toml"), minimal).unwrap();
        let named = format!("{minimal}component = \"bin/sms-v2.wasm\"\n");
        std::fs::write(plugins.join("named.toml"), named).unwrap();

        // A relative folder, as given on a command line.
        let relative = pathdiff(&plugins, &std::env::current_dir().unwrap());
        let by_default = Manifest::from_file(&relative.join("sms.toml")).unwrap();
        assert_eq!(by_default.component, relative.join("sms.wasm"));
        let named = Manifest::from_file(&plugins.join("named.toml")).unwrap();
        assert_eq!(named.component, plugins.join("bin/sms-v2.wasm"));
    }

    /// `path` relative to `base` (both absolute), with `..` steps.
    fn pathdiff(path: &Path, base: &Path) -> PathBuf {
        let common = path
            .components()
            .zip(base.components())
            .take_while(|(a, b)| a == b)
            .count();
        let ups = base.components().count() - common;
        let mut relative: PathBuf = std::iter::repeat_n("..", ups).collect();
        relative.extend(path.components().skip(common));
        relative
    }

    #[test]
    fn ids_that_could_escape_paths_are_rejected() {
        let error = Manifest::parse(
            "id = \"../x\"\nversion = \"1\"\napi = \"0.1.0\"\n",
            "x.wasm".into(),
        )
        .unwrap_err();
        assert!(matches!(error, PluginLoadError::Manifest(_)));
    }
}
