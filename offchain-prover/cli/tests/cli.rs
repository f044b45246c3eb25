//! The `zkml` binary: exit codes and `--json` output.

use std::path::Path;
use std::process::Command;

fn zkml(args: &[&str]) -> (bool, serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_zkml")).args(args).arg("--json").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(stdout.trim()).unwrap_or(serde_json::Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn verbs_round_trip_and_fail_with_non_zero_exit() {
    let corpus = zkml_prover::corpus::model("1l_relu");
    let (model, input) = (corpus.join("network.onnx"), corpus.join("input.json"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("art");
    let proof = tmp.path().join("proof.json");
    let s = |p: &Path| p.to_str().unwrap().to_owned();

    let (ok, run, _) = zkml(&["run", &s(&model), "--input", &s(&input)]);
    assert!(ok);
    assert_eq!(run["outputs"][0].as_array().unwrap().len(), 3);
    assert!(zkml(&["compile", &s(&model), "--input", &s(&input), "--out", &s(&dir)]).0);
    let (ok, _, stderr) = zkml(&["setup", &s(&dir), "--dev-srs"]);
    assert!(ok);
    assert!(stderr.contains("INSECURE"));
    let (ok, proved, _) = zkml(&["prove", &s(&dir), "--input", &s(&input), "--out", &s(&proof), "--binding", "0xabc"]);
    assert!(ok, "{proved}");
    assert!(proved["proof_bytes"].as_u64().unwrap() > 0);
    let (ok, verified, _) = zkml(&["verify", &s(&dir), &s(&proof)]);
    assert!(ok);
    assert_eq!(verified["verified"], true);

    // A private input: the proof file holds only the salted commitment, and the opening, written
    // beside it, opens it; an opening with another input does not.
    let private = tmp.path().join("private.json");
    let (ok, proved, _) = zkml(&["prove", &s(&dir), "--input", &s(&input), "--out", &s(&private), "--private-input"]);
    assert!(ok, "{proved}");
    let opening = tmp.path().join("private.opening.json");
    assert_eq!(proved["opening"].as_str(), Some(s(&opening).as_str()));
    assert!(zkml(&["verify", &s(&dir), &s(&private)]).0);
    let secret: serde_json::Value = serde_json::from_slice(&std::fs::read(&opening).unwrap()).unwrap();
    let blinding = secret["blinding"].as_str().unwrap();
    assert!(!std::fs::read_to_string(&private).unwrap().contains(blinding));
    let (ok, opened, _) = zkml(&["open", &s(&dir), &s(&opening)]);
    assert!(ok, "{opened}");
    let mut lie = secret.clone();
    lie["inputs"][0][0] = (lie["inputs"][0][0].as_f64().unwrap() + 1.0).into();
    std::fs::write(&opening, lie.to_string()).unwrap();
    let (ok, refused, _) = zkml(&["open", &s(&dir), &s(&opening)]);
    assert!(!ok);
    assert!(refused["error"].as_str().unwrap().contains("does not open"), "{refused}");

    // Failures: a non-zero exit and the reason.
    let mut file: serde_json::Value = serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    let bytes = file["proof"].as_str().unwrap().to_owned();
    file["proof"] = format!("{}{}", if &bytes[..1] == "0" { "1" } else { "0" }, &bytes[1..]).into();
    std::fs::write(&proof, file.to_string()).unwrap();
    let (ok, verified, _) = zkml(&["verify", &s(&dir), &s(&proof)]);
    assert!(!ok);
    assert!(verified["error"].as_str().unwrap().contains("does not verify"));
    let (ok, bad, _) = zkml(&["prove", &s(&dir), "--input", &s(&input), "--out", &s(&proof), "--binding", "0xzz"]);
    assert!(!ok);
    assert!(bad["error"].as_str().unwrap().contains("binding"));
    let (ok, _, stderr) = zkml(&["compile", "/nonexistent.onnx", "--input", &s(&input), "--out", &s(&dir)]);
    assert!(!ok);
    assert!(stderr.contains("/nonexistent.onnx"));
    let elsewhere = tmp.path().join("small");
    let budget = ["compile", &s(&model), "--input", &s(&input), "--out", &s(&elsewhere), "--max-proof-bytes", "512"];
    let (ok, _, stderr) = zkml(&budget);
    assert!(!ok);
    assert!(stderr.contains("within 512 bytes"), "{stderr}");
    assert!(!elsewhere.exists());
}

#[test]
fn an_unsupported_operator_is_one_clear_error() {
    // Every corpus model now compiles or is malformed, so the model is written here: one `IsNaN`,
    // which tract runs and the prover has no lowering for. compile names the operator and its
    // node, and prints nothing else, no panic's message or backtrace.
    let tmp = tempfile::tempdir().unwrap();
    let (model, input, out) = (tmp.path().join("isnan.onnx"), tmp.path().join("input.json"), tmp.path().join("art"));
    std::fs::write(&model, is_nan_model()).unwrap();
    std::fs::write(&input, r#"{"input_data": [[0.1, 0.2, 0.3]]}"#).unwrap();
    let [model, input, out] = [&model, &input, &out].map(|p| p.to_str().unwrap());
    let (ok, json, stderr) = zkml(&["compile", model, "--input", input, "--out", out]);
    assert!(!ok);
    let error = json["error"].as_str().unwrap();
    assert!(error.contains("`IsNan` at node `nan_check`"), "{error}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr}");
}

/// An ONNX model of one node, `IsNaN` of a float input of 3, as bytes.
fn is_nan_model() -> Vec<u8> {
    use prost::Message;
    use tract_onnx::pb::tensor_shape_proto::{dimension, Dimension};
    use tract_onnx::pb::{
        type_proto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorShapeProto, TypeProto, ValueInfoProto,
    };
    // ONNX's element types: 1 is float, 9 is bool.
    let value = |name: &str, elem_type: i32| ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(type_proto::Value::TensorType(type_proto::Tensor {
                elem_type,
                shape: Some(TensorShapeProto {
                    dim: vec![Dimension { value: Some(dimension::Value::DimValue(3)), ..Default::default() }],
                }),
            })),
            ..Default::default()
        }),
        ..Default::default()
    };
    let node = NodeProto {
        input: vec!["x".into()],
        output: vec!["y".into()],
        name: "nan_check".into(),
        op_type: "IsNaN".into(),
        ..Default::default()
    };
    let graph =
        GraphProto { node: vec![node], input: vec![value("x", 1)], output: vec![value("y", 9)], ..Default::default() };
    let opset = OperatorSetIdProto { domain: String::new(), version: 13 };
    ModelProto { ir_version: 8, opset_import: vec![opset], graph: Some(graph), ..Default::default() }.encode_to_vec()
}
