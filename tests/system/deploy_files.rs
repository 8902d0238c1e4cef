//! The deploy files: what can be checked without a container engine. The
//! compose file validates against the Compose schema, it mounts the very
//! broker and settings files the tests run with, the Kubernetes ConfigMap is
//! the settings file, every `ENVMON__` variable they set is a real setting,
//! and systemd accepts the units.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Files the compose file mounts, as `(source, target)`: the broker
/// configuration and users script that `deploy_broker_rabbitmq` runs a real
/// RabbitMQ node with, the settings every envmon container reads, and the
/// proxy configuration.
pub const MOUNTED: &[(&str, &str)] = &[
    ("./rabbitmq/production.conf", "/etc/rabbitmq/rabbitmq.conf"),
    (
        "./rabbitmq/enabled_plugins",
        "/etc/rabbitmq/enabled_plugins",
    ),
    ("./rabbitmq/users.sh", "/usr/local/bin/envmon-users.sh"),
    ("./config/production.toml", "/etc/envmon/envmon.toml"),
    ("./nginx/envmon.conf", "/etc/nginx/conf.d/default.conf"),
];

/// Mounted files the operator makes (secrets), absent from the repository.
const OPERATOR_MADE: &[&str] = &[
    "./rabbitmq/users",
    "./rabbitmq/certs",
    "./rabbitmq/certs/ca.crt",
    "./postgres/certs",
    "./envmon-certs/ingest.crt",
    "./envmon-certs/ingest.key",
    "./envmon-certs/publisher.crt",
    "./envmon-certs/publisher.key",
];

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy")
}

fn read(path: &str) -> String {
    std::fs::read_to_string(deploy_dir().join(path)).unwrap()
}

/// check-jsonschema from `deploy/provision.sh`'s virtual environment, or
/// from PATH.
fn check_jsonschema() -> PathBuf {
    let provisioned =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(".envmon/venv/bin/check-jsonschema");
    if provisioned.is_file() {
        return provisioned;
    }
    PathBuf::from("check-jsonschema")
}

#[test]
fn compose_file_validates_against_the_compose_schema() {
    let deploy = deploy_dir();
    let output = Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(deploy.join("compose-schema/compose-spec.json"))
        .arg(deploy.join("compose.yaml"))
        .output()
        .expect("check-jsonschema is installed; run deploy/provision.sh");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_schema_check_refuses_a_misspelt_key() {
    // The check above means something only if the schema refuses mistakes.
    let deploy = deploy_dir();
    let broken = std::env::temp_dir().join(format!("envmon-compose-{}.yaml", std::process::id()));
    std::fs::write(
        &broken,
        read("compose.yaml").replace("stop_grace_period: 60s", "stop_grace_perod: 60s"),
    )
    .unwrap();
    let status = Command::new(check_jsonschema())
        .arg("--schemafile")
        .arg(deploy.join("compose-schema/compose-spec.json"))
        .arg(&broken)
        .output()
        .expect("check-jsonschema is installed; run deploy/provision.sh")
        .status;
    std::fs::remove_file(&broken).unwrap();
    assert!(!status.success());
}

/// Every `- ./source:/target[:ro]` volume line of the compose file.
fn compose_mounts() -> Vec<(String, String)> {
    read("compose.yaml")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- ./"))
        .map(|mount| {
            let mut parts = mount.split(':');
            (
                format!("./{}", parts.next().unwrap()),
                parts.next().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn compose_mounts_the_files_the_tests_use() {
    let mounts = compose_mounts();
    for (source, target) in MOUNTED {
        assert!(
            mounts.iter().any(|(s, t)| s == source && t == target),
            "compose.yaml mounts {source} at {target}; it mounts {mounts:?}"
        );
    }
    for (source, _) in &mounts {
        if OPERATOR_MADE.contains(&source.as_str()) {
            continue;
        }
        assert!(
            deploy_dir().join(source).exists(),
            "{source} is in the repository"
        );
    }
    // The broker the tests start reads these very files.
    assert_eq!(
        crate::deploy_broker_rabbitmq::PRODUCTION_CONF,
        read("rabbitmq/production.conf")
    );
}

#[test]
fn kubernetes_config_map_is_the_production_settings_file() {
    let manifest = read("kubernetes/configmap.yaml");
    let (_, block) = manifest
        .split_once("  envmon.toml: |\n")
        .expect("the ConfigMap has envmon.toml");
    let embedded: String = block
        .lines()
        .map(|line| format!("{}\n", line.strip_prefix("    ").unwrap_or(line)))
        .collect();
    assert_eq!(embedded, read("config/production.toml"));
}

/// Settings without a default, which `config print-default` leaves out.
const UNSET_BY_DEFAULT: &[&str] = &[
    "broker.username",
    "broker.password",
    "broker_users.file",
    "metrics.listen",
];

/// Whether `section.key` (nested as deep as it goes) is a setting in `table`.
fn is_setting(table: &toml::Table, dotted: &str) -> bool {
    match dotted.split_once('.') {
        Some((section, rest)) => {
            matches!(table.get(section), Some(toml::Value::Table(inner)) if is_setting(inner, rest))
        }
        None => table.get(dotted).is_some_and(|value| !value.is_table()),
    }
}

/// Every `ENVMON__SECTION__KEY` named in `text`.
fn setting_variables(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .match_indices("ENVMON__")
        .map(|(at, _)| {
            text[at..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_variable_the_deploy_files_set_is_a_setting() {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(["config", "print-default"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let defaults: toml::Table = String::from_utf8(output.stdout).unwrap().parse().unwrap();
    let files = [
        "compose.yaml",
        "Dockerfile",
        "kubernetes/ingest.yaml",
        "kubernetes/publisher.yaml",
        "systemd/envmon-ingest@.service",
        "systemd/envmon-publisher@.service",
        "systemd/envmon-migrate.service",
    ];
    let mut checked = 0;
    let mut wrong = Vec::new();
    for file in files {
        for name in setting_variables(&read(file)) {
            let dotted = name["ENVMON__".len()..].to_lowercase().replace("__", ".");
            checked += 1;
            if UNSET_BY_DEFAULT.contains(&dotted.as_str()) {
                continue;
            }
            if !is_setting(&defaults, &dotted) {
                wrong.push(format!("{file}: {name}"));
            }
        }
    }
    assert!(wrong.is_empty(), "not settings: {wrong:?}");
    assert!(checked >= 10, "only {checked} variables found");
}

#[test]
fn kubernetes_probes_point_at_health_and_readiness() {
    for file in ["kubernetes/ingest.yaml", "kubernetes/publisher.yaml"] {
        let manifest = read(file);
        for needle in [
            "path: /healthz",
            "path: /readyz",
            "requests: {cpu:",
            "envmon-config",
        ] {
            assert!(manifest.contains(needle), "{file} lacks {needle}");
        }
    }
}

#[test]
fn systemd_accepts_the_units() {
    let Ok(analyze) = which("systemd-analyze") else {
        panic!("systemd-analyze is part of systemd; install it to check the units");
    };
    let dir = std::env::temp_dir().join(format!("envmon-units-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let binary = env!("CARGO_BIN_EXE_envmon");
    let mut units = Vec::new();
    for (file, instance) in [
        ("envmon-migrate.service", "envmon-migrate.service"),
        ("envmon-ingest@.service", "envmon-ingest@a.service"),
        ("envmon-publisher@.service", "envmon-publisher@a.service"),
    ] {
        let text = read(&format!("systemd/{file}"));
        for key in ["NoNewPrivileges=yes", "ProtectSystem=strict", "ExecStart="] {
            assert!(text.contains(key), "{file} lacks {key}");
        }
        let path = dir.join(instance);
        std::fs::write(&path, text.replace("/usr/local/bin/envmon", binary)).unwrap();
        units.push(path);
    }
    let output = Command::new(analyze)
        .arg("verify")
        .args(&units)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    // Unknown or misspelt keys are only warnings: refuse them too.
    assert!(!stderr.contains("envmon-"), "{stderr}");
}

fn which(program: &str) -> Result<PathBuf, ()> {
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .ok_or(())
}
