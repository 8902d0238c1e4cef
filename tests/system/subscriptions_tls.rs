//! E-mail through a relay that requires STARTTLS and authentication, as a
//! production relay does: aiosmtpd with a certificate from a test CA (made
//! with openssl) that refuses mail before STARTTLS and AUTH before TLS. The
//! opt-in arrives with the right password; with a wrong one nothing does,
//! and the delivery keeps the relay's refusal for staff.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use envmon_publisher::settings::{SmtpSecurity, SmtpSettings};

use crate::helpers::process::free_addr;
use crate::helpers::subscribers::{PYTHON, delivery_settings, header, scratch_dir, subscribe};
use crate::helpers::{TestSystem, wait_for};
use crate::tls::certs::Certs;

const RELAY: &str = r#"import sys, ssl, time
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
port, certs, maildir = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(certs + '/server.crt', certs + '/server.key')
def auth(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == b'alerts' and data.password == b's3cret-relay'
    return AuthResult(success=ok, handled=False)
c = Controller(Mailbox(maildir), hostname='127.0.0.1', port=port, tls_context=ctx,
    require_starttls=True, authenticator=auth, auth_require_tls=True)
c.start()
print('ready', flush=True)
while True:
    time.sleep(3600)
"#;

/// The relay, killed and reaped when dropped.
struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_relay(port: u16, certs: &Path, maildir: &Path) -> Relay {
    let relay = Relay(
        Command::new(PYTHON)
            .args(["-c", RELAY, &port.to_string()])
            .arg(certs)
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3-aiosmtpd is installed"),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return relay;
        }
        std::thread::sleep(Duration::from_millis(25));
    }
    panic!("the relay did not listen on {port}");
}

fn messages(maildir: &Path) -> Vec<String> {
    std::fs::read_dir(maildir.join("new"))
        .map(|entries| {
            entries
                .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn e_mail_goes_through_a_relay_requiring_starttls_and_authentication() {
    let certs = Certs::make();
    let dir = scratch_dir();
    let maildir = dir.join("maildir");
    let port = free_addr().port();
    let _relay = start_relay(port, &certs.dir, &maildir);
    let relay_settings = |password: &str| SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Starttls,
        username: Some("alerts".into()),
        password: Some(password.into()),
        from: "envmon <alerts@envmon.test>".into(),
        ca_file: Some(certs.dir.join("ca.crt").display().to_string()),
    };
    let mut settings = delivery_settings(&dir, None);
    settings.smtp = Some(relay_settings("wrong"));
    let mut system = TestSystem::start_publisher_only_with(|s| s.delivery = settings.clone()).await;
    let sign_up = serde_json::json!({ "channel": "email", "address": "tls@example.org",
        "topic": "notices", "area": "shanghai", "language": "en" });
    assert_eq!(subscribe(&system, sign_up).await.status, 202);

    // A wrong password: refused by the relay, nothing delivered, the reason kept.
    let refusal = wait_for("the relay's refusal", Duration::from_secs(15), || async {
        let rows = system
            .db
            .client()
            .await
            .query(
                "SELECT last_error FROM delivery WHERE last_error IS NOT NULL",
                &[],
            )
            .await
            .map_err(|e| e.to_string())?;
        rows.first()
            .map(|r| r.get::<_, String>(0))
            .ok_or_else(|| "no attempt yet".to_owned())
    })
    .await;
    assert!(
        refusal.contains("535") || refusal.to_lowercase().contains("auth"),
        "{refusal}"
    );
    assert!(messages(&maildir).is_empty());

    // The right password: the retry delivers the opt-in over TLS.
    system.kill_publisher().await;
    settings.smtp = Some(relay_settings("s3cret-relay"));
    system
        .start_publisher_again_with(envmon_publisher::Settings {
            delivery: settings,
            ..system.publisher_settings()
        })
        .await;
    let opt_in = wait_for(
        "the opt-in through the relay",
        Duration::from_secs(15),
        || async {
            messages(&maildir)
                .pop()
                .ok_or_else(|| "nothing yet".to_owned())
        },
    )
    .await;
    assert_eq!(header(&opt_in, "To").as_deref(), Some("tls@example.org"));
    system.shutdown().await;
}
