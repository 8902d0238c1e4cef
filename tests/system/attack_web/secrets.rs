//! Secrets stay secret: `envmon config show`, error messages and the
//! daemons' logs never print a password; a settings file holding one that
//! every user can read is refused at start.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::helpers::process::{EnvmonProcess, free_addr};
use crate::helpers::rabbitmq_users::{PUBLISHER_PASSWORD, PUBLISHER_USER};
use crate::helpers::{TestSystem, unique};

const DB_SECRET: &str = "Db-s3cret-4f9a";
const MQTT_SECRET: &str = "Mqtt-s3cret-77c1";
const ENV_SECRET: &str = "Env-s3cret-0b2e";

/// `envmon ARGS` with `env`; (success, stdout and stderr).
fn envmon(args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_envmon"))
        .args(args)
        .env_remove("ENVMON_CONFIG")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

fn settings_file(dir: &Path, mode: u32, text: &str) -> PathBuf {
    let file = dir.join(unique("envmon")).with_extension("toml");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
    file
}

fn assert_no_secret(what: &str, text: &str) {
    for secret in [DB_SECRET, MQTT_SECRET, ENV_SECRET] {
        assert!(!text.contains(secret), "{what} shows a secret:\n{text}");
    }
}

#[tokio::test]
async fn config_show_errors_and_logs_print_no_secret_and_a_readable_file_with_one_is_refused() {
    let dir = std::env::temp_dir().join(unique("envmon-secrets"));
    std::fs::create_dir_all(&dir).unwrap();
    let text = format!(
        "[database]\nurl = \"postgres://envmon:{DB_SECRET}@db.internal:5432/envmon\"\n\n\
         [broker]\nhost = \"mqtt.internal\"\nusername = \"envmon-ingest\"\npassword = \"{MQTT_SECRET}\"\n"
    );

    // A private file: `config show` shows everything but the secrets.
    let private = settings_file(&dir, 0o600, &text);
    let path = private.to_str().unwrap();
    let (ok, shown) = envmon(
        &["--config", path, "config", "show"],
        &[("ENVMON__PUBLISHER__STAFF__CAP_SENDER", "bureau@example.org")],
    );
    assert!(ok, "{shown}");
    assert_no_secret("config show", &shown);
    assert!(
        shown.contains("postgres://envmon:***@db.internal:5432/envmon"),
        "{shown}"
    );
    assert!(shown.contains(r#"password = "***""#), "{shown}");
    assert!(shown.contains("envmon-ingest") && shown.contains("mqtt.internal"));
    assert!(
        shown.contains("bureau@example.org"),
        "the rest is shown as set"
    );
    // Secrets given in the environment, in either form of connection string.
    let (ok, shown) = envmon(
        &["config", "show"],
        &[
            ("ENVMON__BROKER__PASSWORD", ENV_SECRET),
            (
                "ENVMON__DATABASE__URL",
                &format!("host=db user=envmon password={ENV_SECRET} dbname=envmon"),
            ),
        ],
    );
    assert!(ok, "{shown}");
    assert_no_secret("config show", &shown);
    assert!(shown.contains("password=***"), "{shown}");
    // A value the settings cannot use is named by its key, not repeated.
    let (ok, error) = envmon(
        &["config", "show"],
        &[("ENVMON__BROKER__PASSWORD", "123456789")],
    );
    assert!(
        !ok && error.contains("PASSWORD") && !error.contains("123456789"),
        "{error}"
    );

    // The same file readable by every user is refused at start, naming the
    // secrets (not their values) and the fix, for every command.
    let readable = settings_file(&dir, 0o644, &text);
    let path = readable.to_str().unwrap();
    for command in [&["config", "show"][..], &["publish"], &["ingest"]] {
        let mut args = vec!["--config", path];
        args.extend_from_slice(command);
        let (ok, error) = envmon(&args, &[]);
        assert!(
            !ok,
            "{command:?} started with a world-readable secret: {error}"
        );
        assert!(
            error.contains("broker.password")
                && error.contains("database.url")
                && error.contains("0644")
                && error.contains("chmod o-r"),
            "{error}"
        );
        assert_no_secret("the refusal", &error);
    }
    // Readable by its group (a Kubernetes Secret volume is): allowed. No
    // secret in it (the production sample): readable by all is fine.
    let group = settings_file(&dir, 0o640, &text);
    let (ok, out) = envmon(
        &["--config", group.to_str().unwrap(), "config", "show"],
        &[],
    );
    assert!(ok, "{out}");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/config/production.toml");
    let public = settings_file(&dir, 0o644, &std::fs::read_to_string(sample).unwrap());
    let (ok, out) = envmon(
        &["--config", public.to_str().unwrap(), "config", "show"],
        &[],
    );
    assert!(ok, "{out}");

    // A failed connection names the database without its password.
    let (ok, error) = envmon(
        &["migrate"],
        &[
            (
                "ENVMON__DATABASE__URL",
                &format!("postgres://envmon:{DB_SECRET}@127.0.0.1:1/envmon"),
            ),
            ("ENVMON__DATABASE__CONNECT_TIMEOUT", "2s"),
        ],
    );
    assert!(!ok);
    assert!(
        error.contains("postgres://envmon:***@127.0.0.1:1/envmon"),
        "{error}"
    );
    assert_no_secret("a connection error", &error);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_running_publisher_logs_no_secret() {
    let system = TestSystem::start().await;
    // The publisher's real broker password travels to the broker, and must
    // not be written anywhere.
    let key = crate::helpers::staff::signing_key_file();
    let listen = free_addr();
    let mut publisher = EnvmonProcess::publisher(
        &system.db,
        &system.broker,
        listen,
        &[
            ("ENVMON__BROKER__USERNAME", PUBLISHER_USER),
            ("ENVMON__BROKER__PASSWORD", PUBLISHER_PASSWORD),
            (
                "ENVMON__PUBLISHER__STAFF__SIGNING_KEY_FILE",
                key.to_str().unwrap(),
            ),
            ("RUST_LOG", "debug,tokio_postgres=info"),
        ],
    )
    .await;
    let response = crate::helpers::http::get(listen, "/api/v1/stations")
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    publisher.terminate();
    assert!(
        publisher
            .wait_exit(std::time::Duration::from_secs(15))
            .success()
    );
    let log = publisher.log();
    assert!(log.contains("Publisher stopped"), "{log}");
    assert_no_secret("the publisher's log", &log);
    assert!(
        !log.contains(PUBLISHER_PASSWORD),
        "the publisher's log shows its broker password:\n{log}"
    );
    system.shutdown().await;
}
