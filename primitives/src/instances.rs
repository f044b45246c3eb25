//! The public instances of a model's proof, in the one order the circuit lays them out, the
//! pallet builds them for a check and clients read them from a proof.

use alloc::vec::Vec;

/// A proof's public instances: the commitment to the model's parameters, the input (its values,
/// or one commitment to them), the output and the binding. Generic over the element: field bytes
/// on chain, cells or field elements in the circuit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicInstances<F> {
    pub model_commitment: F,
    pub input: InputInstances<F>,
    pub output: Vec<F>,
    pub binding: F,
}

/// How the input appears among a proof's instances.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InputInstances<F> {
    /// The input's values.
    Public(Vec<F>),
    /// A Poseidon commitment to the input, salted: the input itself stays private.
    Committed(F),
}

impl<F> InputInstances<F> {
    /// Instances the input takes.
    pub fn len(&self) -> usize {
        match self {
            InputInstances::Public(values) => values.len(),
            InputInstances::Committed(_) => 1,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<F> PublicInstances<F> {
    /// Instances of a proof whose input takes `input` instances (its length, or 1 for a
    /// commitment) and whose output has `output` values.
    pub fn count(input: u32, output: u32) -> u32 {
        input.saturating_add(output).saturating_add(2)
    }

    /// The instances in the circuit's order.
    pub fn into_vec(self) -> Vec<F> {
        let mut instances = Vec::with_capacity(self.input.len() + self.output.len() + 2);
        instances.push(self.model_commitment);
        match self.input {
            InputInstances::Public(values) => instances.extend(values),
            InputInstances::Committed(commitment) => instances.push(commitment),
        }
        instances.extend(self.output);
        instances.push(self.binding);
        instances
    }

    /// Reads `instances` back, the input being `input_len` public values or, if `committed`, one
    /// commitment. `None` if there are too few instances for a binding and at least one output.
    pub fn parse(instances: Vec<F>, committed: bool, input_len: usize) -> Option<Self> {
        let input_len = if committed { 1 } else { input_len };
        if instances.len() < input_len + 3 {
            return None;
        }
        let mut rest = instances.into_iter();
        let model_commitment = rest.next()?;
        let mut input: Vec<F> = rest.by_ref().take(input_len).collect();
        let mut output: Vec<F> = rest.collect();
        let binding = output.pop()?;
        let input = match committed {
            true => InputInstances::Committed(input.pop()?),
            false => InputInstances::Public(input),
        };
        Some(Self { model_commitment, input, output, binding })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(input: InputInstances<u8>) -> PublicInstances<u8> {
        PublicInstances { model_commitment: 1, input, output: vec![7, 8], binding: 9 }
    }

    #[test]
    fn the_order_is_commitment_input_output_binding() {
        assert_eq!(example(InputInstances::Public(vec![4, 5, 6])).into_vec(), [1, 4, 5, 6, 7, 8, 9]);
        assert_eq!(example(InputInstances::Committed(3)).into_vec(), [1, 3, 7, 8, 9]);
        assert_eq!(PublicInstances::<u8>::count(3, 2), 7);
        assert_eq!(PublicInstances::<u8>::count(1, 2), 5);
    }

    #[test]
    fn parsing_reads_back_what_was_laid_out() {
        for (input, committed) in [(InputInstances::Public(vec![4, 5, 6]), false), (InputInstances::Committed(3), true)]
        {
            let instances = example(input);
            assert_eq!(PublicInstances::parse(instances.clone().into_vec(), committed, 3), Some(instances));
        }
        // No room for an output besides the binding.
        assert_eq!(PublicInstances::parse(vec![1, 4, 5, 6, 9], false, 3), None);
        assert_eq!(PublicInstances::parse(vec![1, 3, 9], true, 3), None);
    }
}
