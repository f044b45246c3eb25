#!/usr/bin/env python3
"""The peer: EZKL 23 on a corpus model, one step per command, so that each is timed on its own.

    ezkl_peer.py compile MODEL_DIR WORK   # settings, calibration, compiled circuit (`zkml compile`)
    ezkl_peer.py setup WORK               # dev SRS and keys (`zkml setup --dev-srs`)
    ezkl_peer.py prove WORK               # witness + proof (`zkml prove`)
    ezkl_peer.py verify WORK              # (`zkml verify`)

EZKL runs with its default run arguments and `calibrate_settings(target="resources")`. Each
command prints one JSON line.
"""
import asyncio
import inspect
import json
import os
import shutil
import sys

import ezkl


def call(f, *args, **kwargs):
    """EZKL exposes some steps as coroutines and some as plain functions, depending on version."""
    result = f(*args, **kwargs)
    if inspect.isawaitable(result):
        result = asyncio.run(result)
    return result


def paths(work):
    names = ["network.onnx", "input.json", "settings.json", "network.ezkl", "kzg.srs", "vk.key", "pk.key", "witness.json", "proof.json"]
    return {n: os.path.join(work, n) for n in names}


def compile_model(model_dir, work):
    os.makedirs(work, exist_ok=True)
    p = paths(work)
    shutil.copy(os.path.join(model_dir, "network.onnx"), p["network.onnx"])
    shutil.copy(os.path.join(model_dir, "input.json"), p["input.json"])
    assert call(ezkl.gen_settings, p["network.onnx"], p["settings.json"])
    call(ezkl.calibrate_settings, p["input.json"], p["network.onnx"], p["settings.json"], "resources")
    assert call(ezkl.compile_circuit, p["network.onnx"], p["network.ezkl"], p["settings.json"])
    with open(p["settings.json"]) as f:
        print(json.dumps({"k": json.load(f)["run_args"]["logrows"]}))


def setup(work):
    p = paths(work)
    with open(p["settings.json"]) as f:
        logrows = json.load(f)["run_args"]["logrows"]
    call(ezkl.gen_srs, p["kzg.srs"], logrows)
    assert call(ezkl.setup, p["network.ezkl"], p["vk.key"], p["pk.key"], p["kzg.srs"])
    print(json.dumps({"k": logrows, "vk_bytes": os.path.getsize(p["vk.key"]), "pk_bytes": os.path.getsize(p["pk.key"])}))


def prove(work):
    p = paths(work)
    call(ezkl.gen_witness, p["input.json"], p["network.ezkl"], p["witness.json"])
    call(ezkl.prove, p["witness.json"], p["network.ezkl"], p["pk.key"], p["proof.json"], p["kzg.srs"])
    with open(p["proof.json"]) as f:
        proof = json.load(f)
    size = len(proof["proof"]) if isinstance(proof["proof"], list) else len(bytes.fromhex(proof["hex_proof"][2:]))
    with open(p["witness.json"]) as f:
        outputs = [[float(v) for v in row] for row in json.load(f)["pretty_elements"]["rescaled_outputs"]]
    print(json.dumps({"proof_bytes": size, "outputs": outputs}))


def verify(work):
    p = paths(work)
    assert call(ezkl.verify, p["proof.json"], p["settings.json"], p["vk.key"], p["kzg.srs"])
    print(json.dumps({"verified": True}))


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"compile": compile_model, "setup": setup, "prove": prove, "verify": verify}[command](*args)
