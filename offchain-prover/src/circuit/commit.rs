//! Poseidon commitments to vectors of signed fixed-point values (model parameters, private
//! inputs). Values are range-checked, offset to be non-negative and packed many to a field
//! element before hashing, which makes the packing injective and the hash cheap.

use halo2_base::gates::{GateInstructions, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::{AssignedValue, Context, QuantumCell::Constant};

use super::chip::FixedPointChip;
use super::poseidon::{hash, HashJob};
use crate::quantize::to_field;

/// Bits a packed field element may hold (below the 254-bit modulus).
const PACK_BITS: u32 = 252;

/// Commits to `values`, each known to satisfy `|v| < 2^(bits-1)`. The hash itself is queued on
/// the chip and laid out by the Poseidon region.
pub fn commit(
    chip: &mut FixedPointChip,
    ctx: &mut Context<Fr>,
    values: &[AssignedValue<Fr>],
    bits: u32,
) -> AssignedValue<Fr> {
    let gate = chip.range.gate().clone();
    let offset = Constant(to_field(1i128 << (bits - 1)));
    let per_element = (PACK_BITS / bits).max(1) as usize;
    let bases: Vec<_> =
        (0..per_element).map(|j| Constant(Fr::from(2).pow_vartime([(bits as usize * j) as u64]))).collect();
    let mut packed: Vec<_> = values
        .chunks(per_element)
        .map(|chunk| {
            let unsigned: Vec<_> = chunk
                .iter()
                .map(|&v| {
                    let u = gate.add(ctx, v, offset);
                    chip.range.range_check(ctx, u, bits as usize);
                    u
                })
                .collect();
            gate.inner_product(ctx, unsigned, bases[..chunk.len()].to_vec())
        })
        .collect();
    let len = packed.len();
    let digest = hash(&packed.iter().map(|c| *c.value()).collect::<Vec<_>>());
    if len % 2 == 1 {
        packed.push(ctx.load_zero());
    }
    let output = ctx.load_witness(digest);
    chip.hashes.push(HashJob { inputs: packed, len, output });
    output
}
