//! The fixed-point chip: signed fixed-point arithmetic on top of halo2-base's gate and range chips.
//!
//! Values are signed integers mapped to the field as `x mod p`. Every value that leaves a
//! non-linear step (rescale, comparison, lookup) is range-checked to `bits` bits, which keeps all
//! arithmetic far from wrapping around the modulus. The chip also records the largest magnitudes
//! it saw, which is how calibration sizes the circuit, and the first value that broke a bound,
//! which is how an out-of-range input is caught before proving.

use halo2_base::gates::{GateInstructions, RangeChip, RangeInstructions};
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::virtual_region::lookups::LookupAnyManager;
use halo2_base::QuantumCell::{self, Constant, Existing, Witness};
use halo2_base::{AssignedValue, Context};

use crate::error::Error;
use crate::quantize::{bit_length, dequantize, from_field, to_field, Quantization};

/// Largest magnitudes seen during a layout, in bits.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ranges {
    /// Range-checked values (rescale outputs, comparison differences, lookup outputs).
    pub value_bits: u32,
    /// Lookup-table inputs.
    pub table_bits: u32,
}

/// A division `⌊x · 2^shift / d⌋` for [`FixedPointChip::divide`], with `0 < d < 2^d_bits`.
#[derive(Clone, Copy, Debug)]
pub struct Division {
    pub x: AssignedValue<Fr>,
    pub d: AssignedValue<Fr>,
    pub shift: u32,
    pub d_bits: u32,
}

/// A rescaled value and its positive part.
#[derive(Clone, Copy, Debug)]
pub struct Rescaled {
    pub value: AssignedValue<Fr>,
    pub positive: AssignedValue<Fr>,
}

pub struct FixedPointChip {
    /// halo2-base's range chip with lookup managers of its own: the limbs it queues are looked up
    /// in this circuit's table ([`Self::take_range_lookups`]), not in halo2-base's.
    pub range: RangeChip<Fr>,
    pub q: Quantization,
    /// Width of the lookup table's weight rows, the signed values `[-2^(w-1), 2^(w-1))`, if it
    /// has them: a value of that width is bounded by a single lookup, with no cells of its own.
    pub weight_bits: Option<u32>,
    /// Cells to look up among the weight rows.
    pub weight_lookups: Vec<AssignedValue<Fr>>,
    /// Function lookups, each among its own function's rows.
    pub lookups: Vec<FunctionLookup>,
    /// Poseidon hashes to lay out in the Poseidon region.
    pub hashes: Vec<super::poseidon::HashJob>,
    pub ranges: Ranges,
    /// The node being laid out, for error messages.
    pub node: String,
    /// The first value found outside its calibrated bound.
    pub violation: Option<Error>,
}

impl FixedPointChip {
    pub fn new(lookup_bits: usize, weight_bits: Option<u32>, q: Quantization) -> Self {
        Self {
            // The managers only collect cells; their copy manager is never used.
            range: RangeChip::new(
                lookup_bits,
                std::array::from_fn(|_| LookupAnyManager::new(false, Default::default())),
            ),
            q,
            weight_bits,
            weight_lookups: vec![],
            lookups: vec![],
            hashes: vec![],
            ranges: Ranges::default(),
            node: String::new(),
            violation: None,
        }
    }

    pub fn gate(&self) -> &impl GateInstructions<Fr> {
        self.range.gate()
    }

    /// The cells range checks queued for lookup among the range rows, in order; the chip's
    /// managers are left empty.
    pub fn take_range_lookups(&self) -> Vec<AssignedValue<Fr>> {
        let queued =
            std::mem::take(&mut *self.range.lookup_manager()[0].cells_to_lookup.lock().expect("lookup manager"));
        queued.into_values().flatten().map(|[cell]| cell).collect()
    }

    /// Records `value`'s magnitude, and a violation if it needs more than `bound_bits` bits.
    pub(crate) fn record(&mut self, value: i128, bound_bits: u32, table: bool) {
        let bits = bit_length(value.unsigned_abs()) + 1;
        let seen = if table { &mut self.ranges.table_bits } else { &mut self.ranges.value_bits };
        *seen = (*seen).max(bits);
        if bits > bound_bits {
            self.violate(|chip| Error::OutOfRange {
                node: chip.node.clone(),
                value,
                bound: 1i128 << (bound_bits - 1).min(126),
                scale: chip.q.scale,
            });
        }
    }

    /// Checks `|x| < 2^(bits-1)` in-circuit by splitting `x = y − z` with `y·z = 0` and both
    /// parts range-checked to `bits − 1` bits; returns `y`, the positive part (`relu(x)`), which
    /// is why a rescale followed by a ReLU costs no more than the rescale.
    ///
    /// `| x | z | 1 | y | z | y | y |` with gates `x + z·1 = y` and `y + z·y = y`.
    pub fn sign_split(&mut self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>) -> AssignedValue<Fr> {
        let v = from_field(x.value());
        self.record(v, self.q.bits, false);
        self.assign_split(ctx, x, v.max(0), v.saturating_neg().max(0))
    }

    /// Lays out `x = y − z`, `y·z = 0` and the parts' range checks for given witnesses.
    fn assign_split(&mut self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, y: i128, z: i128) -> AssignedValue<Fr> {
        ctx.assign_region([Existing(x), Witness(to_field(z)), Constant(Fr::ONE), Witness(to_field(y))], [0]);
        let (z, y) = (ctx.get(-3), ctx.get(-1));
        ctx.assign_region([Existing(z), Existing(y), Existing(y)], [-1]);
        let part_bits = (self.q.bits - 1) as usize;
        self.range.range_check(ctx, y, part_bits);
        self.range.range_check(ctx, z, part_bits);
        y
    }

    /// `(start + Σ aᵢ·bᵢ) / 2^shift`, rounded to nearest, as one chain of halo2-base's gate
    /// `a + b·c = d`:
    ///
    /// `| start | a₁ | b₁ | s₁ | … | s | q | −2^shift | r |`
    ///
    /// where the chain adds `2^(shift−1)` (as its start, or as a last term after `start`) and
    /// `s − q·2^shift = r` with `0 ≤ r < 2^shift`; `q` is sign-split, so it comes with its
    /// positive part. Sharing `s` between the sum and the division saves the copies that
    /// separate inner-product, add and divide steps cost.
    pub fn dot_rescale(
        &mut self,
        ctx: &mut Context<Fr>,
        start: Option<AssignedValue<Fr>>,
        mut terms: Vec<(QuantumCell<Fr>, QuantumCell<Fr>)>,
        shift: u32,
    ) -> Rescaled {
        let half = if shift == 0 { Fr::ZERO } else { to_field(1i128 << (shift - 1)) };
        let mut cells = Vec::with_capacity(3 * terms.len() + 5);
        let mut gates = Vec::with_capacity(terms.len() + 2);
        let mut sum = match start {
            Some(start) => {
                terms.push((Constant(half), Constant(Fr::ONE)));
                cells.push(Existing(start));
                *start.value()
            }
            None => {
                cells.push(Constant(half));
                half
            }
        };
        for (a, b) in terms {
            gates.push(cells.len() as isize - 1);
            sum += *a.value() * b.value();
            cells.extend([a, b, Witness(sum)]);
        }
        let s = from_field(&sum);
        let (q, r) = (s.div_euclid(1 << shift), s.rem_euclid(1 << shift));
        gates.push(cells.len() as isize - 1);
        cells.extend([Witness(to_field(q)), Constant(-to_field(1 << shift)), Witness(to_field(r))]);
        ctx.assign_region(cells, gates);
        let (q, r) = (ctx.get(-3), ctx.get(-1));
        self.range.range_check(ctx, r, shift as usize);
        let positive = self.sign_split(ctx, q);
        Rescaled { value: q, positive }
    }

    /// Checks `|v| < 2^(bits-1)`: among the weight rows where they have that width, otherwise
    /// by range-checking `v + 2^(bits-1)` to `bits` bits.
    pub fn check_signed(&mut self, ctx: &mut Context<Fr>, v: AssignedValue<Fr>, bits: u32) {
        if self.weight_bits == Some(bits) {
            self.weight_lookups.push(v);
        } else {
            let offset = self.gate().add(ctx, v, Constant(to_field(1i128 << (bits - 1))));
            self.range.range_check(ctx, offset, bits as usize);
        }
    }

    /// `⌊x · 2^shift / d⌋` for `0 < d < 2^d_bits` (a divisor outside is a violation):
    ///
    /// `| r | y | d | x·2^shift | x | −2^shift | 0 |` and `| t | r | 1 | d − 1 | 1 | 1 | d |`
    ///
    /// with gates `r + y·d = x·2^shift`, `x·2^shift − x·2^shift = 0`, `t + r = d − 1` and
    /// `(d − 1) + 1 = d`: `r` and `t = d − 1 − r` are range-checked to `d_bits` bits, so
    /// `0 ≤ r < d`, and `y` like every value, so nothing wraps around the modulus.
    pub fn divide(&mut self, ctx: &mut Context<Fr>, division: Division) -> AssignedValue<Fr> {
        let Division { x, d, shift, d_bits } = division;
        let (numerator, divisor) = (from_field(x.value()) << shift, from_field(d.value()));
        if divisor <= 0 {
            self.violate(|chip| Error::NonPositiveDivisor {
                node: chip.node.clone(),
                value: dequantize(divisor, chip.q.scale),
            });
        }
        self.record(divisor, d_bits + 1, false);
        let (y, r) = (numerator.div_euclid(divisor.max(1)), numerator.rem_euclid(divisor.max(1)));
        self.assign_division(ctx, division, to_field(y), to_field(r))
    }

    /// Lays out [`Self::divide`]'s constraints for given witnesses `y` and `r`.
    fn assign_division(&mut self, ctx: &mut Context<Fr>, division: Division, y: Fr, r: Fr) -> AssignedValue<Fr> {
        let Division { x, d, shift, d_bits } = division;
        let shift = to_field(1i128 << shift);
        let scaled = [Witness(*x.value() * shift), Existing(x), Constant(-shift), Constant(Fr::ZERO)];
        ctx.assign_region([Witness(r), Witness(y), Existing(d)].into_iter().chain(scaled), [0, 3]);
        let (r, y) = (ctx.get(-7), ctx.get(-6));
        let below = *d.value() - Fr::ONE;
        let one = Constant(Fr::ONE);
        ctx.assign_region(
            [Witness(below - r.value()), Existing(r), one, Witness(below), one, one, Existing(d)],
            [0, 3],
        );
        let t = ctx.get(-7);
        self.range.range_check(ctx, r, d_bits as usize);
        self.range.range_check(ctx, t, d_bits as usize);
        self.sign_split(ctx, y);
        y
    }

    /// Records the layout's violation, unless an earlier one was found: the first value outside
    /// what the circuit proves is the one reported.
    fn violate(&mut self, error: impl FnOnce(&Self) -> Error) {
        if self.violation.is_none() {
            self.violation = Some(error(self));
        }
    }

    /// Lays out `n · 2^scale = x` for the unscaled witness `n`, and returns `n`'s cell.
    fn unscaled(&self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, n: Fr) -> AssignedValue<Fr> {
        let one = Constant(to_field(1i128 << self.q.scale));
        ctx.assign_region([Constant(Fr::ZERO), Witness(n), one, Existing(x)], [0]);
        ctx.get(-3)
    }

    /// `x` as a constrained bit `b` with `b · 2^scale = x`, for an `x` that must be 0 or 1 at the
    /// activation scale: element `position` of boolean input `input`. Any other value is recorded
    /// as a violation, so it is refused before proving.
    pub fn to_boolean(
        &mut self,
        ctx: &mut Context<Fr>,
        x: AssignedValue<Fr>,
        input: &str,
        position: usize,
    ) -> AssignedValue<Fr> {
        let one = 1i128 << self.q.scale;
        let v = from_field(x.value());
        if v != 0 && v != one {
            self.violate(|chip| Error::NotBoolean {
                input: input.into(),
                position,
                value: dequantize(v, chip.q.scale),
            });
        }
        let b = self.unscaled(ctx, x, Fr::from(u64::from(v == one)));
        self.gate().assert_bit(ctx, b);
        b
    }

    /// Constrains `x` to a whole number at the activation scale, `x = n · 2^scale` with `n`
    /// bounded by `|n| < 2^(bits-1-scale)` (else `n` could be any field element): element
    /// `position` of integer input `input`. Any other value is recorded as a violation.
    pub fn assert_integer(&mut self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, input: &str, position: usize) {
        let scale = self.q.scale;
        let v = from_field(x.value());
        if v.rem_euclid(1 << scale) != 0 {
            self.violate(|_| Error::NotInteger { input: input.into(), position, value: dequantize(v, scale) });
        }
        let n = self.unscaled(ctx, x, to_field(v >> scale));
        let bits = self.q.bits - scale;
        self.record(from_field(n.value()), bits, false);
        self.check_signed(ctx, n, bits);
    }

    /// `x / d` for integers at the activation scale, truncated toward zero: `⌊|x| / d⌋` with
    /// `x`'s sign, for `d > 0` (a divisor that is not is a violation).
    pub fn divide_integers(
        &mut self,
        ctx: &mut Context<Fr>,
        x: AssignedValue<Fr>,
        d: AssignedValue<Fr>,
    ) -> AssignedValue<Fr> {
        let non_negative = self.is_non_negative(ctx, x);
        let minus_x = self.gate().neg(ctx, x);
        let magnitude = self.gate().select(ctx, x, minus_x, non_negative);
        // The quotient of the scaled values, x·2^s / d·2^s, is the integers' one.
        let quotient = self.divide(ctx, Division { x: magnitude, d, shift: 0, d_bits: self.q.bits - 1 });
        let scaled = self.gate().mul(ctx, quotient, Constant(to_field(1i128 << self.q.scale)));
        let minus = self.gate().neg(ctx, scaled);
        self.gate().select(ctx, scaled, minus, non_negative)
    }

    /// A bit that is 1 iff `x ≥ 0`, for `|x| < 2^(bits-1)`.
    pub fn is_non_negative(&mut self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>) -> AssignedValue<Fr> {
        let non_negative = from_field(x.value()) >= 0;
        let b = ctx.load_witness(Fr::from(non_negative as u64));
        self.gate().assert_bit(ctx, b);
        // b = 1: x ∈ [0, 2^(bits-1)); b = 0: −x−1 ∈ [0, 2^(bits-1)). A wrong bit leaves a negative
        // (huge) field element, which fails the range check.
        let minus_x_minus_1 = self.gate().sub(ctx, Constant(-Fr::ONE), x);
        let t = self.gate().select(ctx, x, minus_x_minus_1, b);
        self.record(from_field(t.value()), self.q.bits - 1, false);
        self.range.range_check(ctx, t, (self.q.bits - 1) as usize);
        b
    }

    /// `max(a, b)` (or `min` when `max` is false): `b + relu(a − b)` (or `a − relu(a − b)`).
    pub fn max_min(
        &mut self,
        ctx: &mut Context<Fr>,
        a: AssignedValue<Fr>,
        b: AssignedValue<Fr>,
        max: bool,
    ) -> AssignedValue<Fr> {
        let d = self.gate().sub(ctx, a, b);
        let relu = self.sign_split(ctx, d);
        if max {
            self.gate().add(ctx, b, relu)
        } else {
            self.gate().sub(ctx, a, relu)
        }
    }

    /// Bits `x == v` for each whole number `v < n` at the activation scale, constrained to sum to
    /// 1: the one-hot form of an index. An index outside is a violation.
    pub fn one_hot(&mut self, ctx: &mut Context<Fr>, x: AssignedValue<Fr>, n: usize) -> Vec<AssignedValue<Fr>> {
        let value = from_field(x.value());
        let in_range = value.rem_euclid(1 << self.q.scale) == 0 && (0..n as i128).contains(&(value >> self.q.scale));
        if !in_range {
            self.violate(|chip| Error::IndexOutOfRange {
                node: chip.node.clone(),
                value: dequantize(value, chip.q.scale),
                len: n,
            });
        }
        let bits: Vec<_> =
            (0..n).map(|v| self.gate().is_equal(ctx, x, Constant(to_field((v as i128) << self.q.scale)))).collect();
        let sum = self.gate().sum(ctx, bits.iter().copied());
        self.gate().assert_is_const(ctx, &sum, &Fr::ONE);
        bits
    }

    /// `old`, or the update of the one write among `hits` (condition bit, update) whose bit is
    /// set: `old − hit·old + Σ bit·update`, with `hit = Σ bit` constrained to be a bit. Two
    /// writes at `position` are a violation.
    pub fn scatter(
        &mut self,
        ctx: &mut Context<Fr>,
        old: AssignedValue<Fr>,
        hits: &[(AssignedValue<Fr>, AssignedValue<Fr>)],
        position: usize,
    ) -> AssignedValue<Fr> {
        let hit = self.gate().sum(ctx, hits.iter().map(|&(bit, _)| bit));
        if *hit.value() != Fr::ZERO && *hit.value() != Fr::ONE {
            self.violate(|chip| Error::IndexCollision { node: chip.node.clone(), position });
        }
        self.gate().assert_bit(ctx, hit);
        let kept = self.gate().mul_not(ctx, hit, old);
        let bits = hits.iter().map(|&(bit, _)| Existing(bit));
        let written = self.gate().inner_product(ctx, bits, hits.iter().map(|&(_, update)| Existing(update)));
        self.gate().add(ctx, kept, written)
    }

    /// Queues `y = f_table(x)` for lookup among the rows of function `table`, and returns `y`'s
    /// cell. The key is a copy of `x` with `y` right after it, so that a single gate column can
    /// look both up in place. The rows of each function are a kind of their own, so the lookup
    /// binds `x` to that function's domain whatever value a prover writes.
    pub fn lookup(&mut self, ctx: &mut Context<Fr>, table: usize, x: AssignedValue<Fr>, y: i128) -> AssignedValue<Fr> {
        self.record(from_field(x.value()), self.q.table_bits.max(1), true);
        self.record(y, self.q.bits, false);
        ctx.assign_region([Existing(x), Witness(to_field(y))], []);
        let (key, value) = (ctx.get(-2), ctx.get(-1));
        self.lookups.push(FunctionLookup { table, key, value });
        value
    }
}

/// A lookup of `value = f_table(key)`.
#[derive(Clone, Copy, Debug)]
pub struct FunctionLookup {
    pub table: usize,
    pub key: AssignedValue<Fr>,
    pub value: AssignedValue<Fr>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use halo2_base::gates::circuit::{builder::BaseCircuitBuilder, CircuitBuilderStage};
    use halo2_base::halo2_proofs::dev::MockProver;

    pub(crate) const K: usize = 10;
    /// Width of the test table's weight rows.
    const WEIGHT_BITS: u32 = 5;

    pub(crate) fn chip_and_builder() -> (BaseCircuitBuilder<Fr>, FixedPointChip) {
        let builder = BaseCircuitBuilder::from_stage(CircuitBuilderStage::Mock)
            .use_k(K)
            .use_lookup_bits(K - 1)
            .use_instance_columns(1);
        let chip = FixedPointChip::new(K - 2, Some(WEIGHT_BITS), Quantization { scale: 4, bits: 12, table_bits: 0 });
        (builder, chip)
    }

    /// Whether the chip's layout satisfies every constraint, its range lookups included.
    pub(crate) fn mock_ok(builder: BaseCircuitBuilder<Fr>, chip: FixedPointChip) -> bool {
        mock_ok_with_functions(builder, chip, &[]).0
    }

    /// [`mock_ok`] with `functions` as the function rows of the lookup table; also whether the
    /// circuit looked its cells up in place.
    fn mock_ok_with_functions(
        mut builder: BaseCircuitBuilder<Fr>,
        chip: FixedPointChip,
        functions: &[[Fr; 3]],
    ) -> (bool, bool) {
        let range_lookups = chip.take_range_lookups();
        let (ranges, weights) = (range_lookups.len() + chip.weight_lookups.len(), chip.weight_bits);
        let params = super::super::size_params(&mut builder, ranges, chip.lookups.len(), weights, &chip.hashes);
        let circuit = super::super::ModelCircuit {
            builder,
            params,
            table: super::super::lookup_table(K - 2, weights, functions),
            range_lookups,
            weight_lookups: chip.weight_lookups,
            lookups: chip.lookups,
            hashes: chip.hashes,
        };
        let in_place = circuit.params.in_place();
        (MockProver::run(K as u32, &circuit, vec![vec![]]).unwrap().verify().is_ok(), in_place)
    }

    #[test]
    fn range_checks_accept_in_range_values_and_reject_others() {
        // 5 bits: one limb, looked up shifted; 14 bits: two limbs of 8 with a shifted last one.
        for (bits, value, ok) in [(5, 31i128, true), (5, 32, false), (14, (1 << 14) - 1, true), (14, 1 << 14, false)] {
            let (mut builder, chip) = chip_and_builder();
            let ctx = builder.main(0);
            let a = ctx.load_witness(to_field(value));
            chip.range.range_check(ctx, a, bits);
            assert_eq!(mock_ok(builder, chip), ok, "{value} in {bits} bits");
        }
    }

    #[test]
    fn signed_checks_use_the_weight_rows_at_their_width_and_range_checks_otherwise() {
        // At the weight rows' width, [-16, 16) is one lookup; at 6 bits, [-32, 32) is an offset
        // range check.
        for (bits, value, ok) in [(5, -16i128, true), (5, 15, true), (5, 16, false), (5, -17, false), (6, 31, true)]
            .into_iter()
            .chain([(6, -32, true), (6, 32, false), (6, -33, false)])
        {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let v = ctx.load_witness(to_field(value));
            chip.check_signed(ctx, v, bits);
            assert_eq!(chip.weight_lookups.len(), usize::from(bits == WEIGHT_BITS));
            assert_eq!(mock_ok(builder, chip), ok, "{value} in {bits} signed bits");
        }
    }

    #[test]
    fn weight_and_range_lookups_match_only_their_own_rows() {
        // 20 is a range row but no weight; −1 is a weight row but no range row. A circuit wider
        // than one column copies the looked-up cells to columns of their own.
        let cases = [(20i128, false, true), (20, true, false), (-1, true, true), (-1, false, false)];
        for ((value, weight, ok), wide) in cases.into_iter().flat_map(|case| [(case, false), (case, true)]) {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            if wide {
                ctx.assign_witnesses((0..1 << K).map(Fr::from));
            }
            let v = ctx.load_witness(to_field(value));
            if weight {
                chip.weight_lookups.push(v);
            } else {
                chip.range.range_check(ctx, v, K - 2);
            }
            let (satisfied, in_place) = mock_ok_with_functions(builder, chip, &[]);
            assert_eq!(in_place, !wide);
            assert_eq!(satisfied, ok, "{value} as a weight: {weight}, wide: {wide}");
        }
    }

    #[test]
    fn function_lookups_match_only_their_own_functions_rows() {
        // Function 0 is f(x) = 2x and function 1 is g(x) = x + 100, both on [-4, 4).
        let functions = crate::circuit::functions::FunctionTable {
            bits: 3,
            values: vec![(-4..4).map(|x| Some(2 * x)).collect(), (-4..4).map(|x| Some(x + 100)).collect()],
        };
        let rows = functions.rows();
        // An honest lookup; a wrong value; g's row claimed as f's value (the aliasing of one
        // function's table by another); an input outside the domain, claiming f's formula or
        // a range row's value, 0; and the old tagged key, x + 2^40, which is no key at all.
        let cases = [(0, 3i128, 6i128, true), (1, 3, 103, true), (0, 3, 7, false), (0, 3, 103, false)]
            .into_iter()
            .chain([(0, 5, 10, false), (0, 5, 0, false), (0, 3 + (1 << 40), 6, false)]);
        for ((table, x, y, ok), wide) in cases.flat_map(|case| [(case, false), (case, true)]) {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            if wide {
                ctx.assign_witnesses((0..1 << K).map(Fr::from));
            }
            let x = ctx.load_witness(to_field(x));
            chip.lookup(ctx, table, x, y);
            let (satisfied, in_place) = mock_ok_with_functions(builder, chip, &rows);
            assert_eq!(in_place, !wide);
            assert_eq!(satisfied, ok, "f{table}({x:?}) = {y}, wide: {wide}");
        }
    }

    #[test]
    fn rescale_rounds_to_nearest_and_satisfies_constraints() {
        for (x, expected) in [(40i128, 3i128), (-40, -2), (7, 0), (8, 1), (-8, 0), (-9, -1)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(x));
            let q = chip.dot_rescale(ctx, Some(x), vec![], 4).value;
            assert_eq!(from_field(q.value()), expected);
            assert!(chip.violation.is_none());
            assert!(mock_ok(builder, chip));
        }
    }

    #[test]
    fn a_wrong_rescale_witness_violates_constraints() {
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let x = ctx.load_witness(to_field(40));
        let q = chip.dot_rescale(ctx, Some(x), vec![], 4).value;
        // Tamper with the quotient after the fact: q = 4 instead of 3.
        let tampered = q.cell.unwrap().offset;
        ctx.advice[tampered] = halo2_base::halo2_proofs::plonk::Assigned::Trivial(to_field(4));
        assert!(!mock_ok(builder, chip));
    }

    #[test]
    fn a_boolean_input_is_a_bit_tied_to_its_number() {
        // Scale 2^4: 0 and 16 are false and true; 8 (one half) is no boolean.
        for (x, bit) in [(0i128, Some(0)), (16, Some(1)), (8, None)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(x));
            let b = chip.to_boolean(ctx, x, "input", 3);
            match bit {
                Some(bit) => {
                    assert_eq!(from_field(b.value()), bit);
                    assert!(chip.violation.is_none());
                    assert!(mock_ok(builder, chip));
                }
                None => {
                    let violation = chip.violation.take();
                    assert!(matches!(violation, Some(Error::NotBoolean { position: 3, value: 0.5, .. })));
                    assert!(!mock_ok(builder, chip));
                }
            }
        }
        // The bit must match the number: true claimed for 0 violates the constraints.
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let x = ctx.load_witness(Fr::ZERO);
        let b = chip.to_boolean(ctx, x, "input", 0);
        ctx.advice[b.cell.unwrap().offset] = halo2_base::halo2_proofs::plonk::Assigned::Trivial(Fr::ONE);
        assert!(!mock_ok(builder, chip));
    }

    #[test]
    fn an_integer_input_is_a_bounded_whole_number() {
        // Scale 2^4, 12 bits: 2 and −3 are whole; 1.5 is not; 2^7 is out of the 12 − 4 bits.
        for (value, ok) in [(32i128, true), (-48, true), (24, false), (1 << 11, false)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(value));
            chip.assert_integer(ctx, x, "input", 0);
            assert_eq!(chip.violation.is_none(), ok, "{value}");
            assert_eq!(mock_ok(builder, chip), ok, "{value}");
        }
    }

    #[test]
    fn integer_division_truncates_toward_zero() {
        // At scale 2^4: 7 / 2 = 3, −7 / 2 = −3 (not ⌊−3.5⌋ = −4), −8 / 2 = −4, 1 / 3 = 0.
        for (x, d, expected) in [(7i128, 2i128, 3i128), (-7, 2, -3), (-8, 2, -4), (1, 3, 0)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let (x, d) = (ctx.load_witness(to_field(x << 4)), ctx.load_witness(to_field(d << 4)));
            let q = chip.divide_integers(ctx, x, d);
            assert_eq!(from_field(q.value()), expected << 4);
            assert!(chip.violation.is_none());
            assert!(mock_ok(builder, chip));
        }
    }

    #[test]
    fn dot_rescale_sums_adds_the_bias_and_rounds() {
        // (3·5 + (−2)·7 + 9) / 2^4 = 10 / 16 → 1 (nearest); without bias 1 / 16 → 0.
        for (bias, expected) in [(Some(9i128), 1i128), (None, 0)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let cells: Vec<_> = ctx.assign_witnesses([3, 5, -2, 7].map(to_field));
            let bias = bias.map(|b| ctx.load_witness(to_field(b)));
            let terms = vec![(Existing(cells[0]), Existing(cells[1])), (Existing(cells[2]), Existing(cells[3]))];
            let out = chip.dot_rescale(ctx, bias, terms, 4);
            assert_eq!(from_field(out.value.value()), expected);
            assert_eq!(from_field(out.positive.value()), expected.max(0));
            assert!(mock_ok(builder, chip));
        }
    }

    #[test]
    fn division_floors_and_a_wrong_quotient_or_remainder_violates_constraints() {
        // ⌊x · 2^4 / d⌋ for d < 2^6.
        for (x, d, expected) in [(3i128, 7i128, 6i128), (7, 7, 16), (0, 5, 0), (-3, 7, -7), (1, 63, 0)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let (x, d) = (ctx.load_witness(to_field(x)), ctx.load_witness(to_field(d)));
            let y = chip.divide(ctx, Division { x, d, shift: 4, d_bits: 6 });
            assert_eq!(from_field(y.value()), expected);
            assert!(mock_ok(builder, chip));
        }
        // A divisor that is not positive, or too wide, is refused before proving.
        for (d, zero_or_less) in [(0i128, true), (-7, true), (64, false)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let (x, d) = (ctx.load_witness(to_field(3)), ctx.load_witness(to_field(d)));
            chip.divide(ctx, Division { x, d, shift: 4, d_bits: 6 });
            match chip.violation {
                Some(Error::NonPositiveDivisor { .. }) => assert!(zero_or_less),
                Some(Error::OutOfRange { .. }) => assert!(!zero_or_less),
                ref other => panic!("{other:?}"),
            }
        }
        // 3·16 = 6·7 + 6. One less leaves a remainder of 13 ≥ d; one more, −1 < 0: both satisfy
        // the gates, not the range checks. So does a remainder of 0 with y = 48/7 in the field,
        // which only y's own range check catches.
        let seventh = Fr::from(48) * Fr::from(7).invert().unwrap();
        for (y, r, valid) in
            [(to_field(6), 6, true), (to_field(5), 13, false), (to_field(7), -1, false), (seventh, 0, false)]
        {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let (x, d) = (ctx.load_witness(to_field(3)), ctx.load_witness(to_field(7)));
            chip.assign_division(ctx, Division { x, d, shift: 4, d_bits: 6 }, y, to_field(r));
            assert_eq!(mock_ok(builder, chip), valid, "y = {y:?}, r = {r}");
        }
    }

    #[test]
    fn the_sign_split_is_relu_and_a_wrong_split_violates_constraints() {
        for x in [-300i128, -1, 0, 1, 300] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(x));
            let y = chip.sign_split(ctx, x);
            assert_eq!(from_field(y.value()), from_field(x.value()).max(0));
            assert!(mock_ok(builder, chip));
        }
        // x = 5 split as y = 6, z = 1 satisfies x + z = y and the range checks, but not y·z = 0.
        for ((y, z), valid) in [((5, 0), true), ((6, 1), false)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(5));
            chip.assign_split(ctx, x, y, z);
            assert_eq!(mock_ok(builder, chip), valid);
        }
    }

    #[test]
    fn one_hot_marks_whole_indices_and_refuses_others() {
        // Scale 4: the index v is 16·v. 48 is 3, outside 0..3; 24 is 1.5; −16 is −1.
        for (x, hot) in [(0i128, Some(0)), (16, Some(1)), (32, Some(2)), (48, None), (24, None), (-16, None)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let x = ctx.load_witness(to_field(x));
            let bits = chip.one_hot(ctx, x, 3);
            let expected: Vec<_> = (0..3).map(|v| Fr::from(Some(v) == hot)).collect();
            assert_eq!(bits.iter().map(|b| *b.value()).collect::<Vec<_>>(), expected);
            assert_eq!(matches!(chip.violation, Some(Error::IndexOutOfRange { len: 3, .. })), hot.is_none());
            // Outside the range no bit is set, so the bits' sum is not 1.
            assert_eq!(mock_ok(builder, chip), hot.is_some(), "{x:?}");
        }
        // A second bit set for index 1 breaks its equality check.
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let x = ctx.load_witness(to_field(16));
        let bits = chip.one_hot(ctx, x, 3);
        let tampered = bits[2].cell.unwrap().offset;
        ctx.advice[tampered] = halo2_base::halo2_proofs::plonk::Assigned::Trivial(Fr::ONE);
        assert!(!mock_ok(builder, chip));
    }

    #[test]
    fn scatter_writes_the_one_update_that_hits_and_refuses_two() {
        // Bits (hits) of two writes at one position: none keeps the old value, one writes its
        // update, two are a collision.
        for (bits, expected) in [([0u64, 0], Some(7i128)), ([1, 0], Some(-3)), ([0, 1], Some(11)), ([1, 1], None)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let old = ctx.load_witness(to_field(7));
            let updates = [-3, 11].map(|u| ctx.load_witness(to_field(u)));
            let hits: Vec<_> = bits.iter().zip(updates).map(|(&b, u)| (ctx.load_witness(Fr::from(b)), u)).collect();
            let out = chip.scatter(ctx, old, &hits, 4);
            match expected {
                Some(value) => assert_eq!(from_field(out.value()), value),
                None => assert!(matches!(chip.violation, Some(Error::IndexCollision { position: 4, .. }))),
            }
            assert_eq!(mock_ok(builder, chip), expected.is_some(), "{bits:?}");
        }
        // A result that is not the written update breaks the constraints.
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let (old, update, bit) =
            (ctx.load_witness(to_field(7)), ctx.load_witness(to_field(-3)), ctx.load_witness(Fr::ONE));
        let out = chip.scatter(ctx, old, &[(bit, update)], 0);
        ctx.advice[out.cell.unwrap().offset] = halo2_base::halo2_proofs::plonk::Assigned::Trivial(to_field(7));
        assert!(!mock_ok(builder, chip));
    }

    #[test]
    fn max_and_min_of_signed_values() {
        for (a, b) in [(5i128, -3i128), (-7, -2), (0, 0), (-100, 100)] {
            let (mut builder, mut chip) = chip_and_builder();
            let ctx = builder.main(0);
            let (ax, bx) = (ctx.load_witness(to_field(a)), ctx.load_witness(to_field(b)));
            let max = chip.max_min(ctx, ax, bx, true);
            let min = chip.max_min(ctx, ax, bx, false);
            assert_eq!(from_field(max.value()), a.max(b));
            assert_eq!(from_field(min.value()), a.min(b));
            assert!(mock_ok(builder, chip));
        }
    }

    #[test]
    fn out_of_range_values_are_reported() {
        let (mut builder, mut chip) = chip_and_builder();
        let ctx = builder.main(0);
        let x = ctx.load_witness(to_field(1 << 20));
        chip.dot_rescale(ctx, Some(x), vec![], 4);
        assert!(matches!(chip.violation, Some(Error::OutOfRange { .. })));
    }
}
