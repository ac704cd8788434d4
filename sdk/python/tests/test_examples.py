"""The examples run end to end against the devnet and print what they did."""

import os
import subprocess
import sys
from pathlib import Path

from plexus_sdk import Key

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
DIGITS = Path(__file__).resolve().parents[3] / "crates" / "learn" / "data" / "digits.csv"


def run_example(devnet, name, key, *args, timeout=180):
    env = {**os.environ, "PLEXUS_NODE": devnet.url, "PLEXUS_KEY_FILE": str(devnet.key_file(key))}
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], env=env,
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_transfer_example_moves_the_amount(devnet):
    to = Key.generate().address
    out = run_example(devnet, "transfer.py", "dave", "--to", str(to), "--amount", "1.5plx")
    assert f"sending 1.5plx from {devnet.key('dave').address} to {to}" in out
    assert "committed at height" in out
    assert devnet.client.account(to).balance == 1_500_000


def test_the_transfer_example_refuses_a_bad_address_with_a_clear_message(devnet):
    env = {**os.environ, "PLEXUS_NODE": devnet.url, "PLEXUS_KEY_FILE": str(devnet.key_file("dave"))}
    done = subprocess.run([sys.executable, str(EXAMPLES / "transfer.py"), "--to", "plx1oops",
                           "--amount", "1plx"], env=env, capture_output=True, text=True)
    assert done.returncode == 1
    assert "invalid address 'plx1oops'" in done.stderr


def test_the_register_example_registers_the_device_and_follows_an_epoch(devnet, tmp_path):
    device = Key.generate()
    key_file = tmp_path / "device.key"
    key_file.write_text(device.seed.hex())
    out = run_example(devnet, "register_device_and_follow_rewards.py", "erin",
                      "--device-key-file", str(key_file), "--epochs", "1",
                      "--oracle", devnet.oracle_url)
    assert f"registered device {device.public_key.hex()} (cpu-small, stake 100plx)" in out
    assert "compute pool" in out
    seen = devnet.client.device(device.public_key)
    assert (seen.owner, seen.class_, seen.status) == (str(devnet.key("erin").address),
                                                     "cpu-small", "active")


def test_the_training_example_creates_a_task_and_hands_over_its_validation_set(devnet, tmp_path):
    validation = tmp_path / "validation.csv"
    validation.write_text("".join(DIGITS.read_text().splitlines(keepends=True)[:40]))
    out = run_example(devnet, "create_training_task.py", "sponsor", "--validation",
                      str(validation), "--budget", "20plx", "--rounds", "4",
                      "--coordinator-url", devnet.oracle_url)
    task_id = int(out.split("training task ")[1].split()[0])
    assert "has the validation set" in out
    task = devnet.client.training_task(task_id)
    assert task.sponsor == str(devnet.key("sponsor").address)
    assert (task.terms["rounds"], task.terms["budget"]) == (4, "20000000")


def test_the_job_example_prints_the_result_the_market_accepted(devnet):
    out = run_example(devnet, "submit_job.py", "alice", "--input", "5 6 7", "--timeout", "150",
                      timeout=240)
    assert "closed completed" in out
    assert "(verified against the chain)" in out
    assert "count 3 sum 18 mix " in out
    order_id = int(out.split("order ")[1].split()[0])
    head = devnet.client.order(order_id).order
    deposit = int(head["terms"]["deposit"])
    assert deposit == int(head["paid"]) + int(head["fees"]) + int(head["refunded"])
