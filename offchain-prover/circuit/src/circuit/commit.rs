//! Poseidon commitments to vectors of signed fixed-point values (model parameters, private
//! inputs). Values are bounded, offset to be non-negative and packed many to a field element
//! before hashing, which makes the packing injective and the hash cheap: the Poseidon region's
//! height is the number of packed elements. A commitment to a private input is salted with a
//! random field element, hashed last, so that it hides an input that could be guessed.

use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::QuantumCell::{self, Constant, Witness};
use halo2_base::{AssignedValue, Context};

use super::chip::FixedPointChip;
use super::poseidon::{hash, HashJob};
use crate::quantize::to_field;

/// Bits a packed field element may hold (below the 254-bit modulus).
const PACK_BITS: u32 = 252;

/// Commits to `values`, value `i` bounded to `|v| < 2^(bits(i)-1)`, and to `salt` if any, and
/// returns the cells that hold the values (a `Witness` is assigned there, an `Existing` cell
/// copied) with the commitment.
///
/// Values fill a field element in order, each offset by `2^(bits-1)` into a slot of its own
/// width, until the next would overflow it. A field element is one chain of halo2-base's gate
/// `acc + v·2^slot = acc'` that starts from the sum of its slots' offsets: a value costs three
/// cells, its own among them, and its bound ([`FixedPointChip::check_signed`]). The hash itself is
/// queued on the chip and laid out by the Poseidon region.
pub fn commit(
    chip: &mut FixedPointChip,
    ctx: &mut Context<Fr>,
    values: Vec<QuantumCell<Fr>>,
    bits: impl Fn(usize) -> u32,
    salt: Option<Fr>,
) -> (Vec<AssignedValue<Fr>>, AssignedValue<Fr>) {
    let mut cells = Vec::with_capacity(values.len());
    let mut packed = vec![];
    // (value, width, slot offset) of the field element being filled.
    let mut slots: Vec<(QuantumCell<Fr>, u32, u32)> = vec![];
    let mut pack = |ctx: &mut Context<Fr>, slots: &mut Vec<(QuantumCell<Fr>, u32, u32)>| {
        let base = |shift: u32| Fr::from(2).pow_vartime([shift as u64]);
        let mut acc: Fr = slots.iter().map(|&(_, width, shift)| to_field(1i128 << (width - 1)) * base(shift)).sum();
        let mut chain = vec![Constant(acc)];
        let mut gates = Vec::with_capacity(slots.len());
        for &(v, _, shift) in slots.iter() {
            gates.push(chain.len() as isize - 1);
            acc += *v.value() * base(shift);
            chain.extend([v, Constant(base(shift)), Witness(acc)]);
        }
        ctx.assign_region(chain, gates);
        let n = slots.len() as isize;
        let assigned: Vec<_> = (0..n).map(|j| ctx.get(-3 * (n - j))).collect();
        packed.push(ctx.get(-1));
        for (&v, &(_, width, _)) in assigned.iter().zip(slots.iter()) {
            chip.check_signed(ctx, v, width);
        }
        cells.extend(assigned);
        slots.clear();
    };
    let mut used = 0;
    for (i, v) in values.into_iter().enumerate() {
        let width = bits(i);
        if used + width > PACK_BITS && !slots.is_empty() {
            pack(ctx, &mut slots);
            used = 0;
        }
        slots.push((v, width, used));
        used += width;
    }
    if !slots.is_empty() {
        pack(ctx, &mut slots);
    }
    // The salt is a whole field element of its own, unbounded: any value hides as well.
    packed.extend(salt.map(|salt| ctx.load_witness(salt)));
    let len = packed.len();
    let digest = hash(&packed.iter().map(|c| *c.value()).collect::<Vec<_>>());
    if len == 0 {
        // Nothing to hash: the commitment is the empty sequence's, a constant.
        return (cells, ctx.load_constant(digest));
    }
    if len % 2 == 1 {
        packed.push(ctx.load_zero());
    }
    let output = ctx.load_witness(digest);
    chip.hashes.push(HashJob { inputs: packed, len, output });
    (cells, output)
}
