#!/usr/bin/env python3
"""The peer: EZKL 23 on a corpus model, in two steps so that proving can be timed on its own.

    ezkl_peer.py prepare MODEL_DIR WORK   # settings, calibration, compile, dev SRS, keys
    ezkl_peer.py prove WORK               # witness + proof (what `zkml prove` does)
    ezkl_peer.py verify WORK

EZKL runs with its default run arguments and `calibrate_settings(target="resources")`.
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


def prepare(model_dir, work):
    os.makedirs(work, exist_ok=True)
    p = paths(work)
    shutil.copy(os.path.join(model_dir, "network.onnx"), p["network.onnx"])
    shutil.copy(os.path.join(model_dir, "input.json"), p["input.json"])
    assert call(ezkl.gen_settings, p["network.onnx"], p["settings.json"])
    call(ezkl.calibrate_settings, p["input.json"], p["network.onnx"], p["settings.json"], "resources")
    assert call(ezkl.compile_circuit, p["network.onnx"], p["network.ezkl"], p["settings.json"])
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
    print(json.dumps({"proof_bytes": size}))


def verify(work):
    p = paths(work)
    assert call(ezkl.verify, p["proof.json"], p["settings.json"], p["vk.key"], p["kzg.srs"])


if __name__ == "__main__":
    command, args = sys.argv[1], sys.argv[2:]
    {"prepare": prepare, "prove": prove, "verify": verify}[command](*args)
