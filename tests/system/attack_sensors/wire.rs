//! HJ 212 as a data logger writes it, built here independently of ingest's
//! codec (the CRC is the reference's bit-by-bit algorithm), and the small
//! clients the attacks need: a logger on TCP from a chosen loopback
//! address, and the setup of a station's MN, secret and networks.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use envmon_core::StationCode;
use envmon_core::logger_secret::SecretHash;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::helpers::TestDb;

/// The MN of the reference examples' air logger.
pub const MN: &str = "3700000A0000000000000001";

/// HJ 212-2017 Appendix A "ANSI CRC16", as the reference README §4 words it.
pub fn crc16(data: &[u8]) -> u16 {
    let mut register: u16 = 0xFFFF;
    for &byte in data {
        register = (register >> 8) ^ u16::from(byte);
        for _ in 0..8 {
            let carry = register & 1 == 1;
            register >>= 1;
            if carry {
                register ^= 0xA001;
            }
        }
    }
    register
}

/// A complete frame around `segment`, CR LF included.
pub fn frame(segment: &str) -> String {
    format!(
        "##{:04}{segment}{:04X}\r\n",
        segment.len(),
        crc16(segment.as_bytes())
    )
}

/// Real-time data (CN 2011, answer requested) of PM2.5 and NO2 at
/// `data_time` (Beijing, YYYYMMDDhhmmss).
pub fn realtime(qn: &str, pw: Option<&str>, mn: &str, data_time: &str, pm25: &str) -> String {
    let pw = pw.map(|pw| format!("PW={pw};")).unwrap_or_default();
    frame(&format!(
        "QN={qn};ST=22;CN=2011;{pw}MN={mn};Flag=5;CP=&&DataTime={data_time};\
         a34004-Rtd={pm25},a34004-Flag=N;a21004-Rtd=41,a21004-Flag=N&&"
    ))
}

/// The 9014 data answer HJ 212-2017 §6.5 owes `realtime(qn, Some(pw), mn, ..)`.
pub fn data_answer(qn: &str, pw: &str, mn: &str) -> String {
    frame(&format!(
        "QN={qn};ST=91;CN=9014;PW={pw};MN={mn};Flag=4;CP=&&&&"
    ))
}

/// The 9011 request answer with QnRtn=3, "PW 错误" (Table 7).
pub fn pw_wrong_answer(qn: &str, pw: Option<&str>, mn: &str) -> String {
    let pw = pw.map(|pw| format!("PW={pw};")).unwrap_or_default();
    frame(&format!(
        "QN={qn};ST=91;CN=9011;{pw}MN={mn};Flag=4;CP=&&QnRtn=3&&"
    ))
}

/// A TCP connection to `server` from the loopback address `from`
/// (127.0.0.1, 127.0.0.2, ...: Linux routes all of 127/8 to loopback).
pub async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    socket.connect(server).await.unwrap()
}

/// Reads one answer line (up to CR LF) within 10 s; `None` when the
/// server closes the connection first.
pub async fn read_answer(stream: &mut TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.read(&mut byte).await {
                Ok(1) => {
                    answer.push(byte[0]);
                    if answer.ends_with(b"\r\n") {
                        return true;
                    }
                }
                _ => return false,
            }
        }
    })
    .await
    .expect("an answer or a close within 10 s");
    read.then(|| String::from_utf8(answer).unwrap())
}

/// Sends `packet` and returns the answer.
pub async fn send(stream: &mut TcpStream, packet: &str) -> Option<String> {
    stream.write_all(packet.as_bytes()).await.unwrap();
    read_answer(stream).await
}

/// Whether the server has closed `stream` (EOF or reset) within 5 s.
pub async fn is_closed(stream: &mut TcpStream) -> bool {
    let mut buffer = [0u8; 64];
    matches!(
        tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer)).await,
        Ok(Ok(0) | Err(_))
    )
}

/// Registers `mn` as the logger of `station`, with `networks` (CIDR text).
pub async fn register_logger(db: &TestDb, station: &str, mn: &str, networks: &[&str]) {
    let networks: Vec<String> = networks.iter().map(|n| (*n).to_owned()).collect();
    db.client()
        .await
        .execute(
            "UPDATE station SET hj212_mn = $2, hj212_networks = $3::text[]::cidr[] WHERE code = $1",
            &[&station, &mn, &networks],
        )
        .await
        .unwrap();
}

/// Sets `station`'s logger secret as `envmon stations secret` does.
pub async fn set_secret(db: &TestDb, station: &str, secret: &str) {
    let set = envmon_core::registry::set_hj212_secret(
        &db.client().await,
        &StationCode::parse(station).unwrap(),
        &SecretHash::new(secret).unwrap(),
    )
    .await
    .unwrap();
    assert!(set);
}

/// The value of a sample of ingest's metrics (in this process), 0 if none.
pub fn ingest_metric(series: &str) -> f64 {
    envmon_ingest::metrics::render()
        .lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn the_crc_here_gives_the_reference_check_values() {
    assert_eq!(crc16(b""), 0xFFFF);
    assert_eq!(crc16(b"123456789"), 0x2F80);
    // Appendix A's worked example.
    let segment = "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
    assert_eq!(crc16(segment.as_bytes()), 0x1C80);
}
