//! The HJ 212 check value, "ANSI CRC16" (HJ 212-2017 Appendix A; the same
//! in HJ/T 212-2005).
//!
//! Not CRC-16/MODBUS, although it uses the same reflected polynomial 0xA001:
//! each data byte is XORed into the register's *high* byte and the low byte
//! is thrown away, so only 256 check values exist and a corrupted frame
//! passes with probability about 1/256. The Modbus variants some devices
//! send are not accepted (reference README §4, "Recommendation").

/// The reflected polynomial of Appendix A.
const POLYNOMIAL: u16 = 0xA001;

/// The HJ 212 CRC of `segment`: the bytes of the data segment only (no
/// `##`, length, CRC or CR LF), UTF-8 bytes where the text is Chinese.
pub(super) fn crc16(segment: &[u8]) -> u16 {
    segment.iter().fold(0xFFFF, |register, &byte| {
        // Appendix A step 3: the register's high byte XOR the data byte
        // becomes the whole register; the old low byte is discarded.
        let mut register = (register >> 8) ^ u16::from(byte);
        for _ in 0..8 {
            let carry = register & 1 != 0;
            register >>= 1;
            if carry {
                register ^= POLYNOMIAL;
            }
        }
        register
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values_of_the_reference_match() {
        // Reference README §4, "Check values".
        for (input, expected) in [
            ("", 0xFFFF),
            ("A", 0x7080),
            ("123456789", 0x2F80),
            ("QN=", 0x7200),
            ("CP=&&&&", 0xF781),
        ] {
            assert_eq!(crc16(input.as_bytes()), expected, "{input:?}");
        }
    }

    #[test]
    fn worked_example_of_appendix_a_gives_1c80() {
        let segment = "QN=20160801085857223;ST=32;CN=1062;PW=100000;\
                       MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";
        assert_eq!(segment.len(), 101);
        assert_eq!(crc16(segment.as_bytes()), 0x1C80);
    }

    #[test]
    fn low_byte_is_one_of_eight_values() {
        // Reference README §4: the register is rebuilt from 8 bits per byte.
        for byte in 0..=255u8 {
            let low = crc16(&[b'x', byte]) & 0xFF;
            assert!(
                [0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1].contains(&low),
                "{low:02X}"
            );
        }
    }
}
