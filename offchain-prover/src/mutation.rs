//! Witness mutation: the malicious prover as a test. An honest witness of a model circuit is
//! changed one used advice cell at a time and MockProver must reject every change; a change it
//! accepts is a cell that no constraint holds, which a prover could set to anything.
//!
//! What is changed:
//! - a cell of the gate columns (every cell the layout assigned is used), to its value ± 1, its
//!   negation or a random field element;
//! - where lookups are copied to columns of their own, a copy (range or weight check, a
//!   function lookup's key or value) or a Poseidon input, which are cells of their own there;
//! - a function lookup, consistently: its key and value (and their copies) together become
//!   another row of the same function, so that the lookup itself still holds and only the
//!   constraints around it can catch the change.
//!
//! One class of cells is free by design and reported apart: a hint that enters a single gate
//! `a + b·c = d` as `c` while its `b` is zero, and nothing else. halo2-base's `is_zero` leaves
//! the inverse of its input so when the input is zero (`is_zero + a·inv = 1` with `a = 0`): any
//! value satisfies the gate and none reaches another cell.

use std::path::Path;

use halo2_base::halo2_proofs::dev::MockProver;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::halo2_proofs::plonk::Assigned;
use halo2_base::AssignedValue;
use rand_chacha::rand_core::RngCore;
use serde::Serialize;

use zkml_circuit::api::Compiled;
use zkml_circuit::circuit::functions::FunctionTable;
use zkml_circuit::circuit::{Built, ModelCircuit};
use zkml_circuit::input::InputData;
use zkml_circuit::quantize::to_field;
use zkml_circuit::Visibility;

use zkml_circuit::error::Result;

/// One change to an honest witness.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Mutation {
    /// Cell `offset` of the gate columns' context.
    Cell { offset: usize },
    /// The copy of the `index`th range or weight check in the range columns.
    RangeCopy { index: usize },
    /// Input `input` of hash `hash`, as copied into the Poseidon region.
    HashInput { hash: usize, input: usize },
    /// Function lookup `index`, moved to another row of its function.
    Lookup { index: usize },
}

/// What a campaign tried and what it found.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub tried: usize,
    pub rejected: usize,
    /// Mutations MockProver accepted of cells that are free by design (see the module's doc).
    pub free_by_design: usize,
    /// Mutations MockProver accepted otherwise: each is a cell no constraint holds, a finding.
    pub accepted: Vec<Mutation>,
}

impl Report {
    pub fn merge(&mut self, other: Report) {
        self.tried += other.tried;
        self.rejected += other.rejected;
        self.free_by_design += other.free_by_design;
        self.accepted.extend(other.accepted);
    }
}

/// Whether the circuit's witness satisfies every constraint for `instances`.
pub fn satisfied(circuit: &ModelCircuit, instances: &[Fr]) -> bool {
    let prover = MockProver::run(circuit.params.k(), circuit, vec![instances.to_vec()]);
    prover.expect("a laid-out circuit synthesizes").verify().is_ok()
}

/// Compiles the corpus model in `model_dir` (its `network.onnx` and `input.json`) into `work`
/// and tries `count` mutations of the honest witnesses of its circuits on that input, half of
/// them with a public input and half with a private one.
pub fn campaign(model_dir: &Path, work: &Path, count: usize, rng: &mut impl RngCore) -> Result<Report> {
    let (compiled, input) = compile(model_dir, work)?;
    let mut report = Report::default();
    for (visibility, count) in [(Visibility::Public, count - count / 2), (Visibility::Private, count / 2)] {
        let mut built = honest(&compiled, &input, visibility)?;
        report.merge(run(&mut built, compiled.functions(), count, rng));
    }
    Ok(report)
}

/// The corpus model in `model_dir` compiled into `work`, with its `input.json`.
pub fn compile(model_dir: &Path, work: &Path) -> Result<(Compiled, InputData)> {
    let input = InputData::load(&model_dir.join("input.json"))?;
    crate::api::compile(&model_dir.join("network.onnx"), &input, work)?;
    Ok((Compiled::load(work)?, input))
}

/// `visibility`'s circuit of `compiled` laid out with constraints and the honest witness of
/// `input`.
pub fn honest(compiled: &Compiled, input: &InputData, visibility: Visibility) -> Result<Built> {
    let stage = halo2_base::gates::circuit::CircuitBuilderStage::Mock;
    compiled.build(stage, visibility, input, Fr::from(7), Fr::from(11))
}

/// Tries `count` random mutations of `built`'s honest witness, one at a time, each undone before
/// the next. `functions` is the model's function table, for consistent lookup mutations. Panics
/// if the honest witness itself is not satisfied: there would be nothing to learn.
pub fn run(built: &mut Built, functions: &FunctionTable, count: usize, rng: &mut impl RngCore) -> Report {
    assert!(satisfied(&built.circuit, &built.laid.instances), "the honest witness does not satisfy the circuit");
    let mut report = Report::default();
    for _ in 0..count {
        let Some(mutation) = pick(&built.circuit, rng) else { break };
        report.tried += 1;
        if !accepts(built, mutation, functions, rng) {
            report.rejected += 1;
        } else if matches!(mutation, Mutation::Cell { offset } if free_by_design(&built.circuit, offset)) {
            report.free_by_design += 1;
        } else {
            report.accepted.push(mutation);
        }
    }
    report
}

/// Whether MockProver accepts `built`'s witness with `mutation` applied (to a new value drawn
/// from `rng`) for the honest instances. The witness is honest again afterwards.
pub fn accepts(built: &mut Built, mutation: Mutation, functions: &FunctionTable, rng: &mut impl RngCore) -> bool {
    let undo = apply(&mut built.circuit, mutation, functions, rng);
    let accepted = satisfied(&built.circuit, &built.laid.instances);
    undo.restore(&mut built.circuit);
    accepted
}

/// Whether gate cell `offset` is free by design: the `c` of one gate `a + b·c = d` whose `b` is
/// zero, in no other gate, copy or lookup.
pub fn free_by_design(circuit: &ModelCircuit, offset: usize) -> bool {
    let Some(ctx) = circuit.builder.core().phase_manager[0].threads.first() else { return false };
    let starts = |i: Option<usize>| i.and_then(|i| ctx.selector.get(i).copied()).unwrap_or(false);
    let (Some(start), Some(b)) = (offset.checked_sub(2), offset.checked_sub(1)) else { return false };
    // The one gate, as `c`; none as `d`, `b` or `a`.
    if !starts(Some(start)) || [offset.checked_sub(3), Some(b), Some(offset)].into_iter().any(starts) {
        return false;
    }
    if ctx.advice[b].evaluate() != Fr::ZERO {
        return false;
    }
    let is_cell = |cell: &halo2_base::ContextCell| cell.context_id == ctx.id() && cell.offset == offset;
    let copies = circuit.builder.core().copy_manager.lock().expect("copy manager");
    let copied = copies.advice_equalities.iter().any(|(l, r)| is_cell(l) || is_cell(r))
        || copies.constant_equalities.iter().any(|(_, cell)| is_cell(cell));
    let looked_up = |v: &AssignedValue<Fr>| v.cell.as_ref().is_some_and(is_cell);
    let lookups = circuit.lookups.iter().flat_map(|l| [l.key, l.value]);
    let looked_up =
        circuit.range_lookups.iter().chain(&circuit.weight_lookups).copied().chain(lookups).any(|v| looked_up(&v));
    !copied && !looked_up
}

/// A random mutation: lookups and copies where the circuit has them, cells otherwise.
fn pick(circuit: &ModelCircuit, rng: &mut impl RngCore) -> Option<Mutation> {
    let cells = circuit.builder.core().phase_manager[0].threads.iter().map(|ctx| ctx.advice.len()).sum::<usize>();
    let below = |rng: &mut dyn RngCore, n: usize| (rng.next_u64() % n as u64) as usize;
    let copied = !circuit.params.in_place();
    let ranges = circuit.range_lookups.len() + circuit.weight_lookups.len();
    let lookups = !circuit.lookups.is_empty();
    let hashes: usize = circuit.hashes.iter().map(|h| h.inputs.len()).sum();
    for _ in 0..16 {
        let mutation = match below(rng, 4) {
            1 if lookups => Mutation::Lookup { index: below(rng, circuit.lookups.len()) },
            2 if copied && ranges > 0 => Mutation::RangeCopy { index: below(rng, ranges) },
            3 if copied && hashes > 0 => {
                let hash = below(rng, circuit.hashes.len());
                Mutation::HashInput { hash, input: below(rng, circuit.hashes[hash].inputs.len()) }
            }
            _ if cells > 0 => Mutation::Cell { offset: below(rng, cells) },
            _ => continue,
        };
        return Some(mutation);
    }
    None
}

/// What to put back after a mutation.
enum Undo {
    Cells(Vec<(usize, Assigned<Fr>)>),
    RangeCopy(usize, AssignedValue<Fr>),
    HashInput(usize, usize, AssignedValue<Fr>),
    Lookup(usize, [AssignedValue<Fr>; 2], Vec<(usize, Assigned<Fr>)>),
}

impl Undo {
    fn restore(self, circuit: &mut ModelCircuit) {
        let restore_cells = |circuit: &mut ModelCircuit, cells: Vec<(usize, Assigned<Fr>)>| {
            let ctx = circuit.builder.main(0);
            for (offset, value) in cells {
                ctx.advice[offset] = value;
            }
        };
        match self {
            Undo::Cells(cells) => restore_cells(circuit, cells),
            Undo::RangeCopy(index, cell) => *range_copy(circuit, index) = cell,
            Undo::HashInput(hash, input, cell) => circuit.hashes[hash].inputs[input] = cell,
            Undo::Lookup(index, [key, value], cells) => {
                circuit.lookups[index].key = key;
                circuit.lookups[index].value = value;
                restore_cells(circuit, cells);
            }
        }
    }
}

fn range_copy(circuit: &mut ModelCircuit, index: usize) -> &mut AssignedValue<Fr> {
    let weights = circuit.weight_lookups.len();
    if index < weights {
        &mut circuit.weight_lookups[index]
    } else {
        &mut circuit.range_lookups[index - weights]
    }
}

/// Another value than `v`: `v ± 1`, `−v` or a random field element.
fn other_value(v: Fr, rng: &mut impl RngCore) -> Fr {
    loop {
        let other = match rng.next_u32() % 4 {
            0 => v + Fr::ONE,
            1 => v - Fr::ONE,
            2 => -v,
            _ => Fr::random(&mut *rng),
        };
        if other != v {
            return other;
        }
    }
}

fn apply(circuit: &mut ModelCircuit, mutation: Mutation, functions: &FunctionTable, rng: &mut impl RngCore) -> Undo {
    let changed = |cell: &AssignedValue<Fr>, value: Fr| AssignedValue { value: Assigned::Trivial(value), ..*cell };
    match mutation {
        Mutation::Cell { offset } => {
            let ctx = circuit.builder.main(0);
            let original = ctx.advice[offset];
            ctx.advice[offset] = Assigned::Trivial(other_value(original.evaluate(), rng));
            Undo::Cells(vec![(offset, original)])
        }
        Mutation::RangeCopy { index } => {
            let copy = range_copy(circuit, index);
            let original = *copy;
            *copy = changed(copy, other_value(*copy.value(), rng));
            Undo::RangeCopy(index, original)
        }
        Mutation::HashInput { hash, input } => {
            let cell = &mut circuit.hashes[hash].inputs[input];
            let original = *cell;
            *cell = changed(cell, other_value(*cell.value(), rng));
            Undo::HashInput(hash, input, original)
        }
        Mutation::Lookup { index } => {
            let lookup = circuit.lookups[index];
            let (key, value) = another_row(functions, lookup.table, *lookup.key.value(), rng);
            circuit.lookups[index].key = changed(&lookup.key, key);
            circuit.lookups[index].value = changed(&lookup.value, value);
            let ctx = circuit.builder.main(0);
            let mut cells = vec![];
            for (cell, new) in [(lookup.key, key), (lookup.value, value)] {
                let offset = cell.cell.expect("a lookup's cells are laid out").offset;
                cells.push((offset, ctx.advice[offset]));
                ctx.advice[offset] = Assigned::Trivial(new);
            }
            Undo::Lookup(index, [lookup.key, lookup.value], cells)
        }
    }
}

/// A row `(x, f(x))` of function `table` with another `x` than `key`, or `(key + 1, 0)` where the
/// function has no other row.
fn another_row(functions: &FunctionTable, table: usize, key: Fr, rng: &mut impl RngCore) -> (Fr, Fr) {
    let rows: Vec<(Fr, Fr)> = functions.points(table).map(|(x, y)| (to_field(x), to_field(y as i128))).collect();
    if rows.len() < 2 {
        return (key + Fr::ONE, Fr::ZERO);
    }
    let i = (rng.next_u64() % rows.len() as u64) as usize;
    // Rows have distinct keys, so the next one differs where this one is the key.
    if rows[i].0 == key {
        rows[(i + 1) % rows.len()]
    } else {
        rows[i]
    }
}
