#!/usr/bin/env python3
"""Flower and Plexus side by side on the same federated task.

Both train an MLP 64-32-10 (ReLU, softmax cross-entropy, SGD lr 0.1, batch 16, 2 local epochs)
on the 8x8 digits shipped in crates/learn/data, split and partitioned exactly as Plexus does
(every 5th image held out and halved into validation and test; the rest label-skewed over the
clients), aggregated with plain FedAvg, for the same number of clients and rounds. Flower runs
as it is deployed: `flwr` server and one client process per participant over gRPC on loopback,
the model in NumPy. Plexus runs `plexus bench learn`: every participant's local training (in
parallel threads, as participants train on their own machines) and the coordinator's
aggregation and scoring, in one process, without the network or the chain. Both aggregate
alike: Plexus's coordinator clips each round's updates to their median norm and, never
trusting reported example counts, averages them with equal weights; the Flower strategy here
does the same (FedAvg with that clipping, in `aggregate_fit`). So both run one algorithm from
the same initial weights, and their accuracies differ only by rounding.

Prints seconds per round (median) and final held-out accuracy for both.

    python3 bench/flower_vs_plexus.py [--clients 8] [--rounds 30] [--json]

The first run creates a virtual environment in target/flower-venv and installs flwr there.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, "target", "flower-venv")
FLWR = "flwr==1.42.0"
LR, BATCH, EPOCHS, HIDDEN = 0.1, 16, 2, 32


def ensure_venv():
    """Re-runs this script inside a virtual environment that has flwr."""
    python = os.path.join(VENV, "bin", "python")
    if os.path.realpath(sys.prefix) == os.path.realpath(VENV):
        return
    if not os.path.exists(python):
        print(f"creating {VENV} and installing {FLWR} (once)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", VENV], check=True)
        subprocess.run([python, "-m", "pip", "install", "-q", FLWR, "numpy"], check=True)
    os.execv(python, [python] + sys.argv)


# --- data: the same split and partition as plexus_learn::data -------------------------------

def load_digits():
    import numpy as np
    raw = np.loadtxt(os.path.join(ROOT, "crates", "learn", "data", "digits.csv"), delimiter=",")
    return (raw[:, :64] / 16.0).astype(np.float32), raw[:, 64].astype(np.int64)


def split_every(n, k):
    """(kept, held) index lists: every k-th index is held out."""
    held = [i for i in range(n) if i % k == 0]
    kept = [i for i in range(n) if i % k != 0]
    return kept, held


def non_iid_partition(labels, parts):
    order = sorted(range(len(labels)), key=lambda i: (labels[i], i))
    skewed = order[0::2]
    shards = 2 * parts

    def shard(s):
        return skewed[s * len(skewed) // shards:(s + 1) * len(skewed) // shards]

    out = [shard(p) + shard(p + parts) for p in range(parts)]
    for k, i in enumerate(order[1::2]):
        out[k % parts].append(i)
    return out


def task(clients):
    x, y = load_digits()
    kept, test = split_every(len(y), 5)
    x_train, y_train = x[kept], y[kept]
    x_test, y_test = x[test], y[test]
    _, held = split_every(len(y_test), 2)
    parts = non_iid_partition(list(y_train), clients)
    return [(x_train[p], y_train[p]) for p in parts], (x_test[held], y_test[held])


# --- the model in NumPy -------------------------------------------------------------------

def init_params(seed=1):
    """The initial weights Plexus draws for seed 1 (plexus_learn::model::Model::new): splitmix64,
    uniform in +-1/sqrt(fan_in), biases zero, variables in name order (l1.bias, l1.weight,
    l2.bias, l2.weight), weights stored (out, in), so both start from the same model."""
    import numpy as np
    mask = (1 << 64) - 1
    state = seed

    def draw(n, fan_in):
        nonlocal state
        bound = 1.0 / np.sqrt(fan_in)
        out = np.empty(n, np.float64)
        for i in range(n):
            state = (state + 0x9E3779B97F4A7C15) & mask
            z = state
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
            z ^= z >> 31
            unit = (z >> 11) / float(1 << 53)
            out[i] = (unit * 2.0 - 1.0) * bound
        return out.astype(np.float32)

    w1 = draw(HIDDEN * 64, 64).reshape(HIDDEN, 64).T.copy()
    w2 = draw(10 * HIDDEN, HIDDEN).reshape(10, HIDDEN).T.copy()
    return [w1, np.zeros(HIDDEN, np.float32), w2, np.zeros(10, np.float32)]


def forward(params, x):
    import numpy as np
    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1 + b1, 0)
    logits = h @ w2 + b2
    logits = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return h, p / p.sum(axis=1, keepdims=True)


def train(params, x, y):
    import numpy as np
    w1, b1, w2, b2 = [p.copy() for p in params]
    for _ in range(EPOCHS):
        for s in range(0, len(y), BATCH):
            xb, yb = x[s:s + BATCH], y[s:s + BATCH]
            h, p = forward([w1, b1, w2, b2], xb)
            g = p.copy()
            g[np.arange(len(yb)), yb] -= 1
            g /= len(yb)
            gw2, gb2 = h.T @ g, g.sum(0)
            gh = (g @ w2.T) * (h > 0)
            gw1, gb1 = xb.T @ gh, gh.sum(0)
            w1 -= LR * gw1
            b1 -= LR * gb1
            w2 -= LR * gw2
            b2 -= LR * gb2
    return [w1, b1, w2, b2]


def accuracy(params, x, y):
    _, p = forward(params, x)
    return float((p.argmax(1) == y).mean())


# --- Flower ---------------------------------------------------------------------------------

def run_client(address, index, clients):
    import flwr as fl
    parts, _ = task(clients)
    x, y = parts[index]

    class Client(fl.client.NumPyClient):
        def fit(self, parameters, config):
            return train(parameters, x, y), len(y), {}

        def evaluate(self, parameters, config):
            return 0.0, len(y), {}

    fl.client.start_client(server_address=address, client=Client().to_client())


def run_flower(clients, rounds):
    import flwr as fl
    from flwr.common import ndarrays_to_parameters, parameters_to_ndarrays
    import numpy as np
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"127.0.0.1:{port}"
    _, (x_test, y_test) = task(clients)
    marks, acc = [], []

    class Timed(fl.server.strategy.FedAvg):
        """FedAvg as Plexus aggregates: updates clipped to their median norm, equal weights."""

        current = init_params()

        def configure_fit(self, server_round, parameters, client_manager):
            marks.append(time.perf_counter())
            return super().configure_fit(server_round, parameters, client_manager)

        def aggregate_fit(self, server_round, results, failures):
            if failures or not results:
                raise RuntimeError(f"round {server_round}: {len(failures)} clients failed")
            deltas = [
                [new - old for new, old in zip(parameters_to_ndarrays(r.parameters), self.current)]
                for _, r in results
            ]
            norms = [sum(float((d.astype(np.float64) ** 2).sum()) for d in u) ** 0.5 for u in deltas]
            bound = sorted(norms)[(len(norms) - 1) // 2]
            for u, n in zip(deltas, norms):
                if n > bound and n > 0:
                    for d in u:
                        d *= bound / n
            self.current = [old + sum(u[i] for u in deltas) / len(deltas) for i, old in enumerate(self.current)]
            return ndarrays_to_parameters(self.current), {}

    def evaluate(server_round, parameters, config):
        if server_round > 0:
            marks.append(time.perf_counter())
            acc.append(accuracy(parameters, x_test, y_test))
        return 0.0, {}

    strategy = Timed(
        fraction_fit=1.0,
        fraction_evaluate=0.0,
        min_fit_clients=clients,
        min_available_clients=clients,
        evaluate_fn=evaluate,
        initial_parameters=ndarrays_to_parameters(init_params()),
    )
    procs = [
        subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--client", str(i), "--clients", str(clients), "--address", address],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(clients)
    ]
    try:
        fl.server.start_server(
            server_address=address,
            config=fl.server.ServerConfig(num_rounds=rounds),
            strategy=strategy,
        )
    finally:
        for p in procs:
            p.wait(timeout=60)
    # marks: (start of fit, end of evaluation) per round.
    secs = [marks[2 * r + 1] - marks[2 * r] for r in range(rounds)]
    return {"round_secs_median": statistics.median(secs), "round_secs": secs, "accuracy": acc[-1], "accuracy_by_round": acc}


def run_plexus(clients, rounds):
    binary = os.path.join(ROOT, "target", "release", "plexus")
    cmd = [binary] if os.path.exists(binary) else ["cargo", "run", "--release", "-q", "--"]
    out = subprocess.run(
        cmd + ["--json", "bench", "learn", "--participants", str(clients), "--rounds", str(rounds)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--client", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--address", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ensure_venv()
    if args.client is not None:
        run_client(args.address, args.client, args.clients)
        return
    plexus = run_plexus(args.clients, args.rounds)
    flower = run_flower(args.clients, args.rounds)
    speedup = flower["round_secs_median"] / plexus["round_secs_median"]
    # The same algorithm from the same weights: the accuracy curves should coincide.
    drift = max(abs(a - b) for a, b in zip(flower["accuracy_by_round"], plexus["accuracy_by_round"]))
    report = {
        "clients": args.clients,
        "rounds": args.rounds,
        "flower": {"round_secs_median": flower["round_secs_median"], "accuracy": flower["accuracy"]},
        "plexus": {"round_secs_median": plexus["round_secs_median"], "accuracy": plexus["accuracy"]},
        "plexus_speedup_per_round": speedup,
        "largest_accuracy_difference_in_any_round": drift,
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.clients} clients, {args.rounds} rounds, MLP 64-{HIDDEN}-10, FedAvg of median-norm-clipped updates, label-skewed digits")
        print(f"  Flower {FLWR.split('==')[1]}: {flower['round_secs_median']:.4f} s per round, accuracy {flower['accuracy']:.3f}")
        print(f"  Plexus:       {plexus['round_secs_median']:.4f} s per round, accuracy {plexus['accuracy']:.3f} (in process: training and coordination)")
        print(f"  Plexus is {speedup:.1f}x faster per round; the accuracies differ by at most {drift:.3f} in any round")


if __name__ == "__main__":
    main()
