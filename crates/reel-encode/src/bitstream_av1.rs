//! The one AV1 bitstream detail the encoder needs: making sure a keyframe
//! packet carries the sequence header OBU.

/// OBU type of a sequence header.
const OBU_SEQUENCE_HEADER: u8 = 1;
/// OBU type of a temporal delimiter.
const OBU_TEMPORAL_DELIMITER: u8 = 2;

/// The sequence header OBU inside an `av1C` record (after its 4-byte header).
fn sequence_header_from_av1c(av1c: &[u8]) -> Option<&[u8]> {
    let obus = av1c.get(4..)?;
    ((obus.first()? >> 3) & 0xf == OBU_SEQUENCE_HEADER).then_some(obus)
}

/// Types of the OBUs at the top level of `data` (size fields assumed).
fn obu_types(data: &[u8]) -> Vec<u8> {
    let mut types = Vec::new();
    let mut pos = 0;
    while pos < data.len() {
        let header = data[pos];
        let ext = usize::from(header & 0x04 != 0);
        types.push((header >> 3) & 0xf);
        let mut p = pos + 1 + ext;
        let (mut size, mut shift) = (0usize, 0);
        loop {
            let Some(&b) = data.get(p) else { return types };
            size |= usize::from(b & 0x7f) << shift;
            p += 1;
            shift += 7;
            if b & 0x80 == 0 || shift > 56 {
                break;
            }
        }
        pos = p + size;
    }
    types
}

/// `packet`, with the sequence header of `av1c` inserted after the
/// temporal delimiter when the packet has none.
pub fn ensure_sequence_header(packet: &[u8], av1c: &[u8]) -> Vec<u8> {
    let types = obu_types(packet);
    let Some(seq) = sequence_header_from_av1c(av1c) else {
        return packet.to_vec();
    };
    if types.contains(&OBU_SEQUENCE_HEADER) {
        return packet.to_vec();
    }
    let td_len = if types.first() == Some(&OBU_TEMPORAL_DELIMITER) {
        2
    } else {
        0
    };
    let mut out = Vec::with_capacity(packet.len() + seq.len());
    out.extend_from_slice(&packet[..td_len.min(packet.len())]);
    out.extend_from_slice(seq);
    out.extend_from_slice(&packet[td_len.min(packet.len())..]);
    out
}
