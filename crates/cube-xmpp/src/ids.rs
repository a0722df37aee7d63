//! Id formats ConnectyCube clients use (wire.md §8.11), built from caller-given time and
//! randomness.

/// A BSON ObjectId-style message id: 8 hex digits of Unix seconds, 10 of randomness, 6 of
/// counter (the JS SDK's counter is always 0). E.g. `65937d254b854839d7000000`.
pub fn object_id(unix_secs: u32, random: [u8; 5], counter: u32) -> String {
    format!(
        "{unix_secs:08x}{}{:06x}",
        hex::encode(random),
        counter & 0x00ff_ffff
    )
}

/// The Unix seconds at the start of an ObjectId-style id, if it is one.
pub fn object_id_secs(id: &str) -> Option<u32> {
    if id.len() != 24 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u32::from_str_radix(&id[..8], 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_sdk_format() {
        let id = object_id(1_704_164_645, [0x4b, 0x85, 0x48, 0x39, 0xd7], 0);
        assert_eq!(id, "65937d254b854839d7000000");
        assert_eq!(object_id_secs(&id), Some(1_704_164_645));
        assert_eq!(object_id_secs("x"), None);
    }
}
