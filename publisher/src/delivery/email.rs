//! E-mail through the configured SMTP relay: STARTTLS or TLS with
//! authentication in production, plain only for a local relay.
//!
//! Every message says why it was sent and, except the opt-in itself, carries
//! the RFC 8058 one-click unsubscribe (`List-Unsubscribe` with
//! `List-Unsubscribe-Post`), so mail clients offer it as a button.

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::message::Message;
use crate::settings::{SmtpSecurity, SmtpSettings};

/// Why an e-mail could not be handed to the relay.
#[derive(Debug, thiserror::Error)]
pub(crate) enum EmailError {
    /// The configured sender or the recipient is not an address.
    #[error("not an e-mail address: {0}")]
    Address(String),
    /// The relay settings cannot be used.
    #[error("cannot set up the SMTP relay: {0}")]
    Setup(String),
    /// The relay refused or could not be reached.
    #[error("the SMTP relay failed: {0}")]
    Relay(String),
}

/// The relay and the sender.
pub(crate) struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of Message-IDs.
    host: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `settings`; connects only when sending.
    ///
    /// A relay that does not answer within `timeout` fails the attempt,
    /// so one stuck relay cannot hold up the other channels' messages.
    pub(crate) fn new(
        settings: &SmtpSettings,
        timeout: std::time::Duration,
    ) -> Result<Self, EmailError> {
        let setup = |e: lettre::transport::smtp::Error| EmailError::Setup(e.to_string());
        let tls = || -> Result<TlsParameters, EmailError> {
            let mut parameters = TlsParameters::builder(settings.host.clone());
            if let Some(path) = &settings.ca_file {
                let pem = std::fs::read(path)
                    .map_err(|e| EmailError::Setup(format!("cannot read ca_file {path}: {e}")))?;
                parameters =
                    parameters.add_root_certificate(Certificate::from_pem(&pem).map_err(setup)?);
            }
            parameters.build().map_err(setup)
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .timeout(Some(timeout));
        let builder = match settings.security {
            SmtpSecurity::None => builder.tls(Tls::None),
            SmtpSecurity::Starttls => builder.tls(Tls::Required(tls()?)),
            SmtpSecurity::Tls => builder.tls(Tls::Wrapper(tls()?)),
        };
        let builder = match (&settings.username, &settings.password) {
            (Some(user), Some(password)) => {
                builder.credentials(Credentials::new(user.clone(), password.clone()))
            }
            _ => builder,
        };
        let from: Mailbox = settings
            .from
            .parse()
            .map_err(|_| EmailError::Address(settings.from.clone()))?;
        let host = from.email.domain().to_owned();
        Ok(Self {
            transport: builder.build(),
            from,
            host,
        })
    }

    /// Sends `message` to `to`; `key` is the delivery's idempotency key,
    /// made its Message-ID so a receiver can drop a repeat.
    pub(crate) async fn send(
        &self,
        to: &str,
        key: &str,
        message: &Message,
    ) -> Result<(), EmailError> {
        let to: Mailbox = to.parse().map_err(|_| EmailError::Address(to.to_owned()))?;
        let mut builder = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.clone())
            .message_id(Some(format!("<{key}@{}>", self.host)))
            .header(ContentType::TEXT_PLAIN);
        let mut body = format!("{}\n\n--\n{}\n", message.text, message.reason);
        if let Some(url) = &message.unsubscribe_url {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
            body.push_str(&format!("{url}\n"));
        }
        let email = builder
            .body(body)
            .map_err(|e| EmailError::Address(e.to_string()))?;
        self.transport
            .send(email)
            .await
            .map(|_| ())
            .map_err(|e| EmailError::Relay(e.to_string()))
    }
}
