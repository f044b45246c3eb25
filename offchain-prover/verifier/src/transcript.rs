//! halo2's Keccak-256 transcript, reading each point and scalar in its one canonical encoding.
//!
//! halo2curves' compressed G1 decoder ignores the infinity flag of a point with a non-zero x and
//! the sign bit of the identity, and `Keccak256Read` absorbs the decoded coordinates, not the
//! bytes: without this reader one proof has several byte strings, and so several hashes.

use std::io::{self, Read};

use halo2_proofs::halo2curves::bn256::{Fr, G1Affine};
use halo2_proofs::halo2curves::ff::PrimeField;
use halo2_proofs::halo2curves::group::GroupEncoding;
use halo2_proofs::transcript::{Challenge255, Keccak256Read, Transcript, TranscriptRead, TranscriptReadBuffer};

/// Reads 32 bytes per point or scalar from `reader`, refuses any that is not the element's own
/// encoding, and absorbs the element as `Keccak256Read` does: the same transcript for the same
/// proof, and only one proof per transcript.
pub(crate) struct CanonicalRead<R> {
    reader: R,
    /// Bytes read so far.
    offset: usize,
    /// The first refusal. halo2's multi-opening verifier replaces the transcript's error by its
    /// own, so the verifier reports this one instead.
    refused: Option<String>,
    inner: Keccak256Read<io::Empty, G1Affine, Challenge255<G1Affine>>,
}

impl<R: Read> CanonicalRead<R> {
    pub(crate) fn new(reader: R) -> Self {
        Self { reader, offset: 0, refused: None, inner: Keccak256Read::init(io::empty()) }
    }

    /// Why an element was refused, if one was.
    pub(crate) fn refused(&self) -> Option<&str> {
        self.refused.as_deref()
    }

    fn read_bytes(&mut self) -> io::Result<(usize, [u8; 32])> {
        let mut bytes = [0; 32];
        self.reader.read_exact(&mut bytes)?;
        let at = self.offset;
        self.offset += bytes.len();
        Ok((at, bytes))
    }

    fn refuse(&mut self, what: &str, at: usize) -> io::Error {
        let reason = format!("non-canonical encoding of a {what} at byte offset {at}");
        self.refused.get_or_insert_with(|| reason.clone());
        io::Error::new(io::ErrorKind::InvalidData, reason)
    }
}

impl<R: Read> Transcript<G1Affine, Challenge255<G1Affine>> for CanonicalRead<R> {
    fn squeeze_challenge(&mut self) -> Challenge255<G1Affine> {
        self.inner.squeeze_challenge()
    }

    fn common_point(&mut self, point: G1Affine) -> io::Result<()> {
        self.inner.common_point(point)
    }

    fn common_scalar(&mut self, scalar: Fr) -> io::Result<()> {
        self.inner.common_scalar(scalar)
    }
}

impl<R: Read> TranscriptRead<G1Affine, Challenge255<G1Affine>> for CanonicalRead<R> {
    fn read_point(&mut self) -> io::Result<G1Affine> {
        let (at, bytes) = self.read_bytes()?;
        let mut repr = <G1Affine as GroupEncoding>::Repr::default();
        repr.as_mut().copy_from_slice(&bytes);
        let point = Option::<G1Affine>::from(G1Affine::from_bytes(&repr))
            .filter(|point| point.to_bytes() == repr)
            .ok_or_else(|| self.refuse("point", at))?;
        self.common_point(point)?;
        Ok(point)
    }

    fn read_scalar(&mut self) -> io::Result<Fr> {
        let (at, bytes) = self.read_bytes()?;
        // `from_repr` refuses values at or above the modulus; the comparison keeps that explicit.
        let scalar = Option::<Fr>::from(Fr::from_repr(bytes))
            .filter(|scalar| scalar.to_repr() == bytes)
            .ok_or_else(|| self.refuse("scalar", at))?;
        self.common_scalar(scalar)?;
        Ok(scalar)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use halo2_proofs::halo2curves::ff::Field;
    use halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
    use halo2_proofs::halo2curves::group::Curve;
    use halo2_proofs::transcript::EncodedChallenge;

    fn point(n: u64) -> G1Affine {
        (G1Affine::generator() * Fr::from(n)).to_affine()
    }

    fn encoded(point: G1Affine) -> [u8; 32] {
        point.to_bytes().as_ref().try_into().unwrap()
    }

    fn decodes(bytes: [u8; 32]) -> bool {
        let mut repr = <G1Affine as GroupEncoding>::Repr::default();
        repr.as_mut().copy_from_slice(&bytes);
        G1Affine::from_bytes(&repr).is_some().into()
    }

    fn bytes(elements: &[[u8; 32]]) -> Vec<u8> {
        elements.concat()
    }

    fn challenges<T: TranscriptRead<G1Affine, Challenge255<G1Affine>>>(mut t: T) -> io::Result<Vec<Fr>> {
        let mut out = vec![];
        for i in 0..4 {
            if i % 2 == 0 {
                t.read_point()?;
            } else {
                t.read_scalar()?;
            }
            out.push(t.squeeze_challenge().get_scalar());
        }
        Ok(out)
    }

    #[test]
    fn the_transcript_is_keccak256reads() {
        let proof = bytes(&[encoded(point(7)), Fr::from(5).to_repr(), encoded(point(11)), (-Fr::ONE).to_repr()]);
        let ours = challenges(CanonicalRead::new(&proof[..])).unwrap();
        let halo2 = challenges(Keccak256Read::<_, G1Affine, Challenge255<_>>::init(&proof[..])).unwrap();
        assert_eq!(ours, halo2);
    }

    fn read_point(bytes: [u8; 32]) -> Result<G1Affine, String> {
        let mut t = CanonicalRead::new(&bytes[..]);
        t.read_point().map_err(|e| e.to_string())
    }

    fn read_scalar(bytes: [u8; 32]) -> Result<Fr, String> {
        let mut t = CanonicalRead::new(&bytes[..]);
        t.read_scalar().map_err(|e| e.to_string())
    }

    #[test]
    fn only_the_canonical_encoding_is_read() {
        let p = point(3);
        assert_eq!(read_point(encoded(p)), Ok(p));
        let refused = Err("non-canonical encoding of a point at byte offset 0".to_string());
        // The infinity flag on a point with a non-zero x: halo2curves decodes the point.
        let mut flagged = encoded(p);
        flagged[31] |= 0x80;
        assert!(decodes(flagged));
        assert_eq!(read_point(flagged), refused);
        // The identity with its sign bit set: halo2curves decodes the identity.
        let mut signed = [0; 32];
        signed[31] = 0xc0;
        assert!(decodes(signed));
        assert_eq!(read_point(signed), refused);
        // The identity itself is canonical (halo2's transcript absorbs it as (0, 0)).
        assert_eq!(read_point(encoded(G1Affine::identity())), Ok(G1Affine::identity()));

        let s = Fr::from(42);
        assert_eq!(read_scalar(s.to_repr()), Ok(s));
        // The modulus itself (−1 + 1 as integers).
        let mut modulus = (-Fr::ONE).to_repr();
        modulus[0] += 1;
        assert_eq!(read_scalar(modulus), Err("non-canonical encoding of a scalar at byte offset 0".to_string()));
        assert_eq!(read_scalar([0xff; 32]), Err("non-canonical encoding of a scalar at byte offset 0".to_string()));
    }

    #[test]
    fn offsets_count_from_the_proofs_start_and_short_reads_fail() {
        let mut flagged = encoded(point(5));
        flagged[31] |= 0x80;
        let proof = bytes(&[encoded(point(4)), Fr::from(9).to_repr(), flagged]);
        let mut t = CanonicalRead::new(&proof[..]);
        t.read_point().unwrap();
        t.read_scalar().unwrap();
        assert!(t.read_point().is_err());
        assert_eq!(t.refused(), Some("non-canonical encoding of a point at byte offset 64"));
        let mut t = CanonicalRead::new(&proof[..20]);
        assert_eq!(t.read_point().unwrap_err().kind(), io::ErrorKind::UnexpectedEof);
        assert_eq!(t.refused(), None);
    }
}
