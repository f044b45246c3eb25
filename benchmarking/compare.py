#!/usr/bin/env python3
"""Benchmarks our prover (`zkml`) next to EZKL 23 and writes a report people read.

Run it through `benchmarking/run.sh`, which builds `zkml`, makes the Python venv (ezkl,
matplotlib, onnx) and passes the paths on:

    run.sh compare [MODEL ...] [--runs N]   prover against EZKL, alternating runs, medians
    run.sh scaling [--runs N]               cost against parameter count and k, one family
    run.sh corpus [--max-k K] [--timeout S] every corpus model, ours only: what works, what stops
    run.sh chain                            the pallet's verification weights against a block
    run.sh smoke                            CI: the whole pipeline on one tiny model, ours only

Every step of every system is a separate process, timed as a whole (wall seconds) with its peak
resident memory (GNU time's %M). Runs alternate between the systems (A B B A ...) so that drift on
a noisy machine hits both alike; each figure is the median of the runs. A model that fails for a
system is recorded with its error, and the run goes on.

Results go to benchmarking/results/: a Markdown report and a CSV per kind, stamped with the date,
the machine and both versions, and PNG charts. `compare` also refreshes the README's summary.
"""
import argparse
import csv
import datetime
import json
import os
import pathlib
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

ROOT = pathlib.Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarking"
DEFAULT_MODELS = ["1l_mlp", "2l_relu_sigmoid_small", "1l_conv", "1l_max_pool", "4l_relu_conv_fc", "lenet_5"]
STEPS = ["compile", "setup", "prove", "verify"]
SUMMARY_START, SUMMARY_END = "<!-- benchmark-summary:start -->", "<!-- benchmark-summary:end -->"
# zkVerify's published weight for verifying an EZKL proof, on their reference machine.
ZKVERIFY_EZKL_REF_TIME = 4.21e9


class StepFailed(Exception):
    pass


@dataclass
class Measured:
    seconds: float
    peak_mib: float
    output: dict


def measure(cmd, timeout=None) -> Measured:
    """Runs `cmd` as its own process; its wall time, peak RSS and the JSON its last line prints.

    The peak comes from GNU time, whose child starts from time's own small address space: a child
    forked from this Python process would report at least this process's peak (Linux carries
    the parent's RSS high-water mark across fork and exec)."""
    with tempfile.NamedTemporaryFile("w+") as peak, tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        try:
            proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", peak.name, *map(str, cmd)], stdout=out, stderr=err, timeout=timeout)
        except subprocess.TimeoutExpired as error:
            raise StepFailed(f"`{pathlib.Path(str(cmd[0])).name} {cmd[1]}` ran past its {timeout} s limit") from error
        seconds = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
        peak_kib = peak.read().strip().splitlines()
    if proc.returncode != 0:
        reason = (stderr.strip() or stdout.strip()).splitlines()[-3:]
        raise StepFailed(f"`{pathlib.Path(str(cmd[0])).name} {cmd[1]}` exited {proc.returncode}: {' | '.join(reason)}")
    lines = [line for line in stdout.splitlines() if line.strip().startswith("{")]
    try:
        output = json.loads(lines[-1]) if lines else {}
    except json.JSONDecodeError as error:
        raise StepFailed(f"`{cmd[1]}` printed no JSON: {error}") from error
    return Measured(seconds, int(peak_kib[-1]) / 1024, output)


class Ours:
    name = "ours"

    def __init__(self, zkml, max_proof_bytes=None):
        self.zkml = zkml
        self.compile_args = [] if max_proof_bytes is None else ["--max-proof-bytes", str(max_proof_bytes)]

    def version(self):
        return subprocess.run([self.zkml, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    def compile(self, model_dir, work, timeout=None):
        shutil.rmtree(work, ignore_errors=True)
        return measure([self.zkml, "compile", model_dir / "network.onnx", "--input", model_dir / "input.json", "--out", work, "--json", *self.compile_args], timeout)

    def setup(self, model_dir, work, timeout=None):
        m = measure([self.zkml, "setup", work, "--dev-srs", "--json"], timeout)
        m.output.update(vk_bytes=(work / "public.vk").stat().st_size, pk_bytes=(work / "public.pk").stat().st_size)
        # `setup` reports the larger k of the two circuits; `prove` proves the public-input one.
        m.output["k"] = json.loads((work / "settings.json").read_text())["public"]["circuit"]["base"]["k"]
        return m

    def prove(self, model_dir, work, timeout=None):
        return measure([self.zkml, "prove", work, "--input", model_dir / "input.json", "--out", work / "proof.json", "--json"], timeout)

    def verify(self, model_dir, work, timeout=None):
        return measure([self.zkml, "verify", work, work / "proof.json", "--json"], timeout)


class Ezkl:
    name = "ezkl"

    def __init__(self, python):
        self.python = python
        self.peer = HERE / "ezkl_peer.py"

    def version(self):
        code = "import importlib.metadata as m; print(m.version('ezkl'))"
        return "ezkl " + subprocess.run([self.python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()

    def compile(self, model_dir, work):
        shutil.rmtree(work, ignore_errors=True)
        return measure([self.python, self.peer, "compile", model_dir, work])

    def setup(self, model_dir, work):
        return measure([self.python, self.peer, "setup", work])

    def prove(self, model_dir, work):
        return measure([self.python, self.peer, "prove", work])

    def verify(self, model_dir, work):
        return measure([self.python, self.peer, "verify", work])


@dataclass
class Row:
    model: str
    system: str
    k: int = None
    seconds: dict = field(default_factory=dict)
    prove_peak_mib: float = None
    proof_bytes: int = None
    vk_bytes: int = None
    pk_bytes: int = None
    max_error: float = None
    params: int = None
    error: str = ""

    def csv(self):
        return {
            "model": self.model, "system": self.system, "k": self.k,
            **{f"{s}_s": _round(self.seconds.get(s), 4) for s in STEPS},
            "prove_peak_mib": _round(self.prove_peak_mib, 1), "proof_bytes": self.proof_bytes,
            "vk_bytes": self.vk_bytes, "pk_bytes": self.pk_bytes, "max_error": _round(self.max_error, 6),
            "params": self.params, "error": self.error,
        }


def _round(value, digits):
    return None if value is None else round(value, digits)


def flatten(rows):
    return [float(v) for row in rows for v in row]


def max_error(outputs, reference):
    got, want = flatten(outputs), flatten(reference)
    if len(got) != len(want):
        raise StepFailed(f"{len(got)} outputs against {len(want)} in the float reference")
    return max(abs(a - b) for a, b in zip(got, want))


def reference(zkml, model_dir):
    return measure([zkml, "run", model_dir / "network.onnx", "--input", model_dir / "input.json", "--json"]).output["outputs"]


def benchmark(model_dirs, systems, runs, work_root, zkml, log):
    """Each model through every step of every system; `runs` alternating rounds per step. Proving
    and verifying use the circuit and keys of the last round of compile and set-up."""
    rows = []
    for model_dir in model_dirs:
        model = model_dir.name
        ref = reference(zkml, model_dir)
        state = {s.name: Row(model, s.name, params=count_params(model_dir / "network.onnx")) for s in systems}
        samples = {(s.name, step): [] for s in systems for step in STEPS}
        peaks = {s.name: [] for s in systems}
        for step in STEPS:
            for run in range(runs):
                order = systems if run % 2 == 0 else systems[::-1]
                for system in order:
                    row = state[system.name]
                    if row.error:
                        continue
                    work = work_root / model / system.name
                    try:
                        m = getattr(system, step)(model_dir, work)
                        if step == "setup":
                            row.k, row.vk_bytes, row.pk_bytes = m.output["k"], m.output.get("vk_bytes"), m.output.get("pk_bytes")
                        if step == "prove":
                            row.proof_bytes = m.output["proof_bytes"]
                            row.max_error = max_error(m.output["outputs"], ref)
                            peaks[system.name].append(m.peak_mib)
                    except (StepFailed, KeyError, OSError) as error:
                        row.error = f"{step}: {error}"
                        log(f"{model} [{system.name}] failed: {row.error}")
                        continue
                    samples[(system.name, step)].append(m.seconds)
                    log(f"{model} [{system.name}] {step} run {run + 1}/{runs}: {m.seconds:.3f} s, {m.peak_mib:.0f} MiB")
            for system in systems:
                values = samples[(system.name, step)]
                if values:
                    state[system.name].seconds[step] = statistics.median(values)
        for system in systems:
            if peaks[system.name]:
                state[system.name].prove_peak_mib = statistics.median(peaks[system.name])
            rows.append(state[system.name])
    return rows


def count_params(onnx_path):
    """Parameter count of an ONNX model (its initializers), or None without the onnx package."""
    try:
        import onnx
    except ImportError:
        return None
    model = onnx.load(str(onnx_path), load_external_data=False)
    total = 0
    for init in model.graph.initializer:
        size = 1
        for dim in init.dims:
            size *= dim
        total += size
    return total


def machine():
    cores = os.cpu_count()
    memory = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {cores} cores, {memory}"


def stamp(versions):
    now = datetime.datetime.now(datetime.timezone.utc)
    return now, f"{now:%Y-%m-%d %H:%M} UTC · {machine()} · " + " · ".join(versions)


def fmt(value, digits=3):
    if value is None:
        return "–"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:,.0f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def comparison_tables(rows, systems):
    """The summary (ours/EZKL) and the full table, in Markdown."""
    by = {(r.model, r.system): r for r in rows}
    models = list(dict.fromkeys(r.model for r in rows))
    lines = []
    if len(systems) == 2:
        a, b = systems[0].name, systems[1].name
        lines += [
            f"| model | k {a} / {b} | prove s {a} / {b} | ratio | peak MiB {a} / {b} | ratio | proof B {a} / {b} | vk B {a} / {b} | verify s {a} / {b} | max error {a} / {b} |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for model in models:
            x, y = by[(model, a)], by[(model, b)]
            if x.error or y.error:
                lines.append(f"| {model} | failed: {'ours: ' + x.error if x.error else ''} {'EZKL: ' + y.error if y.error else ''} |||||||||")
                continue
            lines.append(
                f"| {model} | {x.k} / {y.k} | {fmt(x.seconds.get('prove'))} / {fmt(y.seconds.get('prove'))} | "
                f"{fmt(ratio(x.seconds.get('prove'), y.seconds.get('prove')), 2)} | {fmt(x.prove_peak_mib)} / {fmt(y.prove_peak_mib)} | "
                f"{fmt(ratio(x.prove_peak_mib, y.prove_peak_mib), 2)} | {fmt(x.proof_bytes)} / {fmt(y.proof_bytes)} | "
                f"{fmt(x.vk_bytes)} / {fmt(y.vk_bytes)} | {fmt(x.seconds.get('verify'))} / {fmt(y.seconds.get('verify'))} | "
                f"{fmt(x.max_error)} / {fmt(y.max_error)} |"
            )
    summary = "\n".join(lines)
    full = [
        "| model | system | k | compile s | setup s | prove s | verify s | prove peak MiB | proof B | vk B | pk B | max error | error |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        full.append(
            f"| {r.model} | {r.system} | {fmt(r.k)} | " + " | ".join(fmt(r.seconds.get(s)) for s in STEPS)
            + f" | {fmt(r.prove_peak_mib)} | {fmt(r.proof_bytes)} | {fmt(r.vk_bytes)} | {fmt(r.pk_bytes)} | {fmt(r.max_error)} | {r.error} |"
        )
    return summary, "\n".join(full)


def write_csv(path, rows):
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].csv().keys()))
        writer.writeheader()
        for r in rows:
            writer.writerow(r.csv())


def pyplot():
    """matplotlib's pyplot, drawing to files only."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(plt, fig, path, title):
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def chart_comparison(path, rows, systems, title):
    plt = pyplot()
    models = [m for m in dict.fromkeys(r.model for r in rows)]
    by = {(r.model, r.system): r for r in rows}
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    width = 0.8 / len(systems)
    for i, system in enumerate(systems):
        xs = [j + i * width for j in range(len(models))]
        prove = [by[(m, system.name)].seconds.get("prove") or 0 for m in models]
        peak = [by[(m, system.name)].prove_peak_mib or 0 for m in models]
        axes[0].bar(xs, prove, width, label=system.name)
        axes[1].bar(xs, peak, width, label=system.name)
    for ax, label in zip(axes, ["prove time (s, median)", "peak memory while proving (MiB)"]):
        ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.set_xticks([j + width * (len(systems) - 1) / 2 for j in range(len(models))])
        ax.set_xticklabels(models, rotation=30, ha="right")
        ax.legend()
    save(plt, fig, path, title)


def chart_scaling(path, rows, title):
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for system in dict.fromkeys(r.system for r in rows):
        done = sorted((r for r in rows if r.system == system and not r.error and r.params), key=lambda r: r.params)
        params = [r.params for r in done]
        for ax, values in zip(axes, [[r.seconds.get("prove") for r in done], [r.prove_peak_mib for r in done], [r.proof_bytes for r in done]]):
            ax.plot(params, values, marker="o", label=system)
            for r, v in zip(done, values):
                ax.annotate(f"k={r.k}", (r.params, v), fontsize=7, textcoords="offset points", xytext=(3, 3))
    for ax, label in zip(axes, ["prove time (s, median)", "peak memory while proving (MiB)", "proof (bytes)"]):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel(label)
        ax.legend()
    save(plt, fig, path, title)


def refresh_readme(summary, report_name, header):
    readme = ROOT / "README.md"
    text = readme.read_text()
    if SUMMARY_START not in text or SUMMARY_END not in text:
        raise SystemExit(f"README.md has no {SUMMARY_START} … {SUMMARY_END} block to refresh")
    block = f"{SUMMARY_START}\n{header}; full report: [`benchmarking/results/{report_name}`](benchmarking/results/{report_name}).\n\n{summary}\n{SUMMARY_END}"
    start, end = text.index(SUMMARY_START), text.index(SUMMARY_END) + len(SUMMARY_END)
    readme.write_text(text[:start] + block + text[end:])


def corpus():
    return pathlib.Path(os.environ.get("ZKML_CORPUS", ROOT.parent / "shared/models/ezkl-examples"))


def model_dir(name):
    path = pathlib.Path(name)
    if not (path / "network.onnx").exists():
        path = corpus() / name
    if not (path / "network.onnx").exists():
        raise SystemExit(f"no model {name}: neither a directory with network.onnx nor a corpus model in {corpus()}")
    return path


def systems_for(args):
    chosen = []
    for name in args.systems:
        if name == "ours":
            chosen.append(Ours(args.zkml, getattr(args, "max_proof_bytes", None)))
        elif name == "ezkl":
            if not args.ezkl_python:
                raise SystemExit("--ezkl-python is required for EZKL (run.sh passes the venv's)")
            chosen.append(Ezkl(args.ezkl_python))
        else:
            raise SystemExit(f"unknown system {name}: ours or ezkl")
    return chosen


def log(message):
    print(message, file=sys.stderr, flush=True)


def cmd_compare(args, kind="compare"):
    systems = systems_for(args)
    dirs = [model_dir(m) for m in (args.models or DEFAULT_MODELS)]
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(args.work)
    rows = benchmark(dirs, systems, args.runs, work, args.zkml, log)
    now, header = stamp([s.version() for s in systems])
    header = f"{header} · medians of {args.runs} alternating runs"
    budgeted = getattr(args, "max_proof_bytes", None) is not None
    if budgeted:
        kind = f"{kind}-{args.max_proof_bytes}b"
        header = f"{header} · ours compiled with `--max-proof-bytes {args.max_proof_bytes}`"
    base = f"{now:%Y-%m-%d}-{kind}"
    summary, full = comparison_tables(rows, systems)
    write_csv(out / f"{base}.csv", rows)
    chart_comparison(out / f"{base}.png", rows, systems, header)
    report = [f"# Prover benchmark: {kind}", "", header, ""]
    if summary:
        report += ["## Ours against EZKL", "", summary, ""]
    report += ["## All figures", "", full, "", f"![prove time and memory]({base}.png)", ""]
    (out / f"{base}.md").write_text("\n".join(report))
    log(f"wrote {out / base}.md, .csv and .png")
    # The README's summary is of the default, fastest circuits.
    if args.readme and summary and not budgeted:
        refresh_readme(summary, f"{base}.md", header)
        log("refreshed the README's summary")
    print(summary or full)
    return rows


def cmd_scaling(args):
    systems = systems_for(args)
    family = sorted((HERE / "models").iterdir(), key=lambda d: count_params(d / "network.onnx") or 0)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = benchmark(family, systems, args.runs, pathlib.Path(args.work), args.zkml, log)
    now, header = stamp([s.version() for s in systems])
    header = f"{header} · medians of {args.runs} runs"
    base = f"{now:%Y-%m-%d}-scaling"
    write_csv(out / f"{base}.csv", rows)
    chart_scaling(out / f"{base}.png", rows, header)
    table = [
        "| model | system | parameters | k | prove s | prove peak MiB | proof B | vk B | error |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(rows, key=lambda r: (r.system, r.params or 0)):
        table.append(f"| {r.model} | {r.system} | {fmt(r.params)} | {fmt(r.k)} | {fmt(r.seconds.get('prove'))} | {fmt(r.prove_peak_mib)} | {fmt(r.proof_bytes)} | {fmt(r.vk_bytes)} | {r.error} |")
    report = [
        "# Prover benchmark: scaling", "", header, "",
        "The MLP family of `benchmarking/models` (`mlp_family.py`): one model family of growing width.", "",
        "\n".join(table), "", f"![scaling]({base}.png)", "",
    ]
    (out / f"{base}.md").write_text("\n".join(report))
    log(f"wrote {out / base}.md, .csv and .png")
    print("\n".join(table))


def corpus_models():
    """Every corpus model directory, by name (one holding any .onnx file)."""
    return sorted(d for d in corpus().iterdir() if d.is_dir() and any(d.glob("*.onnx")))


def cmd_corpus(args):
    """Every corpus model through compile, setup, prove and verify, once, with our system: which
    ones work, with their accuracy, and the reason each other one stops."""
    ours = Ours(args.zkml)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work_root = pathlib.Path(args.work) / "corpus"
    rows = []
    for model_dir in corpus_models():
        model = model_dir.name
        row = Row(model, ours.name)
        work = work_root / model
        try:
            onnx = model_dir / "network.onnx"
            if not onnx.exists():
                raise StepFailed(f"no network.onnx ({', '.join(p.name for p in model_dir.glob('*.onnx'))})")
            compiled = ours.compile(model_dir, work, args.timeout)
            row.k = compiled.output["public"]["circuit"]["base"]["k"]
            row.max_error = compiled.output["accuracy"]["max_error"]
            row.seconds["compile"] = compiled.seconds
            if row.k > args.max_k:
                row.error = f"compiles at k={row.k}; proving skipped above k={args.max_k}"
            else:
                reference_outputs = reference(args.zkml, model_dir)
                for step in STEPS[1:]:
                    m = getattr(ours, step)(model_dir, work, args.timeout)
                    row.seconds[step] = m.seconds
                    if step == "setup":
                        row.vk_bytes, row.pk_bytes = m.output["vk_bytes"], m.output["pk_bytes"]
                    if step == "prove":
                        row.proof_bytes, row.prove_peak_mib = m.output["proof_bytes"], m.peak_mib
                        row.max_error = max_error(m.output["outputs"], reference_outputs)
        except (StepFailed, KeyError, OSError) as error:
            row.error = str(error)
        shutil.rmtree(work, ignore_errors=True)
        log(f"{model}: {'verified' if not row.error else row.error}")
        rows.append(row)
    verified = [r for r in rows if not r.error]
    compiled = [r for r in rows if r.k is not None]
    now, header = stamp([ours.version()])
    summary = (
        f"{len(compiled)} of {len(rows)} corpus models compile within the accuracy bound; "
        f"{len(verified)} of them prove and verify here (k ≤ {args.max_k}, {args.timeout} s per step)."
    )
    _, table = comparison_tables(rows, [ours])
    base = f"{now:%Y-%m-%d}-corpus"
    write_csv(out / f"{base}.csv", rows)
    report = ["# Prover benchmark: corpus", "", header, "", summary, "", table, ""]
    (out / f"{base}.md").write_text("\n".join(report))
    log(f"wrote {out / base}.md and .csv")
    print(summary)


def cmd_chain(args):
    budget = json.loads(subprocess.run([args.budget], capture_output=True, text=True, check=True).stdout)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    now, header = stamp([])
    lines = [
        "# On-chain verification budget", "", header.rstrip(" ·"), "",
        f"From `pallets/zkml/src/weights.rs` (the node's `benchmark pallet`, `scripts/weights.sh`) and the runtime's block "
        f"limits, for the demo model ({budget['demo_model']}, {budget['instances']} public instances).", "",
        "| call | ref_time | ms | proof size B | of a block's normal dispatch | per block |",
        "|---|---|---|---|---|---|",
    ]
    for call in budget["calls"]:
        lines.append(
            f"| `{call['name']}` | {call['ref_time']:.3e} | {call['ref_time'] / 1e9:.2f} | {call['proof_size']:,} | "
            f"{call['ref_time'] / budget['normal_ref_time']:.2%} | {call['per_block']} |"
        )
    lines.append(
        f"| zkVerify, one EZKL proof (published) | {ZKVERIFY_EZKL_REF_TIME:.3e} | {ZKVERIFY_EZKL_REF_TIME / 1e9:.2f} | – | "
        f"{ZKVERIFY_EZKL_REF_TIME / budget['normal_ref_time']:.2%} | {int(budget['normal_ref_time'] // (ZKVERIFY_EZKL_REF_TIME + budget['extrinsic_base_ref_time']))} |"
    )
    lines += [
        "",
        f"A block has {budget['block_ref_time'] / 1e12:.1f} s of ref time; normal dispatches may use "
        f"{budget['normal_ref_time'] / 1e12:.2f} s of it, and each extrinsic also pays the base weight "
        f"({budget['extrinsic_base_ref_time'] / 1e9:.3f} ms), included in \"per block\". zkVerify's figure is "
        "from their reference machine, ours from this one.", "",
    ]
    lines += [
        "## Verification envelope", "",
        "The weight a proof check is charged (`verify_proof` at the circuit's shape) against the median time the native "
        "host function takes here to check a valid proof of it.", "",
        "| circuit | gate columns | range columns | function pairs | instances | charged ms | measured ms | charged / measured |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for point in budget["envelope"]:
        shape = point["shape"]
        lines.append(
            f"| {point['name']} | {shape['advice']} | {shape['range_columns']} | {shape['lookup_columns']} | {shape['instances']} | "
            f"{point['charged_ref_time'] / 1e9:.2f} | {point['measured_ref_time'] / 1e9:.2f} | "
            f"{point['charged_ref_time'] / point['measured_ref_time']:.2f} |"
        )
    lines.append("")
    path = out / f"{now:%Y-%m-%d}-chain.md"
    path.write_text("\n".join(lines))
    log(f"wrote {path}")
    print("\n".join(lines))


def cmd_smoke(args):
    """The harness end to end on one tiny model, our system only, and the chain report, into a
    scratch directory."""
    args.systems, args.models, args.runs, args.readme = ["ours"], ["1l_mlp"], 1, False
    with tempfile.TemporaryDirectory() as scratch:
        args.out, args.work = os.path.join(scratch, "results"), os.path.join(scratch, "work")
        rows = cmd_compare(args, kind="smoke")
        produced = sorted(p.name for p in pathlib.Path(args.out).iterdir())
        row = rows[0]
        if row.error or row.max_error is None or row.proof_bytes is None or len(produced) != 3:
            raise SystemExit(f"smoke run incomplete: {row} {produced}")
        cmd_chain(args)
        log(f"smoke: prove {row.seconds['prove']:.3f} s, max error {row.max_error:.4g}, wrote {produced} and the chain report")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zkml", required=True, help="the zkml binary (release build)")
    parser.add_argument("--ezkl-python", help="a Python with ezkl installed")
    parser.add_argument("--budget", help="the runtime's verification_budget example binary")
    parser.add_argument("--out", default=str(HERE / "results"))
    parser.add_argument("--work", default=os.path.join(tempfile.gettempdir(), "hauptbuch-bench"))
    sub = parser.add_subparsers(dest="command", required=True)
    compare = sub.add_parser("compare", help="our prover against EZKL")
    compare.add_argument("models", nargs="*", help=f"corpus model names or directories (default: {' '.join(DEFAULT_MODELS)})")
    compare.add_argument("--runs", type=int, default=3)
    compare.add_argument("--systems", nargs="+", default=["ours", "ezkl"])
    compare.add_argument("--no-readme", dest="readme", action="store_false", help="leave the README's summary as it is")
    compare.add_argument("--max-proof-bytes", type=int, help="compile ours for proofs of at most this many bytes")
    scaling = sub.add_parser("scaling", help="cost against model size, one family")
    scaling.add_argument("--runs", type=int, default=3)
    scaling.add_argument("--systems", nargs="+", default=["ours", "ezkl"])
    corpus_parser = sub.add_parser("corpus", help="every corpus model through every step, ours only")
    corpus_parser.add_argument("--max-k", type=int, default=18, help="prove only circuits up to 2^K rows")
    corpus_parser.add_argument("--timeout", type=int, default=600, help="seconds one step may take")
    sub.add_parser("chain", help="the pallet's verification weight against a block")
    sub.add_parser("smoke", help="the harness on one tiny model, ours only (CI)")
    args = parser.parse_args()
    {"compare": cmd_compare, "scaling": cmd_scaling, "corpus": cmd_corpus, "chain": cmd_chain, "smoke": cmd_smoke}[args.command](args)


if __name__ == "__main__":
    main()
