"""The Slurm executor against a real single-node Slurm (Debian's slurmctld + slurmd + munge, started by
the test on private ports and folders): a study's runs go out as a submitit job array and all end.

Skipped where the Slurm daemons are not installed (`apt-get install slurmctld slurmd slurm-client munge`;
CI's .ci/services installs them).
The generated submission (job-array parameters) is checked without Slurm."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from szagents.studies.plan import plan_study
from szagents.studies.slurm import slurm_parameters
from szagents.studies.grid import SlurmSettings, load_study
from tests.studies.conftest import (assert_benchmarks_never_overlap, events, read_holds, services_missing, study_cli,
                                  write_study)

submitit = pytest.importorskip("submitit", reason="needs the slurm extra")

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _conf(folder: Path, host: str) -> str:
    return "\n".join([
        "ClusterName=szagents-test", f"SlurmctldHost={host}(127.0.0.1)", f"SlurmctldPort={_port()}",
        f"SlurmdPort={_port()}", "SlurmUser=root", "SlurmdUser=root", "AuthType=auth/munge",
        f"AuthInfo=socket={folder}/munge.sock", "CredType=cred/munge", f"StateSaveLocation={folder}/state",
        f"SlurmdSpoolDir={folder}/spool", f"SlurmctldPidFile={folder}/slurmctld.pid",
        f"SlurmdPidFile={folder}/slurmd.pid", f"SlurmctldLogFile={folder}/slurmctld.log",
        f"SlurmdLogFile={folder}/slurmd.log", "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
        "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core_Memory", "JobAcctGatherType=jobacct_gather/none",
        "AccountingStorageType=accounting_storage/none", "MpiDefault=none", "ReturnToService=2",
        f"NodeName={host} NodeAddr=127.0.0.1 CPUs={os.cpu_count()} RealMemory=8000 State=UNKNOWN",
        "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP", ""])


@pytest.fixture
def slurm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """munged, slurmctld and slurmd for this test only; SLURM_CONF points the clients at them."""
    if not all(shutil.which(d) or Path("/usr/sbin", d).exists() for d in DAEMONS) or os.geteuid() != 0:
        pytest.skip(services_missing("needs root and Debian's slurmctld, slurmd, slurm-client and munge"))
    folder = tmp_path / "slurm"
    for sub in ("state", "spool"):
        (folder / sub).mkdir(parents=True)
    shutil.copy("/etc/munge/munge.key", folder / "munge.key")
    (folder / "munge.key").chmod(0o600)
    subprocess.run(["munged", f"--socket={folder}/munge.sock", f"--key-file={folder}/munge.key", "--force",
                    f"--pid-file={folder}/munged.pid", f"--log-file={folder}/munged.log",
                    f"--seed-file={folder}/munge.seed"], check=True)
    conf = folder / "slurm.conf"
    conf.write_text(_conf(folder, socket.gethostname().split(".")[0]))
    monkeypatch.setenv("SLURM_CONF", str(conf))
    daemons = [subprocess.Popen([d, "-D", "-f", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
               for d in ("slurmctld", "slurmd")]
    try:
        deadline = time.monotonic() + 60
        while "idle" not in subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True).stdout:
            assert time.monotonic() < deadline, (folder / "slurmctld.log").read_text()[-2000:]
            time.sleep(0.5)
        yield folder
    finally:
        subprocess.run(["scancel", "--full", "--partition=debug"], capture_output=True)
        for daemon in daemons:
            daemon.terminate()
            daemon.wait(timeout=30)
        os.kill(int((folder / "munged.pid").read_text()), 15)


@pytest.mark.slow
def test_slurm_executor_runs_a_study_as_a_job_array(tmp_path: Path, slurm: Path):
    """2 tasks x 2 repeats of sleeping scripted models: 4 array tasks on the real Slurm, every run ends once,
    their benchmarks never overlapped on the node, and a second call submits nothing."""
    slots = tmp_path / "node-slots"
    study = write_study(tmp_path, repeats=2, concurrency=4, tiers=("user",), teams=("single",),
                        extra=f'\n[slurm]\ncpus_per_run = 1\nmem_gb = 1\nsetup = ["export SZAGENTS_BENCH_SLOTS={slots}"]\n')
    proc = study_cli(str(study), "--executor", "slurm", slots=tmp_path / "unused")
    output = proc.communicate(timeout=600)[0]
    assert proc.returncode == 0, output + (slurm / "slurmctld.log").read_text()[-2000:]
    assert "job arrays" in output
    runs = tmp_path / "runs"
    folders = [p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(folders) == 4
    for folder in folders:
        assert [e["event"] for e in events(folder)].count("run_end") == 1, folder.name
    assert len(list((runs / ".submitit").glob("*/*_submission.sh"))) >= 1
    assert_benchmarks_never_overlap(runs, read_holds(slots / "holds.jsonl"), 4)
    again = study_cli(str(study), "--executor", "slurm", slots=tmp_path / "unused")
    output = again.communicate(timeout=120)[0]
    assert again.returncode == 0 and "0 runs submitted" in output, output


def test_job_array_parameters(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """What each array task asks Slurm for: one GPU per cuda run, CPUs, memory, time from the wall budget,
    the node-local slot folder before the user's setup lines, and the array's parallelism."""
    monkeypatch.delenv("SZAGENTS_PRICES", raising=False)
    settings = SlurmSettings(partition="gpu", account="proj", cpus_per_run=4, mem_gb=16,
                             setup=["module load cuda"], sbatch={"constraint": "v100"})
    params = slurm_parameters(settings, wall_seconds=3600, gpus=1, parallelism=8, name="szagents-tiers")
    assert params["gpus_per_node"] == 1 and params["cpus_per_task"] == 4 and params["mem_gb"] == 16
    assert params["timeout_min"] == 70 and params["slurm_array_parallelism"] == 8
    assert params["slurm_partition"] == "gpu" and params["slurm_account"] == "proj"
    assert params["slurm_setup"] == ["export SZAGENTS_BENCH_SLOTS=${TMPDIR:-/tmp}/szagents-bench-slots", "module load cuda"]
    assert params["slurm_additional_parameters"] == {"constraint": "v100"}
    assert "gpus_per_node" not in slurm_parameters(settings, 600, 0, 2, "x")
    study = write_study(tmp_path, extra='\n[slurm]\ntime_min = 30\n')
    assert plan_study(load_study(study)).study.slurm.time_min == 30
