//! Indices computed at run time: writes (`ScatterElements` and `ScatterNd` without a reduction,
//! lowered to [`Op::Scatter`]) and reads by tuples (`GatherNd`, lowered to [`Op::Pick`]). Where
//! each element may go, or come from, follows from ONNX's definitions of the operators; the
//! lowering is then checked against tract on every rotation of a probe whose indices do not
//! collide, so a misread operator is an error rather than a wrong circuit.

use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::array::{GatherNd, ScatterElements, ScatterNd, ScatterReduction};

use super::{eval, shape_of, to_f32s, unsupported, Lowering, MAX_INDEX_PROBES};
use zkml_circuit::error::Result;
use zkml_circuit::ir::{Candidate, NodeId, Op, ParamRole};

/// Where each element of one scatter's updates, or of one gather's output, may go or come from.
struct Candidates {
    ranges: Vec<usize>,
    candidates: Vec<Vec<Candidate>>,
    /// Index values, one per index element, under which no two tuples pick one slice.
    probes: Vec<Vec<usize>>,
}

/// Most rotations of the probe indices checked against tract.
const MAX_PROBES: usize = 16;

/// Why a scatter or gather's candidates cannot be laid out.
const TOO_MANY: &str = "too many positions to index";

fn strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![1; shape.len()];
    for d in (0..shape.len().saturating_sub(1)).rev() {
        strides[d] = strides[d + 1] * shape[d + 1];
    }
    strides
}

/// The coordinates of row-major element `flat` of a tensor of `shape`.
fn coordinates(shape: &[usize], flat: usize) -> Vec<usize> {
    strides(shape).iter().zip(shape).map(|(&stride, &dim)| flat / stride % dim).collect()
}

/// `ScatterElements` along `axis`: the update at coordinates `c` of the indices lands at `c` with
/// its `axis` coordinate replaced by the index element at `c`.
fn element_writes(data: &[usize], indices: &[usize], axis: usize) -> Result<Candidates, &'static str> {
    // With more indices along the axis than the data has, every input collides.
    if indices.len() != data.len() || indices.iter().zip(data).any(|(i, d)| i > d) {
        return Err("more updates than the data has positions");
    }
    let n: usize = indices.iter().product();
    if n.saturating_mul(data[axis]) > MAX_INDEX_PROBES {
        return Err(TOO_MANY);
    }
    let data_strides = strides(data);
    let writes = (0..n)
        .map(|u| {
            let mut c = coordinates(indices, u);
            (0..data[axis])
                .map(|v| {
                    c[axis] = v;
                    let position = c.iter().zip(&data_strides).map(|(c, s)| c * s).sum();
                    Candidate { conditions: vec![(u, v)], position }
                })
                .collect()
        })
        .collect();
    // Rotating the axis coordinate keeps the positions of the updates distinct.
    let probes = (0..data[axis].min(MAX_PROBES))
        .map(|shift| (0..n).map(|u| (coordinates(indices, u)[axis] + shift) % data[axis]).collect())
        .collect();
    Ok(Candidates { ranges: vec![data[axis]; n], candidates: writes, probes })
}

/// `ScatterNd` and `GatherNd`: the last axis of the indices holds tuples of `m` coordinates, each
/// picking a slice of the data by its `m` coordinates after the leading `batch_dims`, which the
/// data and the indices share. Element `offset` of tuple `t`'s slice is element
/// `t · slice + offset` of the updates (or of the output).
fn nd_candidates(data: &[usize], indices: &[usize], batch_dims: usize) -> Result<Candidates, &'static str> {
    const MISFIT: &str = "index tuples that do not fit the data's shape";
    let (&m, outer) = indices.split_last().ok_or(MISFIT)?;
    let batch = data.get(..batch_dims).ok_or(MISFIT)?;
    let sliced = data.get(batch_dims..batch_dims + m).ok_or(MISFIT)?;
    if m == 0 || outer.get(..batch_dims) != Some(batch) {
        return Err(MISFIT);
    }
    let within = &data[batch_dims + m..];
    let (tuples, slices, slice): (usize, usize, usize) =
        (outer.iter().product(), sliced.iter().product(), within.iter().product());
    let per_batch = tuples.checked_div(batch.iter().product()).ok_or(MISFIT)?;
    if slices == 0 {
        return Err(MISFIT);
    }
    if tuples.saturating_mul(slice).saturating_mul(slices) > MAX_INDEX_PROBES {
        return Err(TOO_MANY);
    }
    let slice_coordinates: Vec<Vec<usize>> = (0..slices).map(|s| coordinates(sliced, s)).collect();
    let candidates = (0..tuples * slice)
        .map(|u| {
            let (t, offset) = (u / slice, u % slice);
            let batch_start = t / per_batch * slices;
            slice_coordinates
                .iter()
                .enumerate()
                .map(|(s, c)| Candidate {
                    conditions: c.iter().enumerate().map(|(j, &v)| (t * m + j, v)).collect(),
                    position: (batch_start + s) * slice + offset,
                })
                .collect()
        })
        .collect();
    // Tuple `t` picks slice `t + shift`: distinct slices for distinct tuples of a batch, as long
    // as a batch has no more tuples than slices.
    let probes = (0..slices.min(MAX_PROBES))
        .map(|shift| (0..tuples).flat_map(|t| slice_coordinates[(t + shift) % slices].clone()).collect())
        .collect();
    let ranges = (0..tuples).flat_map(|_| sliced.iter().copied()).collect();
    Ok(Candidates { ranges, candidates, probes })
}

/// `ScatterNd`'s writes: [`nd_candidates`] without batch dimensions, if no two tuples need
/// collide.
fn nd_writes(data: &[usize], indices: &[usize]) -> Result<Candidates, &'static str> {
    let writes = nd_candidates(data, indices, 0)?;
    // The shapes fit: the indices have a last axis of `m`, and the data at least `m` axes.
    let (&m, outer) = indices.split_last().ok_or("no index tuples")?;
    let (tuples, slices): (usize, usize) = (outer.iter().product(), data[..m].iter().product());
    match tuples <= slices {
        true => Ok(writes),
        false => Err("more updates than the data has positions"),
    }
}

/// The one of `candidates` whose conditions hold for index values `probe`, if any.
fn held<'c>(candidates: &'c [Candidate], probe: &[usize]) -> Option<&'c Candidate> {
    candidates.iter().find(|c| c.conditions.iter().all(|&(k, v)| probe[k] == v))
}

impl Lowering<'_> {
    /// `ScatterElements` or `ScatterNd` with computed indices, as [`Op::Scatter`].
    pub(super) fn scatter(&mut self, node: &TypedNode) -> Result<NodeId> {
        let data = shape_of(self.model, node.inputs[0])?;
        let indices = shape_of(self.model, node.inputs[1])?;
        let (reduction, writes) = if let Some(op) = node.op_as::<ScatterElements>() {
            (op.reduction, element_writes(&data, &indices, op.axis))
        } else if let Some(op) = node.op_as::<ScatterNd>() {
            (op.reduction, nd_writes(&data, &indices))
        } else {
            return Err(unsupported(node, "indices computed at run time"));
        };
        if reduction != ScatterReduction::None {
            return Err(unsupported(node, "a scatter that reduces, rather than writes, its updates"));
        }
        let Candidates { ranges, candidates: writes, probes } = writes.map_err(|reason| unsupported(node, reason))?;
        let updates = shape_of(self.model, node.inputs[2])?.iter().product::<usize>();
        if writes.len() != updates {
            return Err(unsupported(node, "updates of another shape than the indices select"));
        }
        self.check_writes(node, &writes, &probes)?;
        self.push_on_operands(node, Op::Scatter { ranges, writes })
    }

    /// `op` for `node`, on all its operands (constants as activation-scale parameters).
    fn push_on_operands(&mut self, node: &TypedNode, op: Op) -> Result<NodeId> {
        let operands =
            node.inputs.iter().map(|&o| self.operand(o, ParamRole::Activation)).collect::<Result<Vec<_>>>()?;
        self.push(node, op, operands)
    }

    /// Checks `writes` against tract: with the updates numbered apart from the data and each of
    /// `probes` as the indices, every output element must be the data's or the update that
    /// lands there.
    fn check_writes(&self, node: &TypedNode, writes: &[Vec<Candidate>], probes: &[Vec<usize>]) -> Result<()> {
        let n_data: usize = shape_of(self.model, node.inputs[0])?.iter().product();
        let numbers = |from: usize, n: usize| (from..from + n).map(|i| i as f32).collect::<Vec<_>>();
        for probe in probes {
            let operands =
                [numbers(1, n_data), probe.iter().map(|&v| v as f32).collect(), numbers(n_data + 1, writes.len())];
            // A constant of the data (zeros a model scatters into) keeps its values.
            let inputs = self.probe_typed(node, |slot, _| operands[slot].clone())?;
            let (mut expected, updates) = (to_f32s(&inputs[0])?, to_f32s(&inputs[2])?);
            for (write, &update) in writes.iter().zip(&updates) {
                if let Some(w) = held(write, probe) {
                    expected[w.position] = update;
                }
            }
            if eval(node, inputs)? != expected {
                return Err(unsupported(node, "writes by index could not be derived"));
            }
        }
        Ok(())
    }

    /// `GatherNd` with computed indices, as [`Op::Pick`].
    pub(super) fn pick(&mut self, node: &TypedNode) -> Result<NodeId> {
        let op = node.op_as::<GatherNd>().ok_or_else(|| unsupported(node, "indices computed at run time"))?;
        let data = shape_of(self.model, node.inputs[0])?;
        let indices = shape_of(self.model, node.inputs[1])?;
        let Candidates { ranges, candidates: reads, probes } =
            nd_candidates(&data, &indices, op.batch_dims).map_err(|reason| unsupported(node, reason))?;
        self.check_reads(node, &reads, &probes)?;
        self.push_on_operands(node, Op::Pick { ranges, reads })
    }

    /// Checks `reads` against tract: with the data numbered and each of `probes` as the indices,
    /// every output element must be the data's element that the candidate whose conditions hold
    /// places.
    fn check_reads(&self, node: &TypedNode, reads: &[Vec<Candidate>], probes: &[Vec<usize>]) -> Result<()> {
        let n_data: usize = shape_of(self.model, node.inputs[0])?.iter().product();
        for probe in probes {
            let operands: [Vec<f32>; 2] =
                [(1..=n_data).map(|i| i as f32).collect(), probe.iter().map(|&v| v as f32).collect()];
            let inputs = self.probe_typed(node, |slot, _| operands[slot].clone())?;
            let data = to_f32s(&inputs[0])?;
            let expected: Option<Vec<f32>> = reads.iter().map(|read| Some(data[held(read, probe)?.position])).collect();
            if expected.is_none_or(|expected| eval(node, inputs).ok() != Some(expected)) {
                return Err(unsupported(node, "reads by index could not be derived"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scatter_elements_replaces_the_axis_coordinate() {
        // Data 2×3, indices 2×1 along axis 1: update (r, 0) may land at (r, 0..3).
        let Candidates { ranges, candidates: writes, probes } = element_writes(&[2, 3], &[2, 1], 1).unwrap();
        assert_eq!(ranges, vec![3, 3]);
        let positions: Vec<Vec<usize>> = writes.iter().map(|w| w.iter().map(|w| w.position).collect()).collect();
        assert_eq!(positions, vec![vec![0, 1, 2], vec![3, 4, 5]]);
        assert_eq!(writes[1][2].conditions, vec![(1, 2)]);
        assert_eq!(probes, vec![vec![0, 0], vec![1, 1], vec![2, 2]]);
        assert_eq!(element_writes(&[2, 3], &[2, 4], 1).err(), Some("more updates than the data has positions"));
        assert_eq!(element_writes(&[300, 300], &[300, 300], 1).err(), Some(TOO_MANY));
    }

    #[test]
    fn scatter_nd_picks_slices_by_tuples() {
        // Data 3×2, one tuple of one coordinate per update row: row t of the updates fills row
        // `indices[t]` of the data.
        let Candidates { ranges, candidates: writes, probes } = nd_writes(&[3, 2], &[2, 1]).unwrap();
        assert_eq!(ranges, vec![3, 3]);
        assert_eq!(writes.len(), 4);
        let update_3: Vec<_> = writes[3].iter().map(|w| (w.conditions.clone(), w.position)).collect();
        assert_eq!(update_3, vec![(vec![(1, 0)], 1), (vec![(1, 1)], 3), (vec![(1, 2)], 5)]);
        assert_eq!(probes[1], vec![1, 2]);
        // Whole-element tuples of two coordinates.
        let Candidates { candidates: writes, .. } = nd_writes(&[2, 2], &[1, 2]).unwrap();
        assert_eq!(writes[0][3].conditions, vec![(0, 1), (1, 1)]);
        assert_eq!(writes[0][3].position, 3);
        // Six tuples for two rows collide.
        assert_eq!(nd_writes(&[2, 2], &[3, 2, 1]).err(), Some("more updates than the data has positions"));
    }

    #[test]
    fn gather_nd_reads_slices_within_each_batch() {
        // Data 2×3×2 with one batch dimension, indices 2×2×1: tuple (b, t) picks row
        // `indices[b, t]` of batch b, so output (b, t, e) reads data (b, v, e).
        let Candidates { ranges, candidates: reads, probes } = nd_candidates(&[2, 3, 2], &[2, 2, 1], 1).unwrap();
        assert_eq!(ranges, vec![3; 4]);
        assert_eq!(reads.len(), 2 * 2 * 2);
        let output_7: Vec<_> = reads[7].iter().map(|c| (c.conditions.clone(), c.position)).collect();
        assert_eq!(output_7, vec![(vec![(3, 0)], 7), (vec![(3, 1)], 9), (vec![(3, 2)], 11)]);
        assert_eq!(probes.len(), 3);
        // Tuples may repeat slices: more tuples than rows is a gather, not a collision.
        assert_eq!(nd_candidates(&[2, 2], &[5, 1], 0).unwrap().candidates.len(), 5 * 2);
        let misfit = Some("index tuples that do not fit the data's shape");
        assert_eq!(nd_candidates(&[2, 3], &[3, 1], 1).err(), misfit, "batch dimensions differ");
        assert_eq!(nd_candidates(&[2, 3], &[2, 3], 0).err(), misfit, "tuples longer than the data's rank");
        assert_eq!(nd_candidates(&[1000, 100], &[1000, 1], 0).err(), Some(TOO_MANY));
    }
}
