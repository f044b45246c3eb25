//! Poseidon commitments to vectors of signed fixed-point values (model parameters, private
//! inputs). Values are range-checked, offset to be non-negative and packed many to a field
//! element before hashing, which makes the packing injective and the hash cheap: the Poseidon
//! region's height is the number of packed elements.

use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};

use super::chip::FixedPointChip;
use super::poseidon::{hash, HashJob};
use crate::quantize::to_field;

/// Bits a packed field element may hold (below the 254-bit modulus).
const PACK_BITS: u32 = 252;

/// Commits to `values`, value `i` known to satisfy `|v| < 2^(bits(i)-1)`. Values fill a field
/// element in order, each in a slot of its own width, until the next would overflow it. The hash
/// itself is queued on the chip and laid out by the Poseidon region.
pub fn commit(
    chip: &mut FixedPointChip,
    ctx: &mut Context<Fr>,
    values: &[AssignedValue<Fr>],
    bits: impl Fn(usize) -> u32,
) -> AssignedValue<Fr> {
    let gate = chip.range.gate.clone();
    let mut packed = vec![];
    let mut slots: Vec<(AssignedValue<Fr>, u32)> = vec![];
    let mut used = 0;
    let mut pack = |ctx: &mut Context<Fr>, slots: &mut Vec<(AssignedValue<Fr>, u32)>| {
        let bases = slots.iter().map(|&(_, shift)| Constant(Fr::from(2).pow_vartime([shift as u64])));
        packed.push(gate.inner_product(ctx, slots.iter().map(|&(u, _)| u), bases));
        slots.clear();
    };
    for (i, &v) in values.iter().enumerate() {
        let width = bits(i);
        if used + width > PACK_BITS && !slots.is_empty() {
            pack(ctx, &mut slots);
            used = 0;
        }
        let u = gate.add(ctx, v, Constant(to_field(1i128 << (width - 1))));
        chip.range.range_check(ctx, u, width as usize);
        slots.push((u, used));
        used += width;
    }
    if !slots.is_empty() {
        pack(ctx, &mut slots);
    }
    let len = packed.len();
    let digest = hash(&packed.iter().map(|c| *c.value()).collect::<Vec<_>>());
    if len % 2 == 1 {
        packed.push(ctx.load_zero());
    }
    let output = ctx.load_witness(digest);
    chip.hashes.push(HashJob { inputs: packed, len, output });
    output
}
