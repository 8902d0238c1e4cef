//! A fresh database per test, cloned from a migrated template that holds
//! the Shanghai registry. The template is built once (under an advisory lock,
//! as tests run in several processes) and named by a hash of the schema and
//! registry, so a change to either builds a new one.

use envmon_core::db::{DatabaseSettings, MIGRATIONS, migrate};
use envmon_core::registry::{
    SHANGHAI_REGISTRY, import_areas, import_stations, parse_areas, parse_registry,
};
use tokio_postgres::Client;

/// Server URL for administration, from `deploy/test.sh`.
fn admin_url() -> String {
    std::env::var("ENVMON_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://envmon:envmon@127.0.0.1:5432/postgres".into())
}

/// `admin_url` with another database name.
fn url_for(database: &str) -> String {
    let admin = admin_url();
    let base = admin
        .rsplit_once('/')
        .map_or(admin.as_str(), |(base, _)| base);
    format!("{base}/{database}")
}

/// Through the daemons' own connector, as every connection is, but under
/// a name of its own and without their timeouts: the fault tests end the
/// daemons' sessions by name, and the tests' own must survive that.
async fn connect(url: &str) -> Client {
    let settings = DatabaseSettings {
        url: url.to_owned(),
        ..DatabaseSettings::default()
    };
    let mut config = settings.pg_config().unwrap();
    config.application_name("envmon-test").options("");
    let (client, connection) = config
        .connect(settings.connector().unwrap())
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}; run deploy/test.sh"));
    tokio::spawn(connection);
    client
}

/// What `build_template` puts in, beside the migrations and the registry:
/// changed whenever it does, so no older template is reused.
const TEMPLATE_RECIPE: &str = "migrations, stations, areas";

fn template_name() -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let sources = MIGRATIONS
        .iter()
        .map(|m| m.sql)
        .chain([SHANGHAI_REGISTRY, TEMPLATE_RECIPE]);
    for byte in sources.flat_map(str::bytes) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("envmon_tpl_{hash:016x}")
}

/// Arbitrary key of the template-building advisory lock.
const TEMPLATE_LOCK: i64 = 0x7465_6d70_6c61;

/// A database of one's own.
#[derive(Debug, Clone)]
pub struct TestDb {
    pub url: String,
}

impl TestDb {
    /// A new database, migrated, with the Shanghai registry imported.
    pub async fn new() -> Self {
        let admin = connect(&admin_url()).await;
        let template = template_name();
        let name = super::unique("envmon_t");
        admin
            .execute("SELECT pg_advisory_lock($1)", &[&TEMPLATE_LOCK])
            .await
            .unwrap();
        let exists = admin
            .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&template])
            .await
            .unwrap()
            .is_some();
        if !exists {
            build_template(&admin, &template).await;
        }
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap();
        admin
            .execute("SELECT pg_advisory_unlock($1)", &[&TEMPLATE_LOCK])
            .await
            .unwrap();
        Self {
            url: url_for(&name),
        }
    }

    /// Settings that point a daemon at this database.
    pub fn settings(&self) -> DatabaseSettings {
        DatabaseSettings {
            url: self.url.clone(),
            max_connections: 4,
            ..DatabaseSettings::default()
        }
    }

    /// A plain connection for assertions.
    pub async fn client(&self) -> Client {
        connect(&self.url).await
    }

    /// Makes the database unreachable for the daemons (every session ended,
    /// new ones refused) or reachable again: an outage of this database
    /// alone, leaving the shared server up.
    pub async fn set_reachable(&self, reachable: bool) {
        let name = self.url.rsplit_once('/').map(|(_, name)| name).unwrap();
        let admin = connect(&admin_url()).await;
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
            ))
            .await
            .unwrap();
        if !reachable {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    &[&name],
                )
                .await
                .unwrap();
        }
    }

    /// Counts rows of a query returning one bigint.
    pub async fn count(&self, sql: &str) -> i64 {
        self.client()
            .await
            .query_one(sql, &[])
            .await
            .unwrap()
            .get(0)
    }
}

async fn build_template(admin: &Client, template: &str) {
    let building = format!("{template}_building");
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {building}"))
        .await
        .unwrap();
    admin
        .batch_execute(&format!("CREATE DATABASE {building}"))
        .await
        .unwrap();
    {
        let settings = DatabaseSettings {
            url: url_for(&building),
            ..DatabaseSettings::default()
        };
        let (mut client, connection) = settings.connect().await.unwrap();
        let connection = tokio::spawn(connection);
        migrate(&mut client).await.unwrap();
        let stations = parse_registry(SHANGHAI_REGISTRY).unwrap();
        import_stations(&mut client, &stations).await.unwrap();
        let areas = parse_areas(SHANGHAI_REGISTRY).unwrap();
        import_areas(&mut client, &areas).await.unwrap();
        drop(client);
        let _ = connection.await;
    }
    // Renamed only when complete, so a crashed build is never cloned.
    admin
        .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
        .await
        .unwrap();
}
